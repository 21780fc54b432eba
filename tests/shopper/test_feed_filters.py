"""Filter chips above the feed (All, Deals, New, Videos, Boards): they narrow the feed in
place, scrolling keeps the filter, an empty filter says so with a way back to All, and
a filter Plaza does not have is a clear 400."""

from __future__ import annotations

import html
from typing import Any

import pytest

from tests.shopper.test_feed import card_ids, next_url, scroll_all
from tests.statements import statements

HX = {"HX-Request": "true"}


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def shelves(world: Any) -> dict[str, list[int]]:
    """A signed-in shopper whose feed holds deals (more than a page of them), products at
    full price a few days old, and videos."""
    world.consumer(follows=("shoes",))
    shop = world.provider("Shop")
    deals = world.cards(shop, 25, price="80.00", sale_price="59.00")
    full = world.cards(shop, 10, start=100, age_hours=72)
    tube = world.provider("Tube", kind="youtube")
    videos = world.cards(tube, 4, age_hours=80, price=None, currency=None)
    world.login()
    return {"deals": deals, "full": full, "videos": videos}


def test_the_chips_are_links_that_work_without_javascript(world, shelves):
    page = text(world.client.get("/"))
    for label, href in (("All", "/"), ("Deals", "/?only=deals"), ("New", "/?only=new"),
                        ("Videos", "/?only=videos"), ("Boards", "/?only=boards")):  # fmt: skip
        assert f'href="{href}"' in page and f">{label}</a>" in page
    assert 'aria-current="page">All</a>' in page
    deals = text(world.client.get("/?only=deals"))
    assert "<html" in deals and 'aria-current="page">Deals</a>' in deals
    assert set(card_ids(deals)) <= set(shelves["deals"]) and len(card_ids(deals)) == 20


def test_a_chip_swaps_the_card_list_in_place_and_scrolling_keeps_its_filter(world, shelves):
    first = world.client.get("/?only=deals", headers=HX)
    body = text(first)
    assert first.status_code == 200 and "<html" not in body
    assert "HX-Request" in first.headers["Vary"]
    assert 'id="feed"' in body and 'aria-current="page">Deals</a>' in body
    assert 'hx-push-url="true"' in body
    assert next_url(body) is not None
    assert sorted(scroll_all(world.client, body)) == sorted(shelves["deals"])  # once each
    # Without JavaScript the "More cards" link keeps the filter too.
    more = world.client.get(next_url(body) or "")
    assert "<html" in text(more) and set(card_ids(text(more))) <= set(shelves["deals"])


def test_new_and_videos_narrow_the_feed(world, shelves):
    new = card_ids(text(world.client.get("/?only=new")))
    assert new and set(new) <= set(shelves["deals"])  # the full-price ones are days old
    videos = card_ids(text(world.client.get("/?only=videos")))
    assert sorted(videos) == sorted(shelves["videos"])


def test_a_filter_that_leaves_nothing_offers_one_tap_back_to_all(world, shelves):
    for headers in ({}, HX):
        empty = text(world.client.get("/?only=boards", headers=headers))
        assert card_ids(empty) == []
        assert "No boards right now" in empty
        assert '<a class="button" href="/" hx-get="/"' in empty
        assert "Show all cards" in empty


def test_a_filter_for_a_kind_turned_off_says_where_to_turn_it_back_on(world, shelves):
    from tests.shopper.test_feed_settings import save

    assert "You turned videos off" not in text(world.client.get("/?only=videos"))
    save(world, **{"kind.youtube": "none"})
    empty = text(world.client.get("/?only=videos"))
    assert card_ids(empty) == [] and "No videos right now" in empty
    assert 'You turned videos off. <a href="/settings/feed">' in empty


def test_an_unknown_filter_is_a_clear_400(world, shelves):
    for headers in ({}, HX):
        refused = world.client.get("/?only=cheap", headers=headers)
        assert refused.status_code == 400
        assert "The feed can show only deals, new, videos, boards, or everything" in text(refused)


def test_a_filtered_feed_keeps_the_shoppers_settings(world, shelves):
    from tests.shopper.test_feed_settings import save

    save(world, in_stock_only="1")
    outlet = world.provider("Outlet")
    world.cards(outlet, 2, sale_price="10.00", availability="out_of_stock")
    shown = scroll_all(world.client, text(world.client.get("/?only=deals")))
    assert sorted(shown) == sorted(shelves["deals"])  # not the deals out of stock


def test_back_to_a_filtered_address_htmx_no_longer_holds_gets_the_whole_page(world, shelves):
    restore = {**HX, "HX-History-Restore-Request": "true"}
    page = text(world.client.get("/?only=deals", headers=restore))
    assert "<html" in page and 'aria-current="page">Deals</a>' in page


def test_a_filter_costs_the_feed_no_query_of_its_own(world, shelves):
    world.client.get("/")  # the catalog snapshot is built
    with statements(world.app) as everything:
        world.client.get("/", headers=HX)
    with statements(world.app) as deals:
        world.client.get("/?only=deals", headers=HX)
    assert set(deals) <= set(everything)
    assert all(deals[statement] <= everything[statement] for statement in deals)


def price_drops(world: Any) -> dict[str, list[int]]:
    """A shop whose items got cheaper: some today ("fresh"), some longer ago than the
    "Price dropped" badge's week ("old", one of them also on sale), and some at full
    price; the shopper follows them."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import select

    from app.config import PRICE_DROP_BADGE_FOR
    from app.models import Card

    world.consumer(follows=("shoes",))
    shop = world.provider("Shop")
    world.cards(shop, 4, price="60.00")
    fresh = world.cards(shop, 2, price="45.00")  # the same items, cheaper: dropped now
    old = world.cards(shop, 2, start=2, price="45.00")
    world.cards(shop, 1, start=10, price="90.00")
    old_on_sale = world.cards(shop, 1, start=10, price="80.00", sale_price="59.00")
    full_price = world.cards(shop, 3, start=20)
    long_ago = (datetime.now(UTC) - PRICE_DROP_BADGE_FOR - timedelta(days=1)).isoformat()
    for card in world.db.exec(select(Card).where(Card.id.in_(old + old_on_sale))):  # type: ignore[union-attr]
        assert card.badge == "price_drop"
        card.payload = {**card.payload, "price_dropped_at": long_ago}
    world.db.commit()
    return {"fresh": fresh, "old": old, "old_on_sale": old_on_sale, "full_price": full_price}


def test_a_price_drop_is_a_deal_exactly_while_its_badge_shows(world):
    """One rule for "Price dropped" and for deals: a drop older than the badge's week is
    neither, though a sale price below the list price still makes a card a deal."""
    from datetime import UTC, datetime

    from sqlmodel import select

    from app.models import Card
    from app.shopper.badges import card_badges
    from tests.shopper.test_feed_settings import save
    from tests.shopper.test_search import found

    drops = price_drops(world)
    fresh, old, old_on_sale = drops["fresh"], drops["old"], drops["old_on_sale"]
    full_price = drops["full_price"]
    now = datetime.now(UTC)

    cards = {
        c.id: c for c in world.db.exec(select(Card).where(Card.id.in_(fresh + old + old_on_sale)))
    }  # type: ignore[union-attr]
    badged = {
        i for i, c in cards.items() if "Price dropped" in [b.text for b in card_badges(c, now)]
    }
    assert badged == set(fresh)
    deals = set(fresh + old_on_sale)
    world.login()
    assert set(card_ids(text(world.client.get("/")))) >= set(old + full_price)
    assert set(card_ids(text(world.client.get("/?only=deals")))) == deals
    save(world, deals_only="1")
    assert set(card_ids(text(world.client.get("/")))) == deals
    assert set(found(world, "item")) == deals


def test_a_price_drop_lifts_a_card_and_is_its_reason_only_while_it_is_news(world):
    """The ranking's lift for a price drop, and "Price dropped" under "Why?", end with the
    badge's week: an old drop neither pushes a card up nor is given as its reason."""
    drops = price_drops(world)
    world.login()
    for card in drops["fresh"]:
        assert "Price dropped" in text(world.client.get(f"/cards/{card}/why", headers=HX))
    for card in drops["old"]:
        why = text(world.client.get(f"/cards/{card}/why", headers=HX))
        assert "<li>Because you follow Shoes</li>" in why
        assert "Price dropped" not in why
    # Lifted, the fresh drops come first among the same shop's otherwise equal items.
    order = card_ids(text(world.client.get("/")))
    assert order.index(drops["fresh"][0]) < min(order.index(card) for card in drops["old"])


def test_new_is_one_rule_for_the_badge_the_chip_and_the_lift(world):
    """A card is new for its first days after the earlier of when it was published and when
    Plaza first stored it: a shop's back catalog stored today is not news, nor is an item
    whose feed moves its date on days later; a new item whose price dropped, or rose
    again, is still new. The badge, the New chip and the ranking's lift (a "New" reason
    under "Why?", or "Price dropped" for the stronger lift of a drop) agree on every card."""
    from datetime import UTC, datetime, timedelta

    import time_machine
    from sqlmodel import select

    from app.models import Card
    from app.shopper.badges import card_badges

    world.consumer(follows=("shoes",))
    shop = world.provider("Shop")
    with time_machine.travel(datetime.now(UTC) - timedelta(days=5)):
        redated = world.cards(shop, 3, start=0)  # first stored five days ago...
    world.cards(shop, 3, start=0, age_hours=0)  # ...and dated today by its feed since
    fresh = world.cards(shop, 3, start=10)
    back_catalog = world.cards(shop, 3, start=20, age_hours=24 * 30)  # stored just now
    world.cards(shop, 2, start=30, price="60.00")
    dropped = world.cards(shop, 2, start=30, price="45.00")
    world.cards(shop, 2, start=40, price="60.00")
    world.cards(shop, 2, start=40, price="45.00")
    back_up = world.cards(shop, 2, start=40, price="60.00")  # no drop to tell any more
    now = datetime.now(UTC)
    world.db.expire_all()
    cards = world.db.exec(select(Card).where(Card.provider_id == shop.id)).all()
    badged = {c.id for c in cards if "New" in [b.text for b in card_badges(c, now)]}
    assert badged == set(fresh + dropped + back_up)

    world.login()
    assert set(card_ids(text(world.client.get("/?only=new")))) == badged
    for card in fresh + back_up:
        assert "<li>New</li>" in text(world.client.get(f"/cards/{card}/why", headers=HX))
    for card in dropped:
        assert "Price dropped" in text(world.client.get(f"/cards/{card}/why", headers=HX))
    for card in redated + back_catalog:
        assert "<li>New</li>" not in text(world.client.get(f"/cards/{card}/why", headers=HX))
