"""Cursor pagination: stable under inserts, and a cursor cannot be forged.

Lists are ordered by id; the cursor is the last id of a page, signed with the
app's secret key so a client cannot craft one (it could only ever reach its
own organisation's rows anyway, as every query is scoped).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, TypeVar

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session, col

from app.api.problems import ApiProblem

DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_DIGITS = re.compile(r"[0-9]{1,4}")

Row = TypeVar("Row")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="plaza.api-cursor")


def page_arguments() -> tuple[int, int]:
    """(after id, limit) from ``?cursor=&limit=``; a problem for bad values."""
    raw_limit = request.args.get("limit", str(DEFAULT_LIMIT))
    if not _DIGITS.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise ApiProblem(400, "Bad query.", [("limit", f"Give a whole number 1 to {MAX_LIMIT}.")])
    after = 0
    cursor = request.args.get("cursor")
    if cursor is not None:
        try:
            after = int(_serializer().loads(cursor)["after"])
        except (BadSignature, KeyError, TypeError, ValueError):
            raise ApiProblem(
                400, "Bad query.", [("cursor", "Use a next_cursor from a previous page.")]
            ) from None
    return after, int(raw_limit)


def paginate(db: Session, query: Any, id_column: Any) -> tuple[Sequence[Any], str | None]:
    """One page of ``query`` (not yet ordered) and the cursor of the next, if any."""
    after, limit = page_arguments()
    rows = db.exec(query.where(col(id_column) > after).order_by(col(id_column)).limit(limit + 1))
    found = list(rows)
    if len(found) <= limit:
        return found, None
    found = found[:limit]
    return found, _serializer().dumps({"after": found[-1].id})
