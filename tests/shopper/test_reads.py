"""The request path reads each thing once: a feed page, the "Why?" panel and a card
redrawn after an action read every table they need in a fixed number of statements,
however many cards are on the page, and load the shopper's profile once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

HX = {"HX-Request": "true"}
STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.S
)


@contextmanager
def statements(app) -> Iterator[Counter[tuple[str, str]]]:  # type: ignore[no-untyped-def]
    """(verb, table) -> how many statements a block ran."""
    seen: Counter[tuple[str, str]] = Counter()

    def count(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        match = STATEMENT.match(statement)
        if match:
            seen[match.group(1).upper(), match.group(2)] += 1

    engine = app.extensions["plaza.engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def a_shopper_with_a_full_feed(world) -> list[int]:  # type: ignore[no-untyped-def]
    world.consumer(follows=("shoes",))
    cards = world.cards(world.provider("Northwind"), 15, interests=("shoes/running",))
    cards += world.cards(world.provider("Southwind"), 15, interests=("shoes/hiking",))
    return cards


def test_a_feed_page_reads_its_cards_once_and_writes_its_impressions_at_once(world):
    a_shopper_with_a_full_feed(world)
    world.login()
    assert world.client.get("/").status_code == 200  # the process's catalog snapshot is built
    with statements(world.app) as seen:
        page = world.client.get("/")
    assert page.status_code == 200
    assert len(re.findall(r'data-card-id="\d+"', page.get_data(as_text=True))) == 20
    # The catalog's marks (nothing changed), then the page's twenty cards, read once.
    assert seen["SELECT", "card"] == 2
    assert seen["SELECT", "card_interest"] == 1  # of the events' cards, for the profile
    assert seen["SELECT", "consumer_interest"] == 1  # the profile, once
    assert seen["INSERT", "event"] == 1  # twenty impressions, one statement


def test_a_new_card_reaches_the_next_page_without_rebuilding_the_catalog(world):
    a_shopper_with_a_full_feed(world)
    world.login()
    assert world.client.get("/").status_code == 200
    (newest,) = world.cards(world.provider("Eastwind"), 1, interests=("shoes",), age_hours=0)
    with statements(world.app) as seen:
        page = world.client.get("/").get_data(as_text=True)
    assert str(newest) in re.findall(r'data-card-id="(\d+)"', page)
    # The marks, the one changed card, and the page's cards: not the whole catalog again.
    assert seen["SELECT", "card"] == 4  # marks, how many changed, the changed one, the page


def test_the_why_panel_loads_the_profile_once(world):
    cards = a_shopper_with_a_full_feed(world)
    world.login()
    with statements(world.app) as seen:
        panel = world.client.get(f"/cards/{cards[0]}/why", headers=HX)
    assert "Because you follow Shoes" in panel.get_data(as_text=True)
    assert seen["SELECT", "consumer_interest"] == 1
    assert seen["SELECT", "provider_block"] == 1
    assert seen["SELECT", "card_interest"] <= 2  # the card's, and the events' cards'
    assert seen["SELECT", "provider"] == 1 and seen["SELECT", "organization"] == 1


def test_a_card_redrawn_after_saving_loads_the_profile_once(world):
    cards = a_shopper_with_a_full_feed(world)
    token = world.login()
    for action in ("save", "unsave"):
        with statements(world.app) as seen:
            redrawn = world.client.post(
                f"/cards/{cards[0]}/{action}", data={"csrf_token": token}, headers=HX
            )
        assert redrawn.status_code == 200 and "Because you follow Shoes" in redrawn.get_data(
            as_text=True
        )
        assert seen["SELECT", "consumer_interest"] == 1
        assert seen["SELECT", "provider_block"] == 1
        assert seen["SELECT", "card"] == 1
