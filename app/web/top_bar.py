"""The numbers in a signed-in page's top bar (the Saved tab's, the bell's), read together.

Every signed-in page draws each of them, and each was a statement of its own. An area
registers its number as a COUNT query (:func:`register`); the first number a request
draws reads every registered one in one statement, as scalar subqueries, and keeps them
in ``g`` for the rest of the request. Nothing outlives the request, so no save, removal,
expiry or suspension needs to tell anyone: each number is worked out by its own area's
rules, at the moment it is drawn, exactly as its own statement was. A redraw after an
action (the Saved tab's count when a card is saved) is drawn after the change, in the
same request, and reads the numbers then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app, g
from flask.sansio.app import App
from flask_login import current_user
from sqlalchemy import select

from app import db

CountQuery = Callable[[int, datetime], Any]  # (user id, now) -> SELECT count(*) ...
EXTENSION = "plaza.top_bar"


def register(app: App, name: str, query: CountQuery) -> None:
    """Let pages draw ``top_bar_count(name)``: the number ``query`` counts for the
    signed-in user."""
    app.extensions.setdefault(EXTENSION, {})[name] = query
    app.add_template_global(top_bar_count)


def top_bar_count(name: str) -> int:
    """The registered number ``name`` for the signed-in user; 0 for a visitor."""
    if not current_user.is_authenticated:
        return 0
    counts: dict[str, int] | None = g.get("_plaza_top_bar")
    if counts is None:
        queries: dict[str, CountQuery] = current_app.extensions[EXTENSION]
        now = datetime.now(UTC)
        row = (
            db.session()
            .execute(select(*(q(current_user.id, now).scalar_subquery() for q in queries.values())))
            .one()
        )
        counts = g._plaza_top_bar = {n: int(value) for n, value in zip(queries, row, strict=True)}
    return counts[name]
