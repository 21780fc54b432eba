"""URL converters the pages and the API share."""

from __future__ import annotations

import re
from typing import Any

from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import NotFound
from werkzeug.routing import BaseConverter

MAX_ID = 2**31 - 1


def parse_id(raw: str | None) -> int | None:
    """A row id from a query string, or None for anything else: a number too large for
    the database (an OverflowError on SQLite, an error on PostgreSQL) is no id."""
    if raw is None or not re.fullmatch(r"[0-9]{1,18}", raw):
        return None
    number = int(raw)
    return number if 1 <= number <= MAX_ID else None


def add_id_converter(state: BlueprintSetupState) -> None:
    """A blueprint's ``record_once`` hook: its URLs may use ``<id:...>``."""
    state.app.url_map.converters.setdefault("id", IdConverter)


class IdConverter(BaseConverter):
    """``<id:...>``: a row id, 1 to 2**31 - 1 (PostgreSQL's ``integer``).

    A longer number is a 404 straight from routing: the database would refuse
    to compare it, and werkzeug's ``int(max=...)`` would turn it into a
    misleading 405 for the route's other methods.
    """

    regex = r"[0-9]{1,18}"
    part_isolating = True
    weight = 50

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise NotFound("There is no such id.")
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))
