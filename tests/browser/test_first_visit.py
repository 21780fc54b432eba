"""A new shopper's first visit on a phone, in a real browser: onboarding's topics, the
feed it leads to, saving with its toast, the Why panel's Close, and Saved's Remove."""

from __future__ import annotations

import re

import pytest

from tests.browser.test_quality import SMALL_TARGETS, UNNAMED_CONTROLS
from tests.signups import sign_up_in_browser

pytestmark = pytest.mark.browser

CARDS = "article.card[data-card-id]:not(.card--note)"


def test_a_new_shopper_picks_three_topics_saves_a_card_and_removes_it(
    live_server, live_mail, chromium, output_dir
):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_up_in_browser(page, live_server, live_mail, "first-visit@example.com")

    # Topics with a picture and their cards; only those with cards can be picked.
    counter = page.locator("#picks .picks__count")
    assert counter.inner_text() == "Pick at least 3 — 0 picked"
    topics = page.locator("form.topic button")
    assert topics.count() >= 3
    assert re.fullmatch(r"Follow .+, \d+\+? cards?", topics.first.get_attribute("aria-label") or "")
    assert page.locator("form.topic img.topic__picture").count() >= 3
    page.screenshot(path=str(output_dir / "onboarding.png"), full_page=True)
    assert page.evaluate(UNNAMED_CONTROLS) == []
    assert page.evaluate(SMALL_TARGETS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # Enter in the search filters in place: still onboarding.
    page.fill("#interest-search", "running")
    page.press("#interest-search", "Enter")
    page.locator("#results button[data-slug]").first.wait_for()
    assert page.url.endswith("/onboarding")
    assert page.locator("#results .chip__count").count() > 0

    for n in range(3):
        button = page.locator("form.topic button").nth(n)
        slug = button.get_attribute("data-slug")
        button.click()
        page.locator(f"form.topic button[data-slug='{slug}'][aria-pressed=true]").wait_for()
    page.wait_for_function(
        "document.querySelector('#picks .picks__count').textContent.includes('3 picked')"
    )
    continue_button = page.get_by_role("button", name="Continue")
    assert "secondary" not in (continue_button.get_attribute("class") or "")
    page.screenshot(path=str(output_dir / "picked.png"))
    continue_button.click()

    # A feed with cards, never "nothing here".
    page.wait_for_selector(CARDS)
    assert page.locator(CARDS).count() > 0

    # The Why panel opens and closes in place.
    first = page.locator(CARDS).first
    card_id = first.get_attribute("data-card-id")
    first.locator(".why-link").click()
    panel = page.locator(f"#why-{card_id} .why__panel")
    panel.wait_for()
    panel.locator(".why__close").click()
    panel.wait_for(state="detached")
    assert page.url.rstrip("/") == live_server  # closed in place, no navigation

    # Save: a toast says so and leads to Saved; the tab counts it.
    first.get_by_role("button", name=re.compile("^Save")).click()
    toast = page.locator("#toasts .toast--saved")
    toast.wait_for()
    toast.hover()  # a toast stays while the pointer rests on it, as a person reaches for View
    assert toast.inner_text().startswith("Saved")
    assert page.locator("#saved-count").inner_text().startswith("1")
    page.screenshot(path=str(output_dir / "saved-toast.png"))
    toast.get_by_role("link", name="View").click()
    page.wait_for_url("**/saved")

    row = page.locator(f"#saved-{card_id}")
    assert row.is_visible()
    assert page.locator("#saved-count").inner_text().startswith("1")
    assert page.evaluate(UNNAMED_CONTROLS) == []
    assert page.evaluate(SMALL_TARGETS) == []
    row.get_by_role("button", name=re.compile("^Remove")).click()
    page.locator(f"#saved-{card_id}.saved-item--removed").wait_for()
    page.screenshot(path=str(output_dir / "removed.png"))
    assert not page.locator("#saved-count").is_visible()  # none saved: no count
    page.reload()
    assert page.locator("li.saved-item").count() == 0
    assert page.get_by_role("heading", name="No saved cards").is_visible()
    assert errors == []
    context.close()
