"""Who hears about new cards and price drops, and how: the feed's own ranking decides, for
a crowd of consumers whose profiles differ in every way the ranking reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.models import (
    CardState,
    ConsumerInterest,
    Event,
    EventKind,
    InterestState,
    ProviderBlock,
    User,
)
from app.models.notifications import Notification
from app.notifications import candidates
from app.notifications.candidates import enqueue_card_news
from app.notifications.config import notify_config
from app.taxonomy_store import taxonomy


def enqueue(notify, now: datetime) -> None:
    with notify.app.app_context():
        enqueue_card_news(notify.db, now, taxonomy(), notify_config(notify.app))


def crowd(world, notify, db, now: datetime) -> dict[str, int]:
    """Consumers who follow, mute, hide, save and open, and the news they get:
    two new Northwind cards about running shoes and a cheaper saved kitchen card."""
    people = {
        name: notify.consumer(world, f"{name}@example.com", follows=follows)
        for name, follows in (
            ("runner", ("shoes/running",)),
            ("fan", ("shoes",)),
            ("browser", ("shoes",)),
            ("muter", ("shoes",)),
            ("hider", ("shoes/running",)),
            ("saver", ("home",)),
            ("stranger", ("electronics",)),
        )
    }
    for user_id in people.values():
        notify.subscribe(user_id)
    enqueue(notify, now)  # the first run only sets where the scan starts
    northwind, brew = world.provider(), world.provider("Brew")
    older = world.cards(northwind, 3, interests=("shoes/running",), age_hours=48)
    (kettle, *pans) = world.cards(brew, 4, interests=("home/kitchen",))
    db.add(ConsumerInterest(user_id=people["muter"], slug="shoes/running",
                            state=InterestState.MUTE))  # fmt: skip
    db.add(ProviderBlock(user_id=people["hider"], provider_id=northwind.id))
    db.add(CardState(user_id=people["saver"], card_id=kettle, saved_at=now))
    # The fan saved and opened Northwind's running shoes; the browser opens kitchen pans
    # but only ever scrolled past the running shoes.
    for card_id in pans:
        for kind in (EventKind.IMPRESSION, EventKind.OPEN):
            db.add(_event(people["browser"], card_id, brew.id, kind, now - timedelta(hours=30)))
    for card_id in older:
        for kind in (EventKind.OPEN, EventKind.SAVE):
            db.add(_event(people["fan"], card_id, northwind.id, kind, now - timedelta(days=2)))
        for hours in (30, 20, 10):
            db.add(_event(people["browser"], card_id, northwind.id, EventKind.IMPRESSION,
                          now - timedelta(hours=hours)))  # fmt: skip
    db.commit()
    enqueue(notify, now + timedelta(minutes=1))  # the older cards: handled, not news any more
    db.exec(Notification.__table__.delete())  # type: ignore[attr-defined]
    db.commit()
    world.cards(northwind, 2, start=10, interests=("shoes/running",), age_hours=0.1)
    world.cards(brew, 1, price="40.00", interests=("home/kitchen",))
    return people


def _event(user_id: int, card_id: int, provider_id: int, kind: str, at: datetime) -> Event:
    return Event(user_id=user_id, card_id=card_id, provider_id=provider_id, kind=kind,
                 created_at=at)  # fmt: skip


def outbox(db, people: dict[str, int]) -> dict[str, list[tuple[str, str, str, str]]]:
    """(channel, subject kind, mode, state) of every row, per consumer."""
    names = {user_id: name for name, user_id in people.items()}
    db.expire_all()
    rows = db.exec(
        select(Notification).order_by(
            col(Notification.user_id), col(Notification.channel), col(Notification.subject)
        )
    ).all()
    found: dict[str, list[tuple[str, str, str, str]]] = {}
    for row in rows:
        kind = row.subject.split(":", 1)[0]
        found.setdefault(names[row.user_id], []).append((row.channel, kind, row.mode, row.state))
    return found


EXPECTED = {
    # A full match goes out at once: in Plaza now, the push is due; email waits for the
    # weekly digest.
    "runner": [("email", "card", "weekly", "waiting")] * 2
    + [("in_app", "card", "instant", "sent")] * 2
    + [("push", "card", "instant", "pending")] * 2,
    # Following all of shoes is a partial match, but having opened and saved the
    # provider's running shoes lifts it over the line.
    "fan": [("email", "card", "weekly", "waiting")] * 2
    + [("in_app", "card", "instant", "sent")] * 2
    + [("push", "card", "instant", "pending")] * 2,
    # The same partial match without that history waits for the daily digest.
    "browser": [("email", "card", "weekly", "waiting")] * 2
    + [("in_app", "card", "daily", "waiting")] * 2
    + [("push", "card", "daily", "waiting")] * 2,
    # The saved kettle got cheaper: urgent, though it is about no interest they follow.
    "saver": [
        ("email", "price", "weekly", "waiting"),
        ("in_app", "price", "instant", "sent"),
        ("push", "price", "instant", "pending"),
    ],
    # The muter, the hider and the stranger hear nothing.
}


@pytest.mark.parametrize("batch", [1, 2, candidates.PROFILE_BATCH])
def test_the_feeds_ranking_decides_who_hears_what(world, notify, db, monkeypatch, batch):
    """The same outbox, whether profiles are read one consumer at a time or many at once."""
    monkeypatch.setattr(candidates, "PROFILE_BATCH", batch)
    now = datetime.now(UTC)
    people = crowd(world, notify, db, now)
    enqueue(notify, now + timedelta(minutes=2))
    assert outbox(db, people) == EXPECTED


def test_a_promotion_alone_in_the_news_reaches_the_shoppers_it_targets(world, notify, db):
    """Whether a promotion is news for someone is its targeting's call, not whether
    enough ordinary cards came in at the same time to give it a sponsored slot."""
    now = datetime.now(UTC)
    people = {
        "runner": notify.consumer(world, "runner@example.com", follows=("shoes/running",)),
        "cook": notify.consumer(world, "cook@example.com", follows=("home/kitchen",)),
    }
    enqueue(notify, now)  # the first run only sets where the scan starts
    sponsor = world.provider("Trail Days", kind="promotion")
    world.cards(sponsor, 1, interests=("shoes/running",), age_hours=0.1)
    enqueue(notify, now + timedelta(minutes=2))
    heard = outbox(db, people)
    assert {kind for _, kind, _, _ in heard["runner"]} == {"card"}
    assert ("in_app", "card", "instant", "sent") in heard["runner"]
    assert "cook" not in heard


def test_a_deactivated_account_hears_nothing_of_a_price_drop_it_saved(world, notify, db):
    """Staff removed the account: what it saved must not keep notifying it."""
    now = datetime.now(UTC)
    people = {
        "saver": notify.consumer(world, "saver@example.com", follows=("home",)),
        "gone": notify.consumer(world, "gone@example.com", follows=("home",)),
    }
    enqueue(notify, now)
    brew = world.provider("Brew")
    (kettle,) = world.cards(brew, 1, interests=("home/kitchen",))
    for user_id in people.values():
        db.add(CardState(user_id=user_id, card_id=kettle, saved_at=now))
    db.get(User, people["gone"]).active = False
    db.commit()
    enqueue(notify, now + timedelta(minutes=1))
    db.exec(Notification.__table__.delete())  # type: ignore[attr-defined]
    db.commit()
    world.cards(brew, 1, price="40.00", interests=("home/kitchen",))
    enqueue(notify, now + timedelta(minutes=2))
    heard = outbox(db, people)
    assert ("in_app", "price", "instant", "sent") in heard["saver"]
    assert "gone" not in heard
