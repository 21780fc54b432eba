"""The demo consumer on a phone-sized screen, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

CARDS = "article.card[data-card-id]:not(.card--note)"


def test_scroll_dismiss_and_undo_on_a_phone(live_server, chromium, output_dir):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in(page, live_server, "demo@example.com")
    expect(page.locator(CARDS)).to_have_count(20)  # the whole page, not its first card

    # Scrolling to the end loads the second page in place, without a reload.
    for _ in range(40):
        page.mouse.wheel(0, 2500)
        page.wait_for_timeout(150)
        if page.locator(CARDS).count() > 20:
            break
    page.wait_for_function(f"document.querySelectorAll('{CARDS}').length > 20")
    ids = page.eval_on_selector_all(CARDS, "els => els.map(e => e.dataset.cardId)")
    assert len(ids) == len(set(ids)) > 20

    # Dismiss the first card: it turns into a note with Undo, then comes back.
    first = page.locator(CARDS).first
    card_id = first.get_attribute("data-card-id")
    first.get_by_role("button", name="Dismiss").click()
    note = page.locator(f"#card-{card_id}.card--note")
    note.wait_for()
    note.hover()  # the note stays while the pointer rests on it, however long the screenshot
    assert "Card dismissed." in note.inner_text()
    page.screenshot(path=str(output_dir / "dismissed.png"))
    note.get_by_role("button", name="Undo").click()
    page.wait_for_selector(f"#card-{card_id}:not(.card--note)")
    assert page.locator(f"#card-{card_id} .card__title").is_visible()

    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(output_dir / "feed.png"))
    assert (output_dir / "feed.png").stat().st_size > 10_000
    assert errors == []
    context.close()


def test_an_undo_note_waits_while_the_pointer_rests_on_it(live_server, chromium):
    """The note with Undo fades after 8 s, but not from under a hand reaching for it."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    context.clock.install()  # the page's timers run when the test says
    page = context.new_page()
    sign_in(page, live_server, "demo@example.com")
    first = page.locator(CARDS).first
    card_id = first.get_attribute("data-card-id")
    first.get_by_role("button", name="Dismiss").click()
    note = page.locator(f"#card-{card_id}.card--note")
    note.hover()

    page.clock.fast_forward(20_000)
    expect(note).to_be_visible()

    page.mouse.move(1, 1)  # the hand goes elsewhere: the note leaves within a second or so
    page.clock.fast_forward(2_000)
    expect(note).to_have_count(0)
    context.close()
