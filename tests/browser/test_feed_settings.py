"""The demo consumer turns videos off on /settings/feed on a phone, and the feed follows."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

CARDS = "article.card[data-card-id]:not(.card--note)"
VIDEOS = "article.card--youtube"


def choose(page, kind: str, choice: str) -> None:  # type: ignore[no-untyped-def]
    """Tap a choice of a kind's row, as a thumb would, and wait for it to save itself."""
    row = page.locator("fieldset", has=page.locator("legend", has_text=kind))
    # This change's answer, not the "Saved" of the one before, which shows for 3 s.
    with page.expect_response(lambda r: r.request.method == "POST" and "/settings/feed" in r.url):
        row.locator("label.segmented__option", has_text=choice).click()
    page.locator("#feed-settings-status .save-status--ok").wait_for()


def test_turning_videos_off_changes_the_feed_at_once(live_server, chromium, output_dir):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    sign_in(page, live_server, "demo@example.com")
    page.wait_for_selector(CARDS)

    # The Videos chip narrows the feed in place: the demo has videos for this shopper.
    page.get_by_role("link", name="Videos", exact=True).click()
    page.wait_for_url("**/?only=videos")
    page.wait_for_selector(VIDEOS)
    assert page.locator(CARDS).count() == page.locator(VIDEOS).count() > 0

    page.get_by_role("link", name="Feed settings").first.click()
    page.wait_for_selector("#feed-settings")
    choose(page, "Videos", "None")
    assert page.locator("input[name='kind.youtube'][value=none]").is_checked()
    assert page.locator("button", has_text="Save").count() == 0  # saves itself
    page.screenshot(path=str(output_dir / "settings.png"), full_page=True)

    page.get_by_role("link", name="Back to your feed").click()
    page.wait_for_selector(CARDS)
    assert page.locator(VIDEOS).count() == 0
    assert page.locator("#feed.density-compact").count() == 1
    page.get_by_role("link", name="Videos", exact=True).click()
    page.get_by_text("No videos right now").wait_for()
    page.screenshot(path=str(output_dir / "no-videos.png"))
    page.get_by_role("link", name="Show all cards").click()
    page.wait_for_url(f"{live_server}/")
    page.wait_for_selector(CARDS)
    assert page.locator(VIDEOS).count() == 0
    assert errors == []
    context.close()
