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

from sqlalchemy import Integer, column, insert, literal, select, values
from sqlmodel import Session, col

from app.models import Card, Event, EventKind

_EVENT = Event.__table__.c  # type: ignore[attr-defined]
_COLUMNS = ["user_id", "card_id", "provider_id", "kind", "feed_session", "viewer_rate", "detail",
            "created_at"]  # fmt: skip


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
    """One impression for each of ``card_ids`` that still exists, in their order (the
    order ``_served_page`` reads back by event id), in one statement."""
    if not card_ids:
        return
    shown = (
        values(column("position", Integer), column("card_id", Integer), name="shown")
        .data(list(enumerate(card_ids)))
        .cte()
    )
    rows = (
        select(
            literal(user_id, type_=_EVENT.user_id.type),
            col(Card.id),
            col(Card.provider_id),
            literal(EventKind.IMPRESSION, type_=_EVENT.kind.type),
            literal(feed_session, type_=_EVENT.feed_session.type),
            literal(viewer_rate, type_=_EVENT.viewer_rate.type),
            literal({"page": page}, type_=_EVENT.detail.type),  # a page asked again shows the same
            literal(shown_at, type_=_EVENT.created_at.type),
        )
        .select_from(shown.join(Card, col(Card.id) == shown.c.card_id))
        .order_by(shown.c.position)
        .with_for_update(read=True, key_share=True, of=Card)
    )
    session.execute(insert(Event).from_select(_COLUMNS, rows))
