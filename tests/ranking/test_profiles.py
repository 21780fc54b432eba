"""Ranking profiles read for many consumers at once are exactly those read one by one,
in a fixed number of queries however many consumers there are."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from app.models import (
    CardState,
    ConsumerInterest,
    Event,
    EventKind,
    InterestState,
    ProviderBlock,
    SurveyAnswer,
)
from app.ranking import candidates as feed_query
from app.ranking.candidates import EVENT_HORIZON, load_profile, load_profiles
from tests.statements import recorded_sql

KINDS = [EventKind.IMPRESSION, EventKind.OPEN, EventKind.SAVE, EventKind.UNSAVE,
         EventKind.DISMISS, EventKind.NOT_INTERESTED, EventKind.SHOW_LESS]  # fmt: skip


def mixed_crowd(world, now: datetime) -> list[int]:
    """Consumers who follow, mute, hide, dismiss, answer and act on cards, with events
    beyond the horizon, events at the same instant, and one with none of it."""
    db = world.db
    rng = random.Random(7)
    stride, brew = world.provider("Stride"), world.provider("Brew")
    cards = world.cards(stride, 6, interests=("shoes/running",))
    cards += world.cards(brew, 4, interests=("home/kitchen/coffee", "home/kitchen"))
    people = [world.consumer(f"c{n}@example.com", follows=()) for n in range(8)]
    interests = ["shoes", "shoes/running", "home/kitchen", "sports/camping", "electronics"]
    for user_id in people[:6]:
        for slug in rng.sample(interests, 3):
            state = rng.choice([InterestState.FOLLOW, InterestState.MUTE])
            db.add(ConsumerInterest(user_id=user_id, slug=slug, state=state))
        if rng.random() < 0.5:
            db.add(ProviderBlock(user_id=user_id, provider_id=rng.choice([stride, brew]).id))
        for card_id in rng.sample(cards, 2):
            db.add(CardState(user_id=user_id, card_id=card_id, dismissed_at=now,
                             saved_at=now if rng.random() < 0.5 else None))  # fmt: skip
        db.add(SurveyAnswer(user_id=user_id, card_id=rng.choice(cards), answer={"choices": ["a"]}))
        same_instant = now - timedelta(hours=rng.randint(1, 48))
        for n in range(rng.randint(5, 40)):
            card_id = rng.choice(cards)
            kind = rng.choice(KINDS)
            at = same_instant if n % 3 == 0 else now - timedelta(hours=rng.uniform(0, 24 * 120))
            detail = {"interest": "shoes/running"} if kind == EventKind.NOT_INTERESTED else {}
            provider_id = stride.id if card_id in cards[:6] else brew.id
            db.add(Event(user_id=user_id, card_id=card_id, provider_id=provider_id, kind=kind,
                         detail=detail, created_at=at))  # fmt: skip
    # Someone who only saved cards long ago: nothing inside the horizon counts.
    long_ago = now - EVENT_HORIZON - timedelta(days=1)
    for card_id in cards[:3]:
        db.add(Event(user_id=people[6], card_id=card_id, provider_id=stride.id,
                     kind=EventKind.SAVE, created_at=long_ago))  # fmt: skip
    db.commit()
    return people  # people[7] has done nothing at all


def test_batched_profiles_are_the_one_by_one_profiles(world, monkeypatch):
    now = datetime.now(UTC)
    people = mixed_crowd(world, now)
    taxonomy = world.app.extensions["plaza.taxonomy"]
    # A small event limit, so that the busiest consumers' oldest events fall outside it.
    monkeypatch.setattr(feed_query, "MAX_EVENTS", 12)
    one_by_one = {u: load_profile(world.db, u, taxonomy=taxonomy, now=now) for u in people}
    assert load_profiles(world.db, people, taxonomy=taxonomy, now=now) == one_by_one
    assert load_profiles(world.db, reversed(people[2:5]), taxonomy=taxonomy, now=now) == {
        u: one_by_one[u] for u in people[2:5]
    }
    # The crowd is varied: the comparison covers every part of a profile.
    profiles = one_by_one.values()
    for part in ("follows", "muted", "hidden_providers", "dismissed", "answered"):
        assert sum(bool(getattr(p, part)) for p in profiles) >= 2, part
    assert sum(bool(p.affinities.providers) for p in profiles) >= 5
    assert one_by_one[people[6]] == one_by_one[people[7]]  # only stale events: nothing


def test_the_limit_keeps_each_consumers_newest_events(world, monkeypatch):
    now = datetime.now(UTC)
    people = mixed_crowd(world, now)
    taxonomy = world.app.extensions["plaza.taxonomy"]
    everything = load_profiles(world.db, people, taxonomy=taxonomy, now=now)
    monkeypatch.setattr(feed_query, "MAX_EVENTS", 3)
    newest = load_profiles(world.db, people, taxonomy=taxonomy, now=now)
    assert newest == {u: load_profile(world.db, u, taxonomy=taxonomy, now=now) for u in people}
    assert [u for u in people if newest[u] != everything[u]] == people[:6]


def test_a_batch_costs_the_same_queries_for_three_consumers_or_eight(world):
    now = datetime.now(UTC)
    people = mixed_crowd(world, now)
    taxonomy = world.app.extensions["plaza.taxonomy"]
    with recorded_sql(world.app.extensions["plaza.engine"]) as statements:
        costs = []
        for batch in (people[:3], people):
            statements.clear()
            load_profiles(world.db, batch, taxonomy=taxonomy, now=now)
            costs.append(len(statements))
    assert costs == [8, 8]  # the same eight whatever the batch (the eighth: feed settings)
    assert load_profiles(world.db, [], taxonomy=taxonomy, now=now) == {}
