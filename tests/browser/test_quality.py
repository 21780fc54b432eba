"""What a phone user notices: tap targets, names for every control, no layout
jumps, dark mode, and a feed that still works with JavaScript off."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.signups import sign_up_in_browser

pytestmark = pytest.mark.browser

CARDS = "article.card[data-card-id]:not(.card--note)"
PHONE = {"width": 390, "height": 844}
_emails = itertools.count()

# Only controls a person can reach count: not inside a closed menu, not hidden
# from assistive technology on purpose (an image link that repeats the title link).
SHOWN = (
    "el => el.offsetParent !== null && !el.closest('[aria-hidden=true]')"
    " && !el.closest('details:not([open]) > :not(summary)')"
)
UNNAMED_CONTROLS = f"""() => {{
  const shown = {SHOWN};
  const name = el => (el.getAttribute('aria-label') || el.textContent || el.value || el.title
    || (el.labels && el.labels[0] && el.labels[0].textContent)
    || el.getAttribute('placeholder') || '').trim();
  const controls = 'a[href], button, input:not([type=hidden]), textarea, select, summary';
  return [...document.querySelectorAll(controls)]
    .filter(el => shown(el) && !name(el))
    .map(el => el.outerHTML.slice(0, 120));
}}"""

SMALL_TARGETS = f"""() => [...document.querySelectorAll('button, summary, .chip, .tabs a')]
  .filter({SHOWN})
  .map(el => [el.outerHTML.slice(0, 80), el.getBoundingClientRect()])
  .filter(([_, r]) => r.height < 44 || r.width < 44)
  .map(([html, r]) => `${{Math.round(r.width)}}x${{Math.round(r.height)}} ${{html}}`)"""


def log_in(page, base: str) -> None:
    sign_in(page, base, "demo@example.com")
    page.wait_for_selector(CARDS)


def test_controls_are_named_big_enough_and_nothing_jumps(live_server, chromium, output_dir):
    context = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.add_init_script(
        "window.__shift = 0; new PerformanceObserver(list => { for (const e of list.getEntries())"
        " if (!e.hadRecentInput) window.__shift += e.value; })"
        ".observe({type: 'layout-shift', buffered: true});"
    )
    log_in(page, live_server)
    page.wait_for_load_state("networkidle")
    for _ in range(6):
        page.mouse.wheel(0, 1200)
        page.wait_for_timeout(120)
    assert page.evaluate(UNNAMED_CONTROLS) == []
    assert page.evaluate(SMALL_TARGETS) == []
    # Cumulative layout shift: images keep their space before they load.
    assert page.evaluate("window.__shift") < 0.1
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "nothing may scroll sideways on a phone"
    page.screenshot(path=str(output_dir / "feed-scrolled.png"))
    context.close()


def test_dark_mode_follows_the_system(live_server, chromium, output_dir):
    colors = {}
    for scheme in ("light", "dark"):
        context = chromium.new_context(viewport=PHONE, color_scheme=scheme)
        page = context.new_page()
        log_in(page, live_server)
        colors[scheme] = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.screenshot(path=str(output_dir / f"feed-{scheme}.png"))
        context.close()
    assert colors["light"] != colors["dark"]


def test_sign_up_and_pick_interests_by_searching(live_server, live_mail, chromium, output_dir):
    context = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    sign_up_in_browser(page, live_server, live_mail, f"searcher{next(_emails)}@example.com")
    page.fill("input[type=search]", "trail run")
    chip = page.get_by_role("button", name="Follow Trail running shoes")
    chip.wait_for()
    chip.click()
    page.get_by_role("button", name="Unfollow Trail running shoes").wait_for()
    page.screenshot(path=str(output_dir / "onboarding.png"))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector(CARDS)
    reasons = page.locator(".card__reason").all_inner_texts()
    assert reasons and all("Trail running shoes" in r for r in reasons[:5])
    context.close()


def test_the_feed_works_without_javascript(live_server, live_mail, chromium, output_dir):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_up_in_browser(page, live_server, live_mail, f"nojs{next(_emails)}@example.com")
    # The search without JavaScript: onboarding again, with the interests found.
    page.fill("input[type=search]", "camping")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/onboarding?q=camping")
    page.get_by_role("button", name="Follow Camping", exact=True).first.click()
    page.get_by_role("button", name="Unfollow Camping", exact=True).wait_for()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(CARDS)).to_have_count(20)  # the whole page, not its first card
    # Saving goes through a plain form post and comes back to the feed.
    title = page.locator(f"{CARDS} .card__title").first.inner_text()
    page.locator(CARDS).first.get_by_role("button", name=f"Save: {title}").click()
    # The page the post leads back to, not the one it left: the card now says it is saved.
    page.get_by_role("button", name=f"Remove from saved: {title}").first.wait_for()
    first_page = page.eval_on_selector_all(CARDS, "els => els.map(e => e.dataset.cardId)")
    page.get_by_role("link", name="More cards").click()
    page.wait_for_url("**/feed?cursor=**")
    page.wait_for_selector(CARDS)
    second_page = page.eval_on_selector_all(CARDS, "els => els.map(e => e.dataset.cardId)")
    assert second_page and not set(second_page) & set(first_page)
    page.goto(f"{live_server}/saved")
    assert title in page.locator(".saved-item__title").all_inner_texts()
    page.screenshot(path=str(output_dir / "saved-without-js.png"))
    context.close()


def test_why_this_card_opens_in_place_and_its_control_reranks_what_is_below(
    live_server, chromium, output_dir
):
    context = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server)
    above, card = page.locator(CARDS).nth(0), page.locator(CARDS).nth(1)
    first_id, card_id = above.get_attribute("data-card-id"), card.get_attribute("data-card-id")
    card.get_by_role("link", name="Why this card").click()
    panel = page.locator(f"#why-{card_id} .why__panel")
    panel.wait_for()
    assert "Why you see this" in panel.inner_text()
    assert page.url.rstrip("/") == live_server  # in place, no navigation
    page.screenshot(path=str(output_dir / "why.png"))
    with page.expect_response(lambda r: "/feed/rerank" in r.url) as rerank:
        panel.get_by_role("button", name="Show less like this").click()
    assert rerank.value.status == 200
    page.wait_for_function("() => !document.querySelector('.is-stale')")
    after = page.eval_on_selector_all(CARDS, "els => els.map(e => e.dataset.cardId)")
    assert after[:2] == [first_id, card_id] and len(after) > 2  # above stays; below is new
    assert len(after) == len(set(after))  # no card twice
    assert page.locator(f"#why-{card_id} .why__done").is_visible()
    page.screenshot(path=str(output_dir / "reranked.png"))
    # The new ranking ends as a feed page does: with the next page or "all caught up".
    more = page.locator("#feed > a.more")
    assert more.count() + page.locator("#feed > p.end").count() == 1
    if more.count():  # scrolling on brings the next page of the same feed, nothing repeated
        more.scroll_into_view_if_needed()
        page.wait_for_function(
            f"n => document.querySelectorAll('{CARDS}').length > n", arg=len(after)
        )
        scrolled = page.eval_on_selector_all(CARDS, "els => els.map(e => e.dataset.cardId)")
        assert len(scrolled) == len(set(scrolled))
    context.close()


def test_a_category_of_interests_opens_in_place(live_server, chromium, output_dir):
    context = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    log_in(page, live_server)
    page.goto(f"{live_server}/interests")
    home = page.locator("details.browse", has=page.locator("summary", has_text="Home"))
    assert "1 followed" in home.locator("summary").inner_text()  # the demo follows Kitchen
    assert home.locator(".chip").count() == 0  # nothing inside until it is opened
    with page.expect_response(lambda r: "/interests/browse/home" in r.url):
        home.locator("summary").click()
    home.get_by_role("button", name="Unfollow Kitchen").wait_for()
    assert page.url.endswith("/interests")  # in place, no navigation
    chip = home.locator(".chip").nth(1)
    name = chip.get_attribute("aria-label").removeprefix("Follow ")
    chip.click()
    home.get_by_role("button", name=f"Unfollow {name}").wait_for()
    assert page.evaluate(UNNAMED_CONTROLS) == [] and page.evaluate(SMALL_TARGETS) == []
    page.screenshot(path=str(output_dir / "interests-category.png"))
    context.close()
