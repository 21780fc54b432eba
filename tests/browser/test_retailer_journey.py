"""The retailer's promise on a phone: register a YouTube channel, preview it, save it,
watch it fill a shopper's feed, and read what the shopper did."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TRAIL_SHOES = "shoes/athletic-shoes/running-shoes/trail-running-shoes"
PROVIDER = "Acme Trail on YouTube"
RETAILER = "retailer@acme.example"
SHOPPER = "runner@example.com"


# Buttons and button-like links a thumb must hit: at least 44px high.
SMALL_BUTTONS = """() => [...document.querySelectorAll('main a.button, main button')]
  .filter(el => el.offsetParent !== null)
  .map(el => [el.textContent.trim(), Math.round(el.getBoundingClientRect().height)])
  .filter(([_, height]) => height < 44)"""


class Steps:
    """Every step checks the page fits a phone and leaves a numbered screenshot."""

    def __init__(self, output_dir) -> None:  # type: ignore[no-untyped-def]
        self.output_dir = output_dir
        self.count = 0

    def done(self, page, name: str) -> None:  # type: ignore[no-untyped-def]
        self.count += 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{name}: the page scrolls sideways ({width}px)"
        assert page.evaluate(SMALL_BUTTONS) == [], f"{name}: buttons too small to tap"
        page.screenshot(path=str(self.output_dir / f"{self.count:02d}-{name}.png"), full_page=True)


def facts(scope) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A <dl> of facts as {term: value}."""
    return dict(
        zip(
            scope.locator("dt").all_inner_texts(),
            scope.locator("dd").all_inner_texts(),
            strict=True,
        )
    )


def table_rows(table) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """Body rows of a table as {row heading: [cells]}."""
    rows = {}
    for row in table.locator("tbody tr").all():
        rows[row.locator("th").inner_text()] = row.locator("td").all_inner_texts()
    return rows


def test_a_retailer_on_a_phone_registers_a_channel_that_fills_feeds_and_reads_results(
    partner_plaza, youtube_channel, chromium, output_dir
):
    base = partner_plaza.url
    partner_plaza.retailer(RETAILER)
    partner_plaza.shopper(SHOPPER, follows=(TRAIL_SHOES,))
    steps = Steps(output_dir)
    errors: list[str] = []

    # The retailer registers the channel from the portal, previewing it first.
    retailer_context = chromium.new_context(viewport=PHONE, is_mobile=True)
    portal = retailer_context.new_page()
    portal.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(portal, base, RETAILER, PASSWORD)
    portal.goto(f"{base}/portal")
    assert portal.get_by_role("heading", level=1).inner_text() == "Providers"
    assert "No providers yet" in portal.locator("main").inner_text()
    # The portal's own sections replace the shopper's bottom tabs, and fit a thumb.
    assert portal.get_by_role("navigation", name="Main").count() == 0
    sections = portal.get_by_role("navigation", name="Portal sections").get_by_role("link")
    assert sections.all_inner_texts() == [
        "Providers", "Results", "Community", "Your page", "Members", "API tokens",
        "Shopper feed",
    ]  # fmt: skip
    assert [link.bounding_box()["height"] >= 44 for link in sections.all()] == [True] * 7
    steps.done(portal, "portal-empty")
    portal.get_by_role("link", name="Add a provider").click()
    portal.get_by_role("link", name=re.compile("^YouTube videos")).click()
    assert portal.get_by_role("heading", level=1).inner_text() == "New provider: YouTube videos"
    videos_from = portal.get_by_label("Videos from")
    assert videos_from.locator("option").all_inner_texts() == [
        "Choose…", "A channel's uploads", "A playlist", "A search"
    ]  # fmt: skip
    assert portal.get_by_label("Search words").is_visible()  # nothing chosen: every field
    portal.get_by_label("Search words").fill("typed before choosing")
    videos_from.select_option(label="A channel's uploads")
    assert portal.get_by_text("(needed for “A channel's uploads”)").is_visible()
    assert not portal.get_by_label("Search words").is_visible()
    assert portal.get_by_label("Search words").is_disabled()  # so the words are not sent
    assert not portal.get_by_label("Playlist ID").is_visible()
    portal.get_by_label("Channel ID").fill(youtube_channel.channel_id)
    # The interest is found by typing, not by opening accordions; it shows as a chip.
    portal.get_by_label("Find an interest").fill("trail running")
    match = portal.locator("[data-pick]", has_text="Trail running shoes").first
    match.click()
    chips = portal.locator("[data-picker-chips] .chip")
    assert chips.all_inner_texts() == ["Trail running shoes"]
    assert portal.get_by_label("Trail running shoes", exact=True).is_checked()
    portal.locator("#f-name").fill(PROVIDER)
    steps.done(portal, "form-filled")
    portal.get_by_role("button", name="Preview").click()
    preview = portal.locator("#preview")
    preview.wait_for()
    assert "This source would give shoppers 3 cards right now." in preview.inner_text()
    previewed = preview.locator(".card__title").all_inner_texts()
    assert previewed == youtube_channel.titles
    steps.done(portal, "preview")
    portal.get_by_role("button", name="Save").click()
    portal.wait_for_url(re.compile(r"/portal/acme/providers/\d+$"))
    assert f"{PROVIDER} is saved." in portal.locator(".flashes").inner_text()
    assert "typed before choosing" not in portal.locator("dl.settings").inner_text()
    steps.done(portal, "saved")

    # The worker's next tick fills the provider; the list shows it healthy.
    partner_plaza.run_worker()
    portal.get_by_role("link", name="All providers").click()
    row = portal.get_by_role("list", name="Providers and their health").get_by_role("listitem")
    assert row.get_by_role("heading").inner_text() == PROVIDER
    assert row.locator(".status").inner_text() == "Working"
    health = facts(row.locator("dl.facts"))
    assert health["Last success"] == "just now" and health["Cards"] == "3"
    steps.done(portal, "provider-list")

    # A shopper who follows trail running shoes finds the videos and plays one.
    shopper_context = chromium.new_context(viewport=PHONE, is_mobile=True)
    feed = shopper_context.new_page()
    feed.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(feed, base, SHOPPER, PASSWORD)
    videos = feed.locator("article.card[data-card-kind=youtube]")
    videos.first.wait_for()
    assert sorted(videos.locator(".card__title").all_inner_texts()) == sorted(
        youtube_channel.titles
    )
    steps.done(feed, "shopper-feed")
    played = youtube_channel.titles[1]
    feed.get_by_role("link", name=f"Play video: {played}").click()
    feed.locator(f"iframe[title='{played}']").wait_for(state="attached")
    steps.done(feed, "shopper-plays")

    # The retailer's results count the three cards shown and the one opened.
    portal.get_by_role("link", name=PROVIDER).click()
    portal.get_by_role("group", name="Actions").get_by_role("link", name="Results").click()
    assert portal.get_by_role("heading", level=1).inner_text() == f"Results: {PROVIDER}"
    totals = facts(portal.locator("dl.tiles"))
    assert totals["Shown"] == "3" and totals["Opened"] == "1"
    by_card = table_rows(portal.get_by_role("region", name="Totals by card"))
    assert {title: cells[:2] for title, cells in by_card.items()} == {
        title: ["1", "1" if title == played else "0"]  # shown, opens
        for title in youtube_channel.titles
    }
    portal.get_by_text("The numbers, day by day").click()
    (today,) = [
        cells
        for cells in table_rows(portal.get_by_role("region", name="Numbers per day")).values()
        if cells[0] != "0"
    ]
    assert today[:2] == ["3", "1"]  # shown, opens
    steps.done(portal, "results")

    assert errors == []
    retailer_context.close()
    shopper_context.close()
