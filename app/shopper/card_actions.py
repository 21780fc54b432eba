"""What a consumer's action on a card changes, for the card pages and anything else that
acts for them: the event it records, their marks on the card, their survey answers.

Every function changes one consumer's own state only and leaves the commit to the
caller, so a view can record the action and its consequences in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from app.models import Card, CardState, Event, EventKind, SurveyAnswer, stored_id
from app.models.notifications import Notification


def record_event(db: Session, user_id: int, card: Card, kind: EventKind, **detail: Any) -> None:
    db.add(
        Event(
            user_id=user_id,
            card_id=card.id,
            provider_id=card.provider_id,
            kind=kind,
            detail=detail,
        )
    )


def card_state(db: Session, user_id: int, card: Card) -> CardState:
    """The consumer's marks on ``card``, created empty the first time."""
    state = db.get(CardState, (user_id, card.id))
    if state is None:
        state = CardState(user_id=user_id, card_id=stored_id(card))
        db.add(state)
    return state


def set_mark(
    db: Session,
    user_id: int,
    card: Card,
    field: str,
    on: bool,
    event: EventKind,
    now: datetime,
) -> None:
    """Set or clear one of the consumer's marks (saved, dismissed); repeating it records
    nothing more."""
    state = card_state(db, user_id, card)
    if (getattr(state, field) is not None) != on:
        setattr(state, field, now if on else None)
        record_event(db, user_id, card, event)


def has_answered(db: Session, user_id: int, card: Card) -> bool:
    return (
        db.exec(
            select(SurveyAnswer.id).where(
                SurveyAnswer.user_id == user_id, SurveyAnswer.card_id == card.id
            )
        ).first()
        is not None
    )


def was_shown(db: Session, user_id: int, card: Card) -> bool:
    """Whether ``card`` was served to ``user_id``: on a page of their feed, or in one of
    their notifications. Only those may answer a survey's question."""
    impression = select(Event.id).where(
        Event.user_id == user_id, Event.card_id == card.id, Event.kind == EventKind.IMPRESSION
    )
    notified = select(Notification.id).where(
        Notification.user_id == user_id, Notification.card_id == card.id
    )
    return db.exec(impression.limit(1)).first() is not None or (
        db.exec(notified.limit(1)).first() is not None
    )


def answer_tally(db: Session, card: Card, user_id: int) -> dict[str, Any]:
    """Share of answers per choice, and the consumer's own, for the result that replaces
    the question."""
    counts: dict[str, int] = {}
    total = 0
    mine: Mapping[str, Any] = {}
    for owner, stored in db.exec(
        select(SurveyAnswer.user_id, SurveyAnswer.answer).where(SurveyAnswer.card_id == card.id)
    ):
        total += 1
        for choice in stored.get("choices") or []:
            counts[choice] = counts.get(choice, 0) + 1
        if owner == user_id:
            mine = stored
    return {"total": total, "counts": counts, "mine": set(mine.get("choices") or [])}
