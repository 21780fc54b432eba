"""Keeping the card table from growing without bound.

Cards that ended long ago, or were published long ago, are deleted with their
interests, states, events and popularity counts (all by foreign-key cascade),
unless a consumer saved them: what someone kept is never taken away by
housekeeping. Their provider's popularity counts keep what they were shown and
opened, as anonymous sums that leave the popularity window on their own
(:mod:`app.models.popularity`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlmodel import Session, col, select

from app.db import rows_changed, writers_turn
from app.models import Card, CardState

ENDED_KEEP = timedelta(days=30)
MAX_AGE = timedelta(days=180)
BATCH = 1000


def prune_cards(db: Session, now: datetime) -> int:
    """Delete stale, unsaved cards in batches; returns how many went."""
    saved = select(CardState.card_id).where(col(CardState.saved_at).is_not(None))
    stale = (
        select(Card.id)
        .where(
            or_(col(Card.ends_at) < now - ENDED_KEEP, col(Card.published_at) < now - MAX_AGE),
            col(Card.id).not_in(saved),
        )
        .limit(BATCH)
    )
    removed = 0
    while ids := list(db.exec(stale).all()):
        # Counted as deleted, not as found: another worker pruning at the same moment
        # may have taken some of these first, and each card is reported once.
        removed += rows_changed(db.exec(delete(Card).where(col(Card.id).in_(ids))))
        db.commit()
        if len(ids) == BATCH:  # more to come
            writers_turn(db)
    return removed
