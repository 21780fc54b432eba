"""Following and muting interests: the consumer's declared tastes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, select

from app.models import ConsumerInterest, InterestState, User, stored_id
from app.ranking.prepared import interests_changed
from app.ranking.rank import Profile
from cards.taxonomy import Taxonomy


def set_interest_state(db: Session, user_id: int, slug: str, state: InterestState) -> None:
    """Follow or mute ``slug``; muting replaces following, and the reverse. A first page
    prepared before is not used (:func:`app.ranking.prepared.interests_changed`)."""
    interests_changed(db, user_id)
    row = db.get(ConsumerInterest, (user_id, slug))
    if row is None:
        db.add(ConsumerInterest(user_id=user_id, slug=slug, state=state))
    else:
        row.state = state


def onboard(
    db: Session, user: User, slugs: Iterable[str], taxonomy: Taxonomy, now: datetime
) -> None:
    """Follow ``slugs`` and count a new ``user`` as onboarded, for accounts made without
    the onboarding page (the demo's); slugs the taxonomy does not know are skipped, so a
    renamed interest cannot break the demo. A new account has no interest states to
    look up first. The caller commits."""
    db.add_all(
        ConsumerInterest(
            user_id=stored_id(user), slug=slug, state=InterestState.FOLLOW, created_at=now
        )
        for slug in slugs
        if slug in taxonomy
    )
    user.onboarded_at = now
    db.add(user)
    interests_changed(db, stored_id(user))


def clear_interest(db: Session, user_id: int, slug: str) -> None:
    row = db.get(ConsumerInterest, (user_id, slug))
    if row is not None:
        interests_changed(db, user_id)
        db.delete(row)


def interest_states(db: Session, user_id: int) -> dict[str, str]:
    rows = db.exec(
        select(ConsumerInterest.slug, ConsumerInterest.state).where(
            ConsumerInterest.user_id == user_id
        )
    )
    return dict(rows.all())


def declared_states(profile: Profile) -> dict[str, str]:
    """What :func:`interest_states` reads, taken from a profile already loaded."""
    states = dict.fromkeys(profile.follows, InterestState.FOLLOW.value)
    states.update(dict.fromkeys(profile.muted, InterestState.MUTE.value))
    return states


def followed_within(db: Session, user_id: int, slug: str) -> list[str]:
    """The interests the consumer follows that muting ``slug`` would silence: ``slug``
    itself and anything below it, ``slug`` first, then by name order of their slugs."""
    follows = [
        s
        for s, state in interest_states(db, user_id).items()
        if state == InterestState.FOLLOW and (s == slug or s.startswith(slug + "/"))
    ]
    return sorted(follows, key=lambda s: (s != slug, s))


def mute_needs_confirming(slug: str, followed: Sequence[str]) -> bool:
    """Whether one tap on "Not interested in ..." must ask first: when it would silence
    something the consumer follows, or a whole top-level interest (everything under
    "Apparel"). A narrower interest they do not follow stays one tap, with Undo."""
    return bool(followed) or "/" not in slug
