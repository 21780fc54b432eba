"""A product card's badges and stock state say something true: the sale's saving in
whole percent, a price drop while it is recent and holds, "New" only for a few days
after the card was published and first stored, and each stock state in its own words
and colour."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.config import NEW_BADGE_FOR, PRICE_DROP_BADGE_FOR
from app.models import Card
from app.shopper.badges import STOCK_WORDS, card_badges, discount_percent, stock_state

STORED = datetime(2026, 3, 28, 23, 30, 20, tzinfo=UTC)  # the night before clocks change


def product(**payload: Any) -> Card:
    """A product card first stored (and last changed) at :data:`STORED`."""
    return Card(
        provider_id=1, kind="product_feed", external_id="p", title="Trail shoe",
        payload={"price": "100.00", "currency": "USD", **payload},
        first_seen_at=STORED, updated_at=STORED, published_at=STORED,
    )  # fmt: skip


def texts(card: Card, now: datetime) -> list[str]:
    return [badge.text for badge in card_badges(card, now)]


@pytest.mark.parametrize(
    ("price", "sale", "percent"),
    [
        ("100.00", "80.00", 20),
        ("149.00", "126.65", 15),
        ("100.00", "80.50", 19),  # 19.5% is not promised as 20%
        ("59.99", "47.99", 20),  # 20.003%
        ("100.00", "95.00", 5),  # the threshold itself
        ("100.00", "95.01", None),  # 4.99%: too little to shout about
        ("100.00", "100.00", None),
        ("100.00", "120.00", None),  # a "sale" dearer than the price
        ("0", "0", None),
        (None, "10.00", None),
        ("about 100", "80.00", None),
        ("NaN", "80.00", None),
    ],
)
def test_a_sale_shows_its_saving_rounded_down_from_five_percent(price, sale, percent):
    assert discount_percent(price, sale) == percent


def test_the_saving_badge_reads_with_a_minus_sign_and_is_spoken_as_percent_off():
    (badge, *_) = card_badges(product(sale_price="75.00"), STORED + NEW_BADGE_FOR)
    assert (badge.text, badge.tone, badge.spoken) == ("\u221225%", "deal", "25% off")


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/Los_Angeles"])
def test_new_lasts_from_first_stored_until_the_window_ends(zone):
    card = product()
    end = STORED + NEW_BADGE_FOR
    local = ZoneInfo(zone)  # the machine's own zone: the window is the same instants
    with time_machine.travel((end - timedelta(seconds=1)).astimezone(local), tick=False):
        assert texts(card, datetime.now(UTC)) == ["New"]
    with time_machine.travel(end.astimezone(local), tick=False):
        assert texts(card, datetime.now(UTC)) == []
    assert texts(card, STORED) == ["New"]  # the moment it was stored


def test_a_price_drop_shows_while_recent_and_while_the_price_stays_below():
    dropped = STORED + timedelta(days=1)
    card = product(previous_price="120.00", price_dropped_at=dropped.isoformat())
    late = dropped + NEW_BADGE_FOR  # past "New", so only the drop remains
    assert texts(card, late) == ["Price dropped"]
    assert texts(card, dropped + PRICE_DROP_BADGE_FOR - timedelta(seconds=1)) == ["Price dropped"]
    assert texts(card, dropped + PRICE_DROP_BADGE_FOR) == []
    back_up = product(price="120.00", previous_price="120.00", price_dropped_at=dropped.isoformat())
    assert texts(back_up, late) == []
    # A card whose drop was stored without its time counts from its last change.
    unstamped = product(previous_price="120.00")
    assert texts(unstamped, STORED + PRICE_DROP_BADGE_FOR - timedelta(hours=1)) == ["Price dropped"]


def test_a_sale_that_starts_is_told_once_by_its_saving():
    began = STORED + timedelta(days=1)
    card = product(sale_price="80.00", previous_price="100.00", price_dropped_at=began.isoformat())
    assert texts(card, began + NEW_BADGE_FOR) == ["\u221220%"]


def test_the_strongest_claim_comes_first():
    card = product(sale_price="50.00", previous_price="60.00", price_dropped_at=STORED.isoformat())
    assert texts(card, STORED + timedelta(hours=1)) == ["\u221250%", "Price dropped", "New"]


@pytest.mark.parametrize(
    ("availability", "words"),
    [
        ("in_stock", "In stock"),
        ("backorder", "On backorder"),
        ("preorder", "Pre-order"),
        ("out_of_stock", "Out of stock"),
    ],
)
def test_each_stock_state_has_its_own_words_and_class(availability, words):
    stock = stock_state({"availability": availability})
    assert stock is not None and (stock.state, stock.text) == (availability, words)


def test_a_product_without_a_known_stock_state_claims_none():
    assert stock_state({}) is None
    assert stock_state({"availability": "limited"}) is None


# --- Colours: each state and badge readable on its card, in light and in dark mode ----

CSS = (Path(__file__).parents[2] / "static" / "plaza.css").read_text()


def palette(dark: bool) -> dict[str, str]:
    """plaza.css's colour variables: the light ones, with the dark ones over them."""
    light = re.search(r":root \{(.*?)\n\}", CSS, re.S)
    night = re.search(r"prefers-color-scheme: dark\) \{\s*:root \{(.*?)\}", CSS, re.S)
    assert light and night
    colours = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", light.group(1)))
    if dark:
        colours.update(re.findall(r"--([\w-]+):\s*(#[0-9a-f]{6})", night.group(1)))
    return colours


def contrast(one: str, two: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(one), luminance(two)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_stock_states_and_badges_have_distinct_readable_colours(dark):
    colours = palette(dark)
    stock = [colours[f"stock-{state}"] for state in ("in", "backorder", "preorder", "out")]
    assert len(set(stock)) == len(STOCK_WORDS)
    for colour in stock:
        assert contrast(colour, colours["surface"]) >= 4.5
    for text, background in (("deal-on", "deal"), ("deal", "deal-soft"), ("new", "accent-soft")):
        assert contrast(colours[text], colours[background]) >= 4.5
    for state in ("backorder", "preorder", "out_of_stock"):
        assert re.search(rf"\.stock--{state} \{{ color: var\(--stock-", CSS)


# --- On the feed: what a shopper reads, through the shared card frames -----------------


def test_the_feed_shows_a_products_saving_and_stock_in_words(world):
    with time_machine.travel(STORED, tick=False):
        world.cards(world.provider("North"), 1, interests=("shoes",), price="100.00",
                    sale_price="80.00", availability="backorder")  # fmt: skip
        world.consumer(follows=("shoes",))
        world.login()
        page = world.client.get("/").get_data(as_text=True)
    assert '<span class="badge badge--deal"><span aria-hidden="true">\u221220%</span>' in page
    assert '<span class="visually-hidden">20% off</span>' in page
    assert '<span class="stock stock--backorder">On backorder</span>' in page
    assert 'class="feed density-compact"' in page


def test_new_leaves_the_card_when_its_window_ends_within_the_same_minute(world):
    """Frames are shared for a minute; the window ends at STORED's 20th second."""
    with time_machine.travel(STORED, tick=False):
        world.cards(world.provider("North"), 1, interests=("shoes",), age_hours=0)
        world.consumer(follows=("shoes",))
        world.login()
    end = STORED + NEW_BADGE_FOR
    with time_machine.travel(end - timedelta(seconds=10), tick=False):
        assert '<span class="badge badge--new">New</span>' in world.client.get("/").get_data(
            as_text=True
        )
    with time_machine.travel(end + timedelta(seconds=10), tick=False):
        page = world.client.get("/").get_data(as_text=True)
    assert 'class="card__title"' in page and "badge--new" not in page
