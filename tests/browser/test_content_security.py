"""The Content-Security-Policy holds in a real Chromium on every page of the shopper's,
the retailer's and the staff's journeys: no page, fragment or script Plaza serves
does anything the policy forbids (an inline script or style, a style attribute,
``eval``, a frame or form pointing elsewhere).

Each journey signs in and walks every page it can reach by following Plaza's own
links (up to a bound), then does what people do on them with htmx: save, dismiss and
undo, "Why?", answer a survey, play a video, follow an interest. Any
``securitypolicyviolation`` event, or Chromium's console report of one, fails it.

The survey's results and the video player are the fragments most likely to break the
policy, so the walk must reach them: a new shopper follows exactly the interests of a
demo survey that a demo YouTube provider also targets, and scrolls their feed, which
holds both, until it has them. The demo shopper's feed, about six interests, may show
its survey questions only many pages down, and none once they were shown to it a few
times that day (earlier walks).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from app.ingest.sources import read_sample
from tests.browser.conftest import scroll_to_next_page, sign_in
from tests.signups import sign_up_in_browser

pytestmark = pytest.mark.browser

# A phone. Every page comes from Plaza itself: the service worker, which would keep
# copies of them, is tests/browser/test_offline.py's.
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "service_workers": "block"}
CARDS = "article.card[data-card-id]:not(.card--note)"
MAX_PAGES = 80
SURVEY_FORM = "article.card--survey:has(fieldset.survey)"
VIDEO = "article.card--youtube:has([hx-get*='/player'])"
YOUTUBE_PLAYER = "https://www.youtube-nocookie.com/embed/"
PLAYER = f"iframe[src^='{YOUTUBE_PLAYER}']"
# Links that leave Plaza (a retailer's page, through the tracked redirect) or end the
# session; every other same-origin link is walked.
SKIP = re.compile(
    r"/cards/\d+/open|/notifications/\d+/open|/logout|\.csv(?:\?|$)|/static/|/sw\.js"
    r"|/account/export$"  # a JSON download, not a page
)
_emails = itertools.count()

LISTEN = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`
  + ` (${(e.sample || '').slice(0, 60)})`));
window.__requests = 0;
(() => {
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...args) {
    window.__requests++;
    this.addEventListener('loadend', () => window.__requests--, {once: true});
    return send.apply(this, args);
  };
  const fetch = window.fetch;
  window.fetch = (...args) => {
    window.__requests++;
    return fetch(...args).finally(() => window.__requests--);
  };
})();
"""
# Loaded, no request of the page's scripts (htmx's among them) under way, and nothing
# htmx is still swapping or settling: whatever the fragments brought (scripts, styles,
# images, the requests they trigger in turn) has happened. htmx starts a request as it
# processes new content (hx-trigger load, revealed) before it ends the settle.
SETTLED = """() => document.readyState === 'complete' && window.__requests === 0
  && !document.querySelector('.htmx-swapping, .htmx-settling')"""


class Watch:
    """Collects every policy violation a page reports, through both channels, and
    counts the requests its scripts have under way (for :func:`settle`)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on(
            "console",
            lambda message: (
                self.console.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def violations(self, where: str) -> list[str]:
        try:
            seen = self.page.evaluate("window.__violations || []")
        except Exception:  # navigating: the console still has them
            seen = []
        return [f"{where}: {v}" for v in [*seen, *self.console]]


def settle(page: Any) -> None:
    """Wait until the page, watched by :class:`Watch`, is ``SETTLED``."""
    page.wait_for_load_state()
    page.wait_for_function(SETTLED)


# Pages named by a slug rather than an id: a card's (``/c/12-trail-shoes``), an
# interest's (``/interests/browse/shoes/running``), a partner's (``/o/acme/...``) and
# its portal's (``/portal/acme/...``, not ``/portal/orgs``).
SLUGGED = (
    re.compile(r"^/(c|interests/browse)/.+"),
    re.compile(r"^/(o)/[^/]+"),
    re.compile(r"^/(portal)/(?!(?:orgs|join|interests)(?:/|$))[^/]+"),
)


def kind(path: str) -> str:
    """Pages of one kind differ in ids, slugs and queries, not in template: one of each
    is enough (``/portal/acme/providers/3`` stands for every provider's page, ``/c/N``
    for every card's)."""
    path = re.sub(r"\d+", "N", path.split("?")[0])
    for slugged in SLUGGED:
        path = slugged.sub(r"/\1/N", path)
    return path


def walk(page: Any, base: str, start: list[str], watch: Watch) -> tuple[set[str], list[str]]:
    """Visit ``start`` and every same-origin page linked from them; the pages seen and
    the violations met."""
    queue = deque(start)
    seen: set[str] = set()
    kinds: set[str] = set()
    problems: list[str] = []
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen or (kind(path) in kinds and path not in start):
            continue
        seen.add(path)
        kinds.add(kind(path))
        watch.console.clear()
        page.goto(base + path)
        settle(page)
        problems += watch.violations(path)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(urljoin(base + path, href))
            if f"{parts.scheme}://{parts.netloc}" != base:
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP.search(target) or target in seen or kind(target) in kinds:
                continue
            queue.append(target)
    left = {kind(path) for path in queue} - kinds
    assert not left, f"the walk stopped at {MAX_PAGES} pages before these: {sorted(left)}"
    return seen, problems


def log_in(page: Any, base: str, email: str) -> None:
    sign_in(page, base, email)
    settle(page)


def survey_interests() -> list[str]:
    """The interests of a demo survey that a demo YouTube provider targets too."""
    providers = json.loads(read_sample("providers.json"))["providers"]
    videos = {slug for p in providers if p["kind"] == "youtube" for slug in p["interests"]}
    return next(
        p["interests"] for p in providers if p["kind"] == "survey" and videos & {*p["interests"]}
    )


def onboard(page: Any, slugs: list[str]) -> None:
    """Follow exactly ``slugs`` on the onboarding page, found by the interest search."""
    for slug in slugs:
        with page.expect_response(lambda response: "/interests/search" in response.url):
            page.fill("#interest-search", slug)
        settle(page)
        page.locator(f"#results button[data-slug='{slug}']").click()
        page.locator(f"#results button[data-slug='{slug}'][aria-pressed=true]").wait_for()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector(CARDS)


def next_feed_page(page: Any) -> None:
    """The feed's next page, swapped in and settled."""
    scroll_to_next_page(page, CARDS)
    settle(page)


def shopper_actions(page: Any, base: str, watch: Watch) -> list[str]:
    """What a shopper does on the feed, each with htmx swapping a fragment in: save,
    answer a survey question (its results replace it), play a video, "Why?"."""
    page.goto(base + "/")
    page.wait_for_selector(CARDS)
    survey, video = page.locator(SURVEY_FORM), page.locator(VIDEO)
    next_feed_page(page)
    # The feed has an end; a question of the survey is on one of its pages (one a page).
    while not (survey.count() and video.count()):
        assert page.locator("a.more").count(), "the feed ended without a survey or a video"
        next_feed_page(page)
    first = page.locator(CARDS).first
    title = first.locator(".card__title").inner_text()
    first.get_by_role("button", name=f"Save: {title}").click()
    settle(page)

    question = page.locator(f"#card-{survey.first.get_attribute('data-card-id')}")
    choices = question.locator("fieldset.survey input")
    with_choices = choices.count() > 0  # else a question answered in words
    if with_choices:
        choices.first.check()
    else:
        question.locator("fieldset.survey textarea").fill("A trail race in the spring")
    question.get_by_role("button", name="Answer", exact=True).click()
    question.get_by_text("Thanks for answering!").wait_for()
    assert question.locator("fieldset.survey").count() == 0
    if with_choices:  # the shares so far, the shopper's own choice marked
        assert question.locator(".results .result--mine").count() == 1

    # YouTube's player is out of reach offline: a page the test serves stands in for it,
    # so that the frame loads as far as the policy lets it.
    page.route(f"{YOUTUBE_PLAYER}**", lambda route: route.fulfill(body="<p>The player</p>"))
    playing = page.locator(f"#card-{video.first.get_attribute('data-card-id')}")
    playing.locator("[hx-get*='/player']").click()
    frame = playing.locator(PLAYER).element_handle().content_frame()
    assert frame is not None
    frame.get_by_text("The player").wait_for()

    page.locator("a.why-link").first.click()
    page.locator(".why:not(:empty)").first.wait_for()
    return watch.violations("feed actions")


def test_no_page_of_the_shoppers_journey_breaks_the_policy(live_server, live_mail, chromium):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    watch = Watch(page)
    # Signed out: the landing page, the forms, an error page.
    seen, problems = walk(
        page,
        live_server,
        ["/", "/login", "/signup", "/no-such-page", "/privacy", "/password/forgot"],
        watch,
    )
    # A new shopper: the emailed link, the password, onboarding, then the feed's actions.
    sign_up_in_browser(page, live_server, live_mail, f"csp{next(_emails)}@example.com")
    problems += watch.violations("sign-up")
    onboard(page, survey_interests())
    problems += watch.violations("onboarding")
    problems += shopper_actions(page, live_server, watch)
    context.clear_cookies()
    # The demo shopper, with a history: every page they can reach.
    log_in(page, live_server, "demo@example.com")
    more, found = walk(
        page,
        live_server,
        ["/", "/saved", "/interests", "/interests/search?q=shoes", "/notifications",
         "/settings/notifications", "/onboarding", "/o/northwind/suggestions"],
        watch,
    )  # fmt: skip
    seen |= more
    problems += found
    context.close()
    assert problems == []
    assert {"/saved", "/interests", "/settings/notifications"} <= seen
    assert any("/why" in path for path in seen)
    assert any(path.endswith("/questions") for path in seen)  # a card's thread


@pytest.mark.parametrize(
    ("email", "start"),
    [
        ("retailer@example.com", ["/portal/"]),
        (
            "staff@example.com",
            [
                "/portal/",
                "/portal/orgs",
                "/staff",
                "/staff/audit",
                "/staff/transparency",
                "/staff/editorial",
                "/staff/editorial/new",
            ],
        ),
    ],
    ids=["retailer", "staff"],
)
def test_no_page_of_the_partner_journeys_breaks_the_policy(live_server, chromium, email, start):
    context = chromium.new_context(**PHONE)
    page = context.new_page()
    watch = Watch(page)
    log_in(page, live_server, email)
    seen, problems = walk(page, live_server, start, watch)
    if email.startswith("staff"):
        problems += staff_actions(page, live_server, watch)
    context.close()
    assert problems == []
    if email.startswith("staff"):
        assert {"/staff", "/staff/audit", "/staff/transparency", "/staff/editorial"} <= seen
    portal_pages = {p for p in seen if p.startswith("/portal/")}
    assert len(portal_pages) >= 8, portal_pages
    assert any("/results/" in p for p in portal_pages)
    assert any("/providers/new" in p for p in portal_pages)
    assert any(p.endswith("/community/") for p in portal_pages)


def staff_actions(page: Any, base: str, watch: Watch) -> list[str]:
    """The console's one-tap action: htmx swaps the queue in place."""
    page.goto(f"{base}/staff")
    item = page.locator("article.queue-item").first
    item.locator("input[name=reason]").fill("Nothing wrong here")
    item.get_by_role("button", name=re.compile("^Dismiss reports")).click()
    page.get_by_text(re.compile(r"Dismiss reports: done")).wait_for()
    problems = watch.violations("staff console action")
    # An editorial card: previewed in place by htmx, then published.
    page.goto(f"{base}/staff/editorial/new")
    page.fill("[name='config.title']", "Weekend trail picks")
    page.fill("[name='config.text']", "Three shops chose their favourite trail shoes.")
    page.fill("[name='config.link_url']", "https://www.instagram.com/trailpeak")
    page.fill("[name='config.starts_at']", "2030-01-02T09:00")
    page.fill("[name='config.ends_at']", "2030-01-05T21:00")
    page.locator("#f-interests details.browse summary").first.click()  # its first group
    page.locator("input[name=interests]").first.check()
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview .card--editorial").get_by_text("From Plaza").wait_for()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Weekend trail picks is published").wait_for()
    page.get_by_role("link", name="Weekend trail picks").click()
    page.get_by_role("heading", name=re.compile("^Edit .*Weekend trail picks")).wait_for()
    problems += watch.violations("publishing and editing an editorial card")
    return problems


def emailed_link(mailbox: Any, address: str, path: str, timeout: float = 10.0) -> str:
    """The link to ``path...`` in an email to ``address``, once it arrived (account
    email goes out from a background thread)."""
    ends = time.monotonic() + timeout
    while time.monotonic() < ends:
        for message in reversed(mailbox.messages):
            found = re.search(rf"https?://[^/\s]+({re.escape(path)}\S+)", message.get_content())
            if message["To"] == address and found:
                return found.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no link to {path} in an email to {address}")


def test_no_page_of_the_account_journey_breaks_the_policy(live_server, live_mail, chromium):
    """The account page and what it leads to: two-factor set-up with its QR code, the
    deletion page, the emailed links (a new address to confirm, a forgotten password),
    and the data download."""
    context = chromium.new_context(**PHONE, accept_downloads=True)
    page = context.new_page()
    watch = Watch(page)
    email, password = f"csp{next(_emails)}@example.com", "a long enough password"
    sign_up_in_browser(page, live_server, live_mail, email, password)
    start = ["/account", "/account/two-factor", "/account/delete", "/privacy"]
    seen, problems = walk(page, live_server, start, watch)
    assert set(start) <= seen
    page.goto(f"{live_server}/account/two-factor")
    qr = page.locator("img.qr")
    qr.wait_for()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    problems += watch.violations("two-factor set-up")
    page.goto(f"{live_server}/account")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data (JSON)").click()
    assert download.value.suggested_filename.endswith(".json")
    problems += watch.violations("export")
    # A new address: the link sent there opens a page to confirm it.
    new_address = f"csp{next(_emails)}@example.com"
    change = page.locator("form[action$='/account/email']")
    change.locator("input[type=email]").fill(new_address)
    change.locator("input[type=password]").fill(password)
    change.locator("button[type=submit]").click()
    settle(page)
    watch.console.clear()
    page.goto(live_server + emailed_link(live_mail, new_address, "/account/email/confirm/"))
    settle(page)
    problems += watch.violations("confirm the new address")
    # Signed out: a forgotten password, the emailed link, the page to choose a new one.
    context.clear_cookies()
    page.goto(f"{live_server}/password/forgot")
    page.fill("input[name=email]", email)
    page.click("button[type=submit]")
    settle(page)
    problems += watch.violations("forgot password")
    watch.console.clear()
    page.goto(live_server + emailed_link(live_mail, email, "/password/reset/"))
    settle(page)
    problems += watch.violations("reset password")
    context.close()
    assert problems == []
