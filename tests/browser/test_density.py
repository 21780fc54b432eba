"""How much of the feed a screen shows: compact product cards on a phone, columns on a
desktop, in light and dark mode, measured from the cards' boxes in a real Chromium."""

from __future__ import annotations

import re
from collections import Counter
from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

CARDS = "article.card[data-card-id]:not(.card--note)"
PRODUCTS = "#feed article.card--product_feed"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


def signed_in_feed(chromium: Any, live_server: str, viewport: dict[str, int], scheme: str) -> Any:
    context = chromium.new_context(
        viewport=viewport, is_mobile=viewport["width"] < 500, color_scheme=scheme
    )
    page = context.new_page()
    sign_in(page, live_server, "demo@example.com")
    page.wait_for_selector(CARDS)
    page.wait_for_load_state("load")
    return context, page


def boxes(page: Any, selector: str) -> list[dict[str, float]]:
    return page.eval_on_selector_all(
        selector,
        """els => els.map(e => { const r = e.getBoundingClientRect();
             return {x: r.x, y: r.y + window.scrollY, width: r.width, height: r.height}; })""",
    )


def settled_boxes(page: Any, selector: str) -> list[dict[str, float]]:
    """The boxes once the layout has stopped moving: the images on screen loaded and two reads a
    frame or two apart alike (the masonry spans follow the images' boxes a frame later,
    and a busy machine draws late)."""
    page.wait_for_function(
        """() => Array.from(document.images)
             .filter(image => image.getBoundingClientRect().top < window.innerHeight)
             .every(image => image.complete)"""
    )  # lazy images below the screen load only when scrolled to
    before = boxes(page, selector)
    for _ in range(50):
        page.wait_for_timeout(100)
        now = boxes(page, selector)
        if now == before:
            return now
        before = now
    raise AssertionError(f"the layout of {selector} kept moving for 5 s")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_phone_shows_at_least_two_compact_product_cards(
    live_server, chromium, output_dir, scheme
):
    context, page = signed_in_feed(chromium, live_server, PHONE, scheme)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    assert "density-compact" in (page.get_attribute("#feed", "class") or "")

    # The screen between the sticky top bar and the tab bar, and every product card on it.
    top = page.eval_on_selector(".topbar", "e => e.getBoundingClientRect().bottom")
    bottom = page.eval_on_selector(".tabs", "e => e.getBoundingClientRect().top")
    # Each product's share of the screen: its height, split between the products of its
    # row (two when they pair up side by side).
    products = boxes(page, PRODUCTS)
    assert len(products) >= 3, "the demo's first page has products"
    per_row = Counter(round(box["y"]) for box in products)
    tallest = max(box["height"] / per_row[round(box["y"])] for box in products)
    assert (bottom - top) / tallest >= 2, f"a product takes {tallest:.0f} px of the screen"

    # Scrolled to the first product that another follows, two or more are on the screen.
    page.locator(f"{PRODUCTS}:has(+ article.card--product_feed)").first.evaluate(
        "(e, top) => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - top)",
        top,
    )
    page.wait_for_timeout(100)
    on_screen = page.eval_on_selector_all(
        PRODUCTS,
        """(els, [top, bottom]) => els.filter(e => { const r = e.getBoundingClientRect();
             return r.top >= top - 1 && r.bottom <= bottom + 1; }).length""",
        [top, bottom],
    )
    assert on_screen >= 2
    page.screenshot(path=str(output_dir / f"phone-{scheme}.png"))

    # Each product still has what a shopper needs: a named picture link hidden from
    # readers (the title says it), a title, a price, and actions that a thumb can hit.
    first = page.locator(PRODUCTS).first
    assert first.locator(".card__title a").inner_text().strip()
    assert first.locator(".price__now").inner_text().strip()
    for button in first.locator(".card__actions .icon-button").all():
        size = button.bounding_box()
        assert size["width"] >= 44 and size["height"] >= 44

    # A paired product's menu opens whole on the screen, every item within reach.
    paired_id = page.locator(f"{PRODUCTS}.is-paired").first.get_attribute("id")
    left = page.locator(f"#{paired_id}")
    left.locator(".card__menu summary").click()
    items = left.locator(".menu .menu__item")
    items.last.scroll_into_view_if_needed()
    page.screenshot(path=str(output_dir / f"phone-menu-{scheme}.png"))
    menu = left.locator(".menu").bounding_box()
    assert menu["x"] >= 0 and menu["x"] + menu["width"] <= PHONE["width"]
    for item in (items.first, items.last):  # a long menu may need a scroll, never a hunt
        item.scroll_into_view_if_needed()
        reached = item.evaluate(
            """e => { const r = e.getBoundingClientRect();
                 const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                 return e.contains(hit); }"""
        )
        assert reached, f"{item.inner_text()} is covered"

    # Asked "Why?", a paired product takes the whole width to tell it.
    page.keyboard.press("Escape")
    page.mouse.click(5, bottom - 5)  # elsewhere: the menu closes
    left.locator(".why-link").click()
    left.locator(".why__panel").wait_for()
    expect(left).not_to_have_class(re.compile(r"\bis-paired\b"))  # laid out again a frame later
    feed = page.locator("#feed").bounding_box()
    assert left.bounding_box()["width"] >= feed["width"] - 1
    assert "is-paired" not in (left.get_attribute("class") or "")
    page.screenshot(path=str(output_dir / f"phone-why-{scheme}.png"))
    assert errors == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_desktop_shows_the_feed_in_columns_without_holes(
    live_server, chromium, output_dir, scheme
):
    context, page = signed_in_feed(chromium, live_server, DESKTOP, scheme)
    page.wait_for_selector("#feed.is-masonry")
    cards = settled_boxes(page, f"#feed > {CARDS}")
    first_screen = [box for box in cards if box["y"] < DESKTOP["height"]]
    columns = sorted({round(box["x"]) for box in first_screen})
    assert len(columns) >= 2, "cards side by side on the first screen"

    # Ranked order reads across: the first cards open the columns, left to right.
    assert [round(box["x"]) for box in cards[: len(columns)]] == columns

    # In each column cards follow each other with no overlap and no hole.
    for x in columns:
        column = sorted((box for box in cards if round(box["x"]) == x), key=lambda b: b["y"])
        for upper, lower in pairwise(column):
            space = lower["y"] - (upper["y"] + upper["height"])
            assert 0 <= space <= 24, f"{space:.0f} px between two cards of a column"
    page.screenshot(path=str(output_dir / f"desktop-{scheme}.png"))

    # The next page lands in the same columns.
    count = len(cards)
    for _ in range(30):
        page.mouse.wheel(0, 3000)
        page.wait_for_timeout(150)
        if page.locator(f"#feed > {CARDS}").count() > count:
            break
    page.wait_for_function(f"document.querySelectorAll('#feed > {CARDS}').length > {count}")
    later = settled_boxes(page, f"#feed > {CARDS}")[count:]
    assert len({round(box["x"]) for box in later}) == len(columns)
    context.close()


def test_comfortable_cards_lead_with_their_picture(live_server, chromium, output_dir):
    """The shopper's other choice: what /settings/feed stores arrives as the list's class."""
    context, page = signed_in_feed(chromium, live_server, PHONE, "light")
    compact = boxes(page, PRODUCTS)[0]
    page.eval_on_selector(
        "#feed", "e => e.classList.replace('density-compact', 'density-comfortable')"
    )
    comfortable = settled_boxes(page, PRODUCTS)[0]
    picture = boxes(page, f"{PRODUCTS} .card__media")[0]
    assert picture["width"] >= comfortable["width"] - 2  # across the whole card
    assert comfortable["height"] > 1.5 * compact["height"]
    assert page.locator(f"{PRODUCTS} .cta").first.is_visible()  # "View at <shop>"
    page.screenshot(path=str(output_dir / "phone-comfortable.png"))
    context.close()
