"""CSV downloads of results, safe to open in a spreadsheet.

Free-text survey answers and card titles come from outside, so a cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``
or a control character) is prefixed with an apostrophe, as OWASP advises.

Every field is quoted as well. A spreadsheet set to a semicolon-separated locale
(most of Europe) splits an unquoted ``Nice;=HYPERLINK(...)`` in two, and the
second cell starts with ``=`` however the first one was neutralised; inside
quotes the separator is text. Spreadsheets still read a quoted number as a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
