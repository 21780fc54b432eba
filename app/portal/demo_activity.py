"""Two weeks of shopper activity for the offline demo, so the portal's results have numbers.

``plaza demo`` creates providers and cards, but nobody has seen them yet, so
every chart would be flat. This records what the demo shopper might have done
over the last fourteen days: views of many cards, opens of some, a few saves
and dismisses (with the saved and dismissed state that goes with them, so the
shopper's own pages agree with the numbers). It is deterministic (a fixed
seed) and runs once: a shopper who already has events is left alone.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, col, select

from app.models import Card, CardState, Event, EventKind, User

DAYS = 14
SEED = 20261123
SHOWN_SHARE = 0.3  # of the cards, each day
OPEN_RATE = 0.12
SAVE_RATE = 0.02
DISMISS_RATE = 0.015


def seed_demo_activity(db: Session, shopper: User, now: datetime) -> int:
    """Record the demo shopper's past activity once; returns how many events (commits)."""
    if db.exec(select(Event.id).where(Event.user_id == shopper.id).limit(1)).first() is not None:
        return 0
    cards = db.exec(
        select(Card.id, Card.provider_id)
        .where(col(Card.removed_at).is_(None))
        .order_by(col(Card.id))
    ).all()
    rng = random.Random(SEED)  # noqa: S311 (made-up demo numbers, not secrets)
    events: list[dict[str, object]] = []
    states: dict[int, CardState] = {}
    for days_ago in range(DAYS, 0, -1):
        day = now - timedelta(days=days_ago)
        for card_id, provider_id in cards:
            if rng.random() >= SHOWN_SHARE or card_id in states:
                continue
            moment = day + timedelta(minutes=rng.randrange(0, 24 * 60))
            row = {"user_id": shopper.id, "card_id": card_id, "provider_id": provider_id,
                   "detail": {}, "created_at": moment}  # fmt: skip
            events += [{**row, "kind": EventKind.IMPRESSION}] * rng.randint(1, 2)
            if rng.random() < OPEN_RATE:
                events.append({**row, "kind": EventKind.OPEN})
            if rng.random() < SAVE_RATE:
                events.append({**row, "kind": EventKind.SAVE})
                states[card_id] = CardState(user_id=shopper.id, card_id=card_id, saved_at=moment)
            elif rng.random() < DISMISS_RATE:
                events.append({**row, "kind": EventKind.DISMISS})
                states[card_id] = CardState(
                    user_id=shopper.id, card_id=card_id, dismissed_at=moment
                )
    if events:
        db.execute(insert(Event), events)
    db.add_all(states.values())
    db.commit()
    return len(events)
