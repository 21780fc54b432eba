"""The catalog snapshot each process keeps (app.ranking.catalog): what a page can be
made of follows the database, card by card, without reading the catalog again."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, update
from sqlmodel import col

from app.models import Card, CardInterest, Event, Provider, ProviderStatus
from app.ranking import catalog as catalog_module
from app.ranking.catalog import Catalog, read_marks
from app.ranking.rollup import roll_up

SHOES = frozenset({"shoes/running"})


def newest(world, catalog: Catalog, slugs=SHOES, limit: int = 50) -> list[int]:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    snapshot = catalog.current(world.db, now)
    found = snapshot.candidates(slugs, as_of=now, skip=(), limit=limit, max_flights=10)
    return [listing.candidate.card_id for listing in found]


def page_ids(world) -> list[int]:  # type: ignore[no-untyped-def]
    html = world.client.get("/").get_data(as_text=True)
    return [int(i) for i in re.findall(r'data-card-id="(\d+)"', html)]


def test_each_interest_keeps_its_newest_cards_however_many_there_are(world):
    world.cards(world.provider("North"), 5, age_hours=48)  # older
    newer = world.cards(world.provider("South"), 5, age_hours=1)
    catalog = Catalog(["shoes/running"], depth=4)
    # Newest first; the depth bounds what is kept, not what the database holds.
    assert newest(world, catalog) == newer[:4]


def test_cards_stored_updated_or_ended_after_the_snapshot_are_applied_one_by_one(world):
    north = world.provider("North")
    first = world.cards(north, 3)
    catalog = Catalog(["shoes/running", "shoes/hiking"])
    assert set(newest(world, catalog)) == set(first)
    later = world.cards(world.provider("South"), 2, age_hours=0.1)
    assert newest(world, catalog)[:2] == later
    # A card that moves to another interest leaves this one's list.
    world.cards(north, 1, interests=("shoes/hiking",))  # the same external id as first[0]
    assert first[0] not in newest(world, catalog)
    assert newest(world, catalog, frozenset({"shoes/hiking"})) == [first[0]]
    # A card that ended is no longer a candidate.
    world.db.execute(
        update(Card)
        .where(col(Card.id) == later[0])
        .values(ends_at=datetime.now(UTC) - timedelta(minutes=1), updated_at=datetime.now(UTC))
    )
    world.db.commit()
    assert later[0] not in newest(world, catalog)


def test_a_snapshot_with_nothing_changed_reads_no_cards(world):
    world.cards(world.provider("North"), 3)
    catalog = Catalog(["shoes/running"])
    first = catalog.current(world.db, datetime.now(UTC))
    assert catalog.current(world.db, datetime.now(UTC)) is first
    assert first.marks == read_marks(world.db)


def test_a_promotion_that_started_long_ago_still_runs_beside_newer_cards(world):
    promotion = world.provider("Spring sale", kind="promotion", interests=["shoes/running"])
    started = datetime.now(UTC) - timedelta(days=20)
    card = Card(
        provider_id=promotion.id, kind="promotion", external_id="spring", title="Spring sale",
        published_at=started, starts_at=started, ends_at=started + timedelta(days=25),
    )  # fmt: skip
    world.db.add(card)
    world.db.flush()
    world.db.add(CardInterest(card_id=card.id, slug="shoes/running", published_at=started))
    world.db.commit()
    organic = world.cards(world.provider("North"), 6)
    found = newest(world, Catalog(["shoes/running"], depth=3), limit=3)
    assert found[:3] == organic[:3] and len(found) == 4  # three organic, and the promotion


def test_pages_leave_out_cards_deleted_or_suspended_since_the_snapshot(world):
    world.consumer(follows=("shoes",))
    north = world.cards(world.provider("North"), 15, age_hours=1)
    south_provider = world.provider("South")
    south = world.cards(south_provider, 15, age_hours=1.05)
    world.login()
    assert set(page_ids(world)) & set(south)  # the snapshot now holds both
    # Neither change moves card.updated_at: the page notices as it reads its cards.
    world.db.execute(delete(Card).where(col(Card.id).in_(north[:10])))
    world.db.execute(
        update(Provider)
        .where(col(Provider.id) == south_provider.id)
        .values(status=ProviderStatus.SUSPENDED)
    )
    world.db.commit()
    shown = page_ids(world)
    assert shown and set(shown) <= set(north[10:])


def test_popularity_follows_the_rollup(world):
    shopper = world.consumer()
    crowd = world.consumer("crowd@example.com")
    ignored, liked = world.cards(world.provider("North"), 2)
    catalog = Catalog(["shoes/running"])
    snapshot = catalog.current(world.db, datetime.now(UTC))
    assert snapshot.listings[liked].candidate.popularity == 1.0
    provider = world.db.get(Card, liked).provider_id
    shown = [(card, "impression") for card in (ignored, liked) for _ in range(200)]
    opened = [(liked, "open")] * 60
    world.db.execute(
        insert(Event),
        [
            {"user_id": crowd, "card_id": card, "provider_id": provider, "kind": kind,
             "detail": {}, "created_at": datetime.now(UTC), "viewer_rate": 0.1}
            for card, kind in shown + opened
        ],
    )  # fmt: skip
    world.db.commit()
    roll_up(world.db, datetime.now(UTC))
    fresh = catalog.current(world.db, datetime.now(UTC))
    assert fresh.listings[liked].candidate.popularity > 1.0
    assert fresh.listings[ignored].candidate.popularity < 1.0
    assert shopper  # the shopper who will see them has done nothing


def test_a_huge_change_is_taken_in_by_a_rebuild_while_pages_use_the_old_snapshot(
    world, monkeypatch
):
    first = world.cards(world.provider("North"), 2)
    catalog = Catalog(["shoes/running"])
    assert set(newest(world, catalog)) == set(first)
    monkeypatch.setattr(catalog_module, "MAX_APPLIED", 3)
    many = world.cards(world.provider("South"), 5, age_hours=0.1)
    assert set(newest(world, catalog)) == set(first)  # served at once, from what it had
    catalog.wait_for_rebuild()
    assert newest(world, catalog)[:5] == many


def test_a_warmed_up_catalog_serves_its_first_page_without_building(world, monkeypatch):
    cards = world.cards(world.provider("North"), 3)
    catalog = Catalog(["shoes/running"])
    catalog.warm_up(world.app.extensions["plaza.engine"])
    catalog.wait_for_rebuild()

    def no_second_build(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("built again")

    monkeypatch.setattr(Catalog, "_build", no_second_build)
    assert set(newest(world, catalog)) == set(cards)


def test_a_failed_rebuild_is_not_retried_by_every_page(world, monkeypatch, caplog):
    cards = world.cards(world.provider("North"), 2)
    catalog = Catalog(["shoes/running"], rebuild_every=timedelta(0))  # always due
    assert set(newest(world, catalog)) == set(cards)
    attempts = []

    def failing_build(*args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(1)
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Catalog, "_build", failing_build)
    for _ in range(5):
        assert set(newest(world, catalog)) == set(cards)  # the snapshot it has
        catalog.wait_for_rebuild()
    assert len(attempts) == 1
    assert "trying again in a minute" in caplog.text


def test_scheduled_cards_with_the_same_caps_share_one_object_and_keep_their_own_values(world):
    """A snapshot of many promotions and survey questions holds each distinct pair of
    caps once, not a model per card; a provider with other caps keeps its own."""
    now = datetime.now(UTC)
    caps = {"sale": (500, 2), "fair": (500, 2), "flash": (40, 1)}
    ids: dict[str, int] = {}
    for name, (daily, per_consumer) in caps.items():
        provider = world.provider(name, kind="promotion", interests=["shoes/running"])
        card = Card(
            provider_id=provider.id, kind="promotion", external_id=name, title=name,
            published_at=now, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3),
            payload={"daily_impression_cap": daily, "per_consumer_cap": per_consumer},
        )  # fmt: skip
        world.db.add(card)
        world.db.flush()
        world.db.add(CardInterest(card_id=card.id, slug="shoes/running", published_at=now))
        ids[name] = card.id
    world.db.commit()
    listings = Catalog(["shoes/running"], depth=3).current(world.db, now).listings
    held = {name: listings[card_id].caps for name, card_id in ids.items()}
    assert held["sale"] is held["fair"] and held["flash"] is not held["sale"]
    assert {
        name: (c.daily_impression_cap, c.per_consumer_cap) for name, c in held.items() if c
    } == caps
