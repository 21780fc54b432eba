"""What a feed page showed, recorded as one impression per card.

A page is ranked from the process's catalog snapshot and its cards are read just
before it is drawn, but housekeeping in another process (``prune_cards``, a provider
removed) may delete one of those cards a moment later, before the page records its
impressions. An ``event`` row for a card that is gone breaks its foreign key, and the
whole page would answer 500 for a card the shopper can no longer act on anyway. So
each row is inserted from the card's own row: a card deleted in the meantime simply
gets no impression. On PostgreSQL the card row is held with ``FOR KEY SHARE`` until
the page commits, so a deletion cannot slip in between the read and the foreign-key
check either; SQLite's write lock already serialises the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, literal, select
from sqlmodel import Session, col

from app.models import Card, Event, EventKind

_EVENT = Event.__table__.c  # type: ignore[attr-defined]

# One statement, run once per card in the page's order (the order _served_page reads
# back by event id), all in one executemany call: PostgreSQL's driver pipelines them in
# one round trip. Measured, it costs what one multi-row INSERT did; one statement joined
# to a VALUES list of the ids cost 2-3 ms more a page, built and compiled anew each time.
_FROM_LIVE_CARD = insert(Event).from_select(
    ["user_id", "card_id", "provider_id", "kind", "feed_session", "viewer_rate", "detail",
     "created_at"],
    select(
        bindparam("user_id", type_=_EVENT.user_id.type),
        col(Card.id),
        col(Card.provider_id),
        literal(EventKind.IMPRESSION, type_=_EVENT.kind.type),
        bindparam("feed_session", type_=_EVENT.feed_session.type),
        bindparam("viewer_rate", type_=_EVENT.viewer_rate.type),
        bindparam("detail", type_=_EVENT.detail.type),
        bindparam("created_at", type_=_EVENT.created_at.type),
    )
    .where(col(Card.id) == bindparam("card_id"))
    .with_for_update(read=True, key_share=True),
)  # fmt: skip


def record_impressions(
    session: Session,
    card_ids: Sequence[int],
    *,
    user_id: int,
    feed_session: str,
    viewer_rate: float,
    page: int,
    shown_at: datetime,
) -> None:
    """One impression for each of ``card_ids`` that still exists, in their order."""
    if not card_ids:
        return
    shared: dict[str, Any] = {
        "user_id": user_id,
        "feed_session": feed_session,
        "viewer_rate": viewer_rate,
        "detail": {"page": page},  # a later page asked again shows the same
        "created_at": shown_at,
    }
    # The session's connection, not the session: the ORM would take a list of parameters
    # for one of its bulk inserts, which an INSERT ... SELECT is not.
    session.connection().execute(
        _FROM_LIVE_CARD, [{**shared, "card_id": card_id} for card_id in card_ids]
    )
