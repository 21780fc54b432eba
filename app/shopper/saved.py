"""What a shopper saved: the Saved page's list and the count on its tab.

Both read the same rows with the same rules (a saved card the feed could not show any
more, removed or ended, is neither listed nor counted), so the tab's number always
matches the page. Each is an indexed read of the shopper's own card states (the count
a subquery of the top bar's one read, :mod:`app.web.top_bar`): their cost follows what
one shopper saved, never the catalog.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.models import Card, CardState, Provider
from app.ranking.candidates import shown_now


def _saved(user_id: int, now: datetime) -> tuple[Any, ...]:
    return (
        CardState.user_id == user_id,
        col(CardState.saved_at).is_not(None),
        *shown_now(now),
    )


def saved_cards(db: Session, user_id: int, now: datetime) -> Sequence[Card]:
    """The shopper's saved cards that can still be shown, the latest saved first."""
    return db.exec(
        select(Card)
        .join(CardState, col(CardState.card_id) == Card.id)
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(*_saved(user_id, now))
        .order_by(col(CardState.saved_at).desc())
    ).all()


def saved_count_query(user_id: int, now: datetime) -> SelectOfScalar[int]:
    """The query counting the cards :func:`saved_cards` lists, without reading them: from
    the shopper's own card states (their index), each joined to its card for the rules.
    The Saved tab draws it with the top bar's other numbers (:mod:`app.web.top_bar`)."""
    return (
        select(func.count())
        .select_from(CardState)
        .join(Card, col(CardState.card_id) == Card.id)
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(*_saved(user_id, now))
    )
