"""A shopper on a phone shapes the feed in its settings, finds a partner through search,
follows it, sees the feed follow, and shares a card; the person they sent it to opens it
signed out."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_feed_settings import VIDEOS, choose

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CARDS = "article.card[data-card-id]:not(.card--note)"
PARTNER = "Trailpeak"


def test_search_follow_a_partner_and_share_a_card_on_a_phone(live_server, chromium, output_dir):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "demo@example.com")
    page.wait_for_selector(CARDS)
    assert page.get_by_text(f"Because you follow {PARTNER}").count() == 0
    page.get_by_role("link", name="Videos", exact=True).click()  # the feed has videos
    page.wait_for_url("**/?only=videos")  # set as the chip's page is swapped in
    assert page.locator(CARDS).count() == page.locator(VIDEOS).count() > 0

    # No videos, please: the setting saves itself and the feed follows at once.
    page.get_by_role("link", name="Feed settings").first.click()
    choose(page, "Videos", "None")
    page.get_by_role("link", name="Back to your feed").click()
    page.wait_for_selector(CARDS)
    assert page.locator(VIDEOS).count() == 0
    page.get_by_role("link", name="Videos", exact=True).click()
    page.get_by_text("No videos right now").wait_for()

    # Search for the partner; its cards come back as the shopper types.
    page.get_by_role("link", name="Search").click()
    page.get_by_role("searchbox", name="Search cards").fill(PARTNER.lower())
    page.wait_for_selector(f"#search-results {CARDS}")
    # Other shops sell its brand too, and the shopper's tastes order the results:
    # the first of Trailpeak's own cards, wherever it comes.
    about = page.get_by_role("link", name=f"About {PARTNER}", include_hidden=True)
    result = page.locator(f"#search-results {CARDS}", has=about).first
    result.get_by_label(re.compile("^More options")).click()
    result.get_by_role("link", name=f"About {PARTNER}").click()
    page.wait_for_url(f"{live_server}/o/trailpeak")
    page.get_by_role("heading", name=PARTNER, level=1).wait_for()

    # Follow it on its page: the button turns to Following in place.
    page.get_by_role("button", name=f"Follow {PARTNER}").click()
    page.get_by_role("button", name=f"Following {PARTNER}").wait_for()
    page.screenshot(path=str(output_dir / "partner-followed.png"))

    # The feed follows: its cards now say why they are there.
    page.get_by_role("link", name="Feed").click()
    followed = page.locator(CARDS, has_text=f"Because you follow {PARTNER}")
    followed.first.wait_for()
    card = followed.first
    card_id = card.get_attribute("data-card-id")
    title = card.locator(".card__title").inner_text()

    # Share it: without a share sheet here, the link is copied and a toast says so.
    card.get_by_label(re.compile("^More options")).click()
    card.get_by_role("link", name="Share").click()
    toast = page.locator("#toasts [role=status]", has_text="Link copied")
    toast.wait_for()
    assert page.locator("#toasts").get_attribute("aria-live") == "polite"
    page.screenshot(path=str(output_dir / "link-copied.png"))
    shared = page.evaluate("navigator.clipboard.readText()")
    assert re.fullmatch(rf"{live_server}/c/{card_id}-[a-z0-9-]+", shared)
    assert page.url.rstrip("/") == live_server  # still on the feed
    assert errors == []
    context.close()

    # Someone else, never signed in, opens the link they were sent.
    stranger = chromium.new_context(viewport=PHONE, is_mobile=True)
    visit = stranger.new_page()
    response = visit.goto(shared)
    assert response is not None and response.status == 200
    visit.locator(f"article#card-{card_id}").get_by_text(title).wait_for()
    assert visit.locator("meta[property='og:url']").get_attribute("content") == shared
    assert visit.locator("link[rel=canonical]").get_attribute("href") == shared
    assert visit.get_by_role("link", name=PARTNER).first.get_attribute("href") == "/o/trailpeak"
    assert visit.get_by_role("link", name="Sign up for Plaza").is_visible()
    assert visit.locator("article.card .card__actions").count() == 0  # nothing to act on
    visit.screenshot(path=str(output_dir / "shared-card.png"), full_page=True)
    stranger.close()


def test_share_opens_the_phones_share_sheet_where_there_is_one(live_server, chromium):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    # A stand-in for the operating system's share sheet, which headless Chromium lacks:
    # it records what the page asked it to share.
    context.add_init_script(
        "Object.defineProperty(navigator, 'share', {value: function (data) {"
        " window.sharedWith = data; return Promise.resolve(); }});"
    )
    page = context.new_page()
    sign_in(page, live_server, "demo@example.com")
    card = page.locator(CARDS).first
    card.wait_for()
    card_id = card.get_attribute("data-card-id")
    title = card.locator(".card__title").inner_text()
    card.get_by_label(re.compile("^More options")).click()
    card.get_by_role("link", name="Share").click()
    page.wait_for_function("window.sharedWith !== undefined")
    shared = page.evaluate("window.sharedWith")
    assert shared["title"] == title
    assert re.fullmatch(rf"{live_server}/c/{card_id}-[a-z0-9-]+", shared["url"])
    assert page.locator("#toasts .toast").count() == 0  # the sheet speaks for itself
    assert page.locator(f"#card-{card_id} details.card__menu[open]").count() == 0
    assert page.url.rstrip("/") == live_server
    context.close()
