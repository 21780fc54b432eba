"""The home feed at its edges, as a shopper sees it: a long history, hundreds of
followed interests, nothing followed any more, a catalog where every card is about
everything the shopper follows. Rows are bulk-inserted so that each test stays fast."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, event, func, insert, literal
from sqlmodel import col, select

from app.models import Card, CardInterest, Event, EventKind, InterestState
from app.shopper.interests import set_interest_state
from cards.taxonomy import Taxonomy

CARD_ID = re.compile(r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"')
NEXT = re.compile(r'hx-get="(/feed\?cursor=[^"]+)"')
TOPICS = [f"hobbies/topic-{n:03d}" for n in range(1, 301)]


@pytest.fixture(scope="module")
def test_taxonomy(test_taxonomy: Taxonomy) -> Taxonomy:
    """The suite's interests and 300 more, so that a shopper can follow 300."""
    rows = [{"slug": i.slug, "name": i.name, "aliases": ";".join(i.aliases)} for i in test_taxonomy]
    rows.append({"slug": "hobbies", "name": "Hobbies", "aliases": ""})
    rows += [{"slug": slug, "name": f"Topic {slug[-3:]}", "aliases": ""} for slug in TOPICS]
    return Taxonomy.from_rows(rows)


def card_ids(html: str) -> list[int]:
    return [int(i) for i in CARD_ID.findall(html)]


def next_url(html: str) -> str | None:
    match = NEXT.search(html)
    return match.group(1).replace("&amp;", "&") if match else None


def pages(client, count: int) -> list[list[int]]:  # type: ignore[no-untyped-def]
    """The cards of the first ``count`` pages, scrolling as htmx does."""
    html = client.get("/").get_data(as_text=True)
    seen = [card_ids(html)]
    while len(seen) < count and (url := next_url(html)):
        html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        seen.append(card_ids(html))
    return seen


def bulk_cards(world, provider, count: int, interests: list[str], *, one_each: bool = False):  # type: ignore[no-untyped-def]
    """``count`` product cards about ``interests`` (or, ``one_each``, card n about the
    n-th interest), newest first, inserted in bulk; returns their ids in that order."""
    now = datetime.now(UTC)
    world.db.execute(
        insert(Card),
        [
            {
                "provider_id": provider.id,
                "kind": "product_feed",
                "external_id": f"bulk-{n}",
                "title": f"Bulk item {n}",
                "summary": "",
                "url": f"https://shop.example/bulk/{n}",
                "payload": {"price": "25.00", "currency": "USD"},
                "published_at": now - timedelta(minutes=n + 1),
                "first_seen_at": now - timedelta(minutes=n + 1),
                "updated_at": now - timedelta(minutes=n + 1),
            }
            for n in range(count)
        ],
    )
    number = {f"bulk-{n}": n for n in range(count)}
    rows = world.db.exec(
        select(Card.id, Card.external_id).where(Card.provider_id == provider.id)
    ).all()
    ids = [card_id for card_id, _ in sorted(rows, key=lambda row: number[row[1]])]
    if one_each:
        rows = [{"card_id": i, "slug": slug} for i, slug in zip(ids, interests, strict=False)]
        world.db.execute(insert(CardInterest), rows)
    else:  # every card about every interest: one INSERT ... SELECT per interest
        for slug in interests:
            world.db.execute(
                insert(CardInterest).from_select(
                    ["card_id", "slug"],
                    select(col(Card.id), literal(slug)).where(Card.provider_id == provider.id),
                )
            )
    world.db.commit()
    return ids


def test_fifty_thousand_events_first_page_and_next(world):
    user_id = world.consumer(follows=("shoes",))
    provider = world.provider()
    history = world.cards(provider, 100, age_hours=24 * 20)  # what they saw and used
    fresh = world.cards(provider, 60, start=1000)  # new since, never shown
    # 2,000 events over the last 120 days, then the same again 24 times by INSERT ...
    # SELECT (quick on both databases): 50,000, up to today.
    now = datetime.now(UTC)
    kinds = [EventKind.OPEN, EventKind.IMPRESSION, EventKind.SAVE, EventKind.IMPRESSION]
    world.db.execute(
        insert(Event),
        [
            {
                "user_id": user_id,
                "card_id": history[n % len(history)],
                "provider_id": provider.id,
                "kind": kinds[n % len(kinds)],
                "feed_session": f"old{n // 20:05d}",
                "detail": {},
                "created_at": now - timedelta(days=120) + timedelta(hours=1.44 * n),
            }
            for n in range(2_000)
        ],
    )
    last = world.db.exec(select(func.max(Event.id)).where(Event.user_id == user_id)).one()
    copied = ["user_id", "card_id", "provider_id", "kind", "feed_session", "detail", "created_at"]
    originals = select(*(col(getattr(Event, name)) for name in copied)).where(
        Event.user_id == user_id, col(Event.id) <= last
    )
    for _ in range(24):
        world.db.execute(insert(Event).from_select(copied, originals))
    world.db.commit()
    mine = select(func.count()).select_from(Event).where(Event.user_id == user_id)
    assert world.db.exec(mine).one() == 50_000
    world.login()

    first, second = pages(world.client, 2)
    assert len(first) == len(second) == 20
    assert not set(first) & set(second)
    # What is new to them comes before what they have seen hundreds of times.
    assert set(first + second) <= set(fresh)


def test_three_hundred_followed_interests(world):
    world.consumer(follows=tuple(TOPICS))
    provider = world.provider()
    # A card about each topic, and the topics' cards only: the feed draws on all 300.
    ids = bulk_cards(world, provider, len(TOPICS), TOPICS, one_each=True)
    world.login()

    first, second, third = pages(world.client, 3)
    assert len(first) == len(second) == len(third) == 20
    assert len(set(first + second + third)) == 60
    assert set(first + second + third) <= set(ids)
    interests = world.client.get("/interests")
    assert interests.status_code == 200
    assert "Topic 300" in interests.get_data(as_text=True)


def test_every_follow_muted_gets_a_page_that_says_what_to_do(world, app):
    user_id = world.consumer(follows=("shoes", "home/kitchen"))
    world.cards(world.provider(), 10, interests=("shoes/running",))
    with app.app_context():
        for slug in ("shoes", "home/kitchen"):
            set_interest_state(world.db, user_id, slug, InterestState.MUTE)
        world.db.commit()
    world.login()

    response = world.client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert card_ids(html) == []  # popular cards too respect the mutes
    assert "No cards to show you right now" in html
    assert 'href="/interests"' in html  # where to choose interests again
    assert next_url(html) is None


def test_a_muted_child_leaves_nothing_of_a_followed_parent(world, app):
    """Following shoes but muting running shoes, when every card is about running shoes."""
    user_id = world.consumer(follows=("shoes",))
    world.cards(world.provider(), 10, interests=("shoes/running",))
    with app.app_context():
        set_interest_state(world.db, user_id, "shoes/running", InterestState.MUTE)
        world.db.commit()
    world.login()

    html = world.client.get("/").get_data(as_text=True)
    assert card_ids(html) == []
    assert "No cards to show you right now" in html


def test_no_interests_left_at_all_gets_popular_cards_and_says_so(world, app):
    from sqlmodel import delete

    from app.models import ConsumerInterest

    user_id = world.consumer(follows=("shoes",))
    ids = world.cards(world.provider(), 5)
    world.db.execute(delete(ConsumerInterest).where(col(ConsumerInterest.user_id) == user_id))
    world.db.commit()
    world.login()

    response = world.client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sorted(card_ids(html)) == sorted(ids)
    assert "Not much yet for your interests — here are popular cards." in html
    assert "Popular with shoppers like you" in html
    assert "No cards to show you right now" not in html


def test_every_card_about_every_interest_never_repeats_across_pages(world):
    follows = ("shoes/running", "sports/running", "sports/camping", "home/kitchen")
    world.consumer(follows=follows)
    ids = bulk_cards(world, world.provider(), 5_000, list(follows))
    world.login()

    shown = pages(world.client, 6)
    assert [len(page) for page in shown] == [20] * 6
    flat = [card for page in shown for card in page]
    assert len(flat) == len(set(flat)) == 120
    assert set(flat) <= set(ids)


def test_a_card_pruned_while_its_page_is_drawn_leaves_the_page_whole(world, app):
    """Housekeeping in another process may delete a card after the page read it and
    before the page records what it showed: the page is still served, and the
    shopper's other impressions are kept."""
    world.consumer(follows=("shoes",))
    shown = world.cards(world.provider("North"), 5, age_hours=1)
    world.login()
    engine = app.extensions["plaza.engine"]
    pruned: list[int] = []

    def prune_one_card_first(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "INSERT INTO event" in statement and not pruned:
            pruned.append(shown[0])
            with engine.begin() as other:
                other.execute(delete(Card).where(col(Card.id) == shown[0]))

    event.listen(engine, "before_cursor_execute", prune_one_card_first)
    try:
        response = world.client.get("/")
    finally:
        event.remove(engine, "before_cursor_execute", prune_one_card_first)

    assert pruned and response.status_code == 200
    recorded = world.db.exec(
        select(Event.card_id).where(col(Event.kind) == EventKind.IMPRESSION)
    ).all()
    assert set(recorded) == set(shown[1:])
