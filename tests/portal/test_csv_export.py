"""CSV downloads: formulas neutralised and every field quoted, whatever the separator."""

from __future__ import annotations

import csv
import io

from app.portal.csv_export import csv_response

HOSTILE = 'Great;=HYPERLINK("http://evil.example","Click")'


def test_a_semicolon_locale_cannot_split_a_cell_into_a_formula(app):
    with app.test_request_context():
        rows = [[HOSTILE, 3], ["=1+1", None], ["Nice;=1+1", 2]]
        body = csv_response("x.csv", ["title", "count"], rows).get_data(as_text=True)
    # Read as a spreadsheet in a semicolon locale reads it: no cell may start a formula.
    for row in csv.reader(io.StringIO(body), delimiter=";"):
        for cell in row:
            assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), row
    lines = body.splitlines()
    assert lines[0] == '"title","count"'
    assert lines[1] == '"Great;=HYPERLINK(""http://evil.example"",""Click"")","3"'
    assert lines[2] == '"\'=1+1",""'
    assert lines[3] == '"Nice;=1+1","2"'
    assert list(csv.reader(io.StringIO(body)))[1] == [HOSTILE, "3"]
