"""Following and muting interests: the consumer's declared tastes."""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import ConsumerInterest, InterestState


def set_interest_state(db: Session, user_id: int, slug: str, state: InterestState) -> None:
    """Follow or mute ``slug``; muting replaces following, and the reverse."""
    row = db.get(ConsumerInterest, (user_id, slug))
    if row is None:
        db.add(ConsumerInterest(user_id=user_id, slug=slug, state=state))
    else:
        row.state = state


def clear_interest(db: Session, user_id: int, slug: str) -> None:
    row = db.get(ConsumerInterest, (user_id, slug))
    if row is not None:
        db.delete(row)


def interest_states(db: Session, user_id: int) -> dict[str, str]:
    rows = db.exec(
        select(ConsumerInterest.slug, ConsumerInterest.state).where(
            ConsumerInterest.user_id == user_id
        )
    )
    return dict(rows.all())
