"""The request path reads each thing once: a feed page, the "Why?" panel and a card
redrawn after an action read every table they need in a fixed number of statements,
however many cards are on the page, and load the shopper's profile once."""

from __future__ import annotations

import re

from tests.statements import statements

HX = {"HX-Request": "true"}


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
    # The cards' sources and organisations, read once for the page (no popular cards).
    assert seen["SELECT", "provider"] == 1 and seen["SELECT", "organization"] == 1


def test_a_thin_first_page_fills_up_with_popular_cards_on_the_profile_it_read(world):
    world.consumer(follows=("shoes",))
    world.cards(world.provider("Northwind"), 3, interests=("shoes/running",))
    world.cards(world.provider("Southwind"), 20, interests=("home/kitchen",))
    world.login()
    assert world.client.get("/").status_code == 200  # the process's catalog snapshot is built
    with statements(world.app) as seen:
        page = world.client.get("/").get_data(as_text=True)
    assert "here are popular cards" in page
    assert len(re.findall(r'data-card-id="\d+"', page)) == 20
    # The profile is read once: ranking's read serves the popular cards too.
    for table in ("consumer_interest", "provider_block", "feed_preference", "survey_answer"):
        assert seen["SELECT", table] == 1, table
    # The page's own cards and the popular ones are drawn together.
    assert seen["SELECT", "provider"] == 1 and seen["SELECT", "organization"] == 1


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


def test_a_first_page_reads_the_shoppers_visit_row_once(world):
    """When they last came (for "Since your last visit") and the page the worker
    prepared come from one row, read once, on a first visit and on the next."""
    a_shopper_with_a_full_feed(world)
    world.login()
    for _ in range(2):
        with statements(world.app) as seen:
            assert world.client.get("/").status_code == 200
        assert seen["SELECT", "prepared_feed"] == 1
