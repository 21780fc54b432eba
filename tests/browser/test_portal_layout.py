"""The portal pages a retailer uses most, in Chromium on a phone and on a desktop: the
top bar (logo left, the sections, then search, bell and account at the right on a
desktop), nothing scrolling sideways on a phone, and "Refresh now" followed in place."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session

from app.models import Provider
from app.partners.orgs import organization_by_slug
from tests.browser.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
DEMO_RETAILER = "retailer@example.com"

BOX = """sel => { const el = document.querySelector(sel);
  if (!el || !el.offsetParent && getComputedStyle(el).position !== 'fixed') return null;
  const r = el.getBoundingClientRect(); return [r.left, r.right, r.top, r.bottom]; }"""


def open_portal(chromium, base: str, viewport: dict[str, int]):  # type: ignore[no-untyped-def]
    """The demo retailer's portal in a new browser context of ``viewport``'s size, with the
    list of the page's script errors."""
    context = chromium.new_context(viewport=viewport, is_mobile=viewport is PHONE)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, DEMO_RETAILER)
    page.goto(f"{base}/portal")
    return context, page, errors


def check_layout(page, viewport: dict[str, int], name: str, output_dir) -> None:  # type: ignore[no-untyped-def]
    """The page fits the viewport, and the top bar is laid out for its width."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"{name}: the page scrolls sideways ({width}px)"
    brand, bell, account = (page.evaluate(BOX, s) for s in (".brand", ".bell", ".account"))
    assert brand is not None and bell is not None and account is not None, name
    assert brand[0] < 40, f"{name}: the logo is not at the left"
    assert account[1] > viewport["width"] - 40, f"{name}: the account menu is not at the right"
    assert bell[0] > viewport["width"] - 200 and bell[1] <= account[0] + 1, name
    topnav = page.evaluate(BOX, ".portal-topnav")
    if viewport["width"] >= 1100:
        assert topnav is not None, f"{name}: the sections are not in the top bar"
        assert brand[1] < topnav[0] and topnav[1] < bell[0], f"{name}: logo, sections, icons"
        assert page.evaluate(BOX, ".portal__nav") is None  # not twice
        one_row = abs(topnav[2] - bell[2]) < 20 and abs(brand[2] - bell[2]) < 20
        assert one_row, f"{name}: the top bar wraps"
    else:
        assert topnav is None
        assert page.evaluate(BOX, ".portal__nav") is not None
    page.screenshot(path=str(output_dir / f"{viewport['width']}-{name}.png"), full_page=True)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_portal_pages_fit_a_phone_and_a_desktop(live_server, chromium, output_dir, viewport):
    context, page, errors = open_portal(chromium, live_server, viewport)
    dashboard = page.url
    check_layout(page, viewport, "1-providers", output_dir)

    page.goto(dashboard + "results")
    check_layout(page, viewport, "2-results", output_dir)

    page.goto(dashboard)
    providers = page.get_by_role("list", name="Providers and their health")
    providers.get_by_role("link", name="Northwind new arrivals").click()
    page.wait_for_url(re.compile(r"/providers/\d+$"))
    assert page.locator("#recent-cards img.thumb__img").count() > 0  # cards with pictures
    history = page.locator("#refresh-history .history__row")
    assert history.count() >= 1
    check_layout(page, viewport, "3-provider", output_dir)

    page.goto(dashboard + "providers/new/product_feed")
    page.get_by_label("Find an interest").fill("running shoes")
    page.locator("[data-pick]").first.wait_for()
    check_layout(page, viewport, "4-form-search", output_dir)
    page.locator("[data-pick]").first.click()
    assert page.locator("[data-picker-chips] .chip").count() == 1
    page.get_by_role("button", name="Save").click()
    page.locator("#problems").wait_for()
    assert (
        "Enter the feed address, a web address starting with https://"
        in page.locator("#problems").inner_text()
    )
    page.locator("[data-picker-chips] .chip").first.wait_for()  # drawn once htmx settles
    assert page.locator("[data-picker-chips] .chip").count() == 1  # the choice is kept
    check_layout(page, viewport, "5-form-problems", output_dir)
    assert errors == []
    context.close()


def test_refresh_now_shows_the_outcome_without_a_reload(
    partner_plaza, youtube_channel, chromium, output_dir
):
    base = partner_plaza.url
    partner_plaza.retailer("retailer@acme.example")
    with (
        partner_plaza.app.app_context(),
        Session(partner_plaza.app.extensions["plaza.engine"]) as db,
    ):
        org = organization_by_slug(db, "acme")
        assert org is not None
        provider = Provider(
            organization_id=org.id, kind="youtube", name="Acme Trail on YouTube",
            config={"source": "channel", "channel_id": youtube_channel.channel_id,
                    "max_results": 10},
            interests=["shoes"], next_run_at=datetime.now(UTC) + timedelta(hours=1),
        )  # fmt: skip
        db.add(provider)
        db.commit()
        provider_id = provider.id
    context = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, base, "retailer@acme.example", PASSWORD)
    page.goto(f"{base}/portal/acme/providers/{provider_id}")
    assert "No refresh yet" in page.locator("#refresh-history").inner_text()
    page.evaluate("window.stillHere = true")  # gone if the page reloads
    page.get_by_role("button", name="Refresh now").click()
    status = page.locator("#refresh-status")
    status.get_by_text("Refreshing").wait_for()
    page.screenshot(path=str(output_dir / "1-refreshing.png"), full_page=True)
    partner_plaza.run_worker()
    status.get_by_text("Refreshed:").wait_for()  # the status asks every 2 s
    assert "3 new, 0 updated, 0 expired" in status.inner_text()
    assert page.locator("#recent-cards .thumb").count() == 3
    assert page.locator("#refresh-history .history__row").count() == 1
    assert page.evaluate("window.stillHere") is True
    settings = page.locator("dl.settings").inner_text()
    assert "A channel's uploads" in settings  # a choice by its label, not its code
    page.screenshot(path=str(output_dir / "2-refreshed.png"), full_page=True)
    assert errors == []
    context.close()


PAGE_LINKS = """() => [...document.querySelectorAll('main a[href]')].map(a => a.href)"""


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_every_portal_page_fits_a_phone_and_a_desktop(live_server, chromium, output_dir, viewport):
    """Every kind of portal page the demo retailer can reach by following links (one of
    each: one provider's page stands for all), screenshotted at both sizes."""
    context, page, errors = open_portal(chromium, live_server, viewport)
    home = page.url.removeprefix(live_server)  # /portal/<org>/
    queue, seen, visited = [home], set(), []
    while queue:
        path = queue.pop(0)
        kind = re.sub(r"\d+", "N", path)
        # Every provider's own page (each kind draws its settings and cards its own way);
        # one of each other kind of page.
        key = path if kind.endswith("/providers/N") else kind
        if key in seen:
            continue
        seen.add(key)
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        name = f"{len(visited):02d}" + re.sub(r"[^a-z0-9]+", "-", path.removeprefix(home))
        check_layout(page, viewport, name.rstrip("-"), output_dir)
        visited.append(kind)
        for link in page.evaluate(PAGE_LINKS):
            target = link.removeprefix(live_server).split("#")[0].split("?")[0]
            if target.startswith(home) and not target.endswith(".csv"):
                queue.append(target)
    expected = {"", "providers/new", "providers/new/survey", "providers/N", "providers/N/edit",
                "results/", "results/providers/N", "results/surveys/N", "community/",
                "profile", "members", "tokens"}  # fmt: skip
    assert expected <= {kind.removeprefix(home) for kind in visited}, visited
    assert errors == []
    context.close()
