"""Plaza on a phone that loses its connection: what the shopper saved and last saw is
still there, and nothing of it reaches the next shopper on the same phone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from app.accounts.users import create_user
from app.models import InterestState
from app.shopper.interests import set_interest_state
from tests.browser.conftest import PASSWORD, demo_plaza_app, serving, sign_in
from tests.conftest import DemoTemplates

pytestmark = pytest.mark.browser

CARDS = "article.card[data-card-id]:not(.card--note)"
FIRST = "demo@example.com"
FIRST_PASSWORD = "plaza-demo-pass"
SECOND = "second-shopper@example.com"
NOTICE = ".offline-notice"
MARKER = 'meta[name="plaza-account"]'


@pytest.fixture(scope="module")
def plaza(tmp_path_factory: pytest.TempPathFactory, demo_templates: DemoTemplates) -> Iterator[str]:
    """The demo, and a second shopper who follows kitchen things."""
    app = demo_plaza_app(tmp_path_factory.mktemp("offline") / "plaza.sqlite3", demo_templates)
    with app.app_context(), Session(app.extensions["plaza.engine"]) as db:
        user = create_user(db, SECOND, PASSWORD)
        user.onboarded_at = datetime.now(UTC)
        set_interest_state(db, user.id, "home/kitchen", InterestState.FOLLOW)
        db.commit()
    with serving(app) as url:
        yield url
    app.extensions["plaza.engine"].dispose()


def log_in(page, url: str, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, url, email, password)
    page.wait_for_selector(CARDS)


def controlled(page) -> None:  # type: ignore[no-untyped-def]
    """Waits until the service worker answers this page's requests."""
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
    )


def wait_until_kept(page, path: str) -> None:  # type: ignore[no-untyped-def]
    """Waits until the service worker has kept ``path`` in the one account's cache: it
    writes a page there after handing it to the page, so a page on screen may not be
    kept yet. (``wait_for_function`` would take the check's promise itself as true.)"""
    check = """async path => {
        const names = (await caches.keys()).filter(name => name.startsWith("plaza-pages-"));
        return names.length === 1 && !!(await (await caches.open(names[0])).match(path));
    }"""
    for _ in range(300):
        if page.evaluate(check, path):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the service worker never kept {path}")


def test_saved_cards_stay_offline_and_leave_with_their_shopper(plaza, chromium, output_dir: Path):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    log_in(page, plaza, FIRST, FIRST_PASSWORD)
    controlled(page)
    card = page.locator(CARDS).first
    title = card.locator(".card__title").inner_text().strip()
    card.get_by_role("button", name=f"Save: {title}").click()
    page.get_by_role("button", name=f"Remove from saved: {title}").wait_for()
    page.goto(f"{plaza}/saved")
    assert title in page.locator("main").inner_text()
    assert not page.locator(NOTICE).is_visible()
    page.goto(f"{plaza}/")
    page.wait_for_selector(CARDS)
    feed_titles = page.locator(f"{CARDS} .card__title").all_inner_texts()
    wait_until_kept(page, "/saved")
    wait_until_kept(page, "/")

    context.set_offline(True)
    page.goto(f"{plaza}/saved")
    assert title in page.locator("main").inner_text()
    notice = page.locator(NOTICE)
    assert notice.is_visible()
    assert notice.inner_text() == "You're offline — showing what you saved."
    page.wait_for_load_state("load")  # its stylesheet and icons come from the worker's cache
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"
    page.screenshot(path=str(output_dir / "saved-offline.png"))
    page.goto(f"{plaza}/")
    assert page.locator(NOTICE).inner_text() == "You're offline — showing what you last saw."
    assert page.locator(f"{CARDS} .card__title").all_inner_texts() == feed_titles
    page.goto(f"{plaza}/interests")  # never kept: the offline page, naming no one
    assert "You're offline" in page.locator("h1").inner_text()
    assert FIRST not in page.content()

    # Back online, the shopper logs out and someone else signs in on the same phone.
    context.set_offline(False)
    page.goto(f"{plaza}/")
    first_marker = page.locator(MARKER).get_attribute("content")
    page.locator("details.account summary").click()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{plaza}/login")
    log_in(page, plaza, SECOND, PASSWORD)
    controlled(page)
    second_marker = page.locator(MARKER).get_attribute("content")
    assert first_marker and second_marker and first_marker != second_marker
    wait_until_kept(page, "/")
    context.set_offline(True)
    page.goto(f"{plaza}/saved")  # never seen by the second shopper: nothing kept
    assert "You're offline" in page.locator("h1").inner_text()
    assert title not in page.locator("body").inner_text()
    page.goto(f"{plaza}/")  # the second shopper's own feed, as they last saw it
    assert page.locator(MARKER).get_attribute("content") == second_marker
    assert page.locator(NOTICE).is_visible()
    for shown in (page.content(), page.locator("body").inner_text()):
        assert FIRST not in shown
    page.screenshot(path=str(output_dir / "second-shopper-offline.png"))
    # The phone keeps one account's pages: the second shopper's.
    kept = [name for name in page.evaluate("caches.keys()") if name.startswith("plaza-pages-")]
    assert kept == [f"plaza-pages-{second_marker}"]
    assert errors == []
    context.close()


IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.mark.parametrize("phone", ["android", "iphone"])
def test_the_account_page_says_how_to_install_plaza(plaza, chromium, phone):
    """Where the browser offers no install prompt nothing shows but on iPhone and iPad,
    which never do: there the Share menu's way is explained."""
    options = {"user_agent": IPHONE} if phone == "iphone" else {}
    phone_size = {"width": 390, "height": 844}
    context = chromium.new_context(viewport=phone_size, is_mobile=True, **options)
    page = context.new_page()
    # Chromium may offer its own prompt at a moment of its choosing: the test offers one
    # itself, when it means to, and keeps Chromium's from the page.
    page.add_init_script(
        """window.addEventListener("beforeinstallprompt", (event) => {
             if (event.isTrusted) event.stopImmediatePropagation();
           }, true);"""
    )
    log_in(page, plaza, SECOND, PASSWORD)
    page.goto(f"{plaza}/account")
    page.wait_for_load_state("load")
    section = page.locator("[data-install]")
    install = page.get_by_role("button", name="Install Plaza")
    if phone == "iphone":
        section.wait_for()
        assert "tap Share, then Add to Home Screen" in section.inner_text()
        assert not install.is_visible()
    else:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        assert not section.is_visible()  # no offer from the browser, not an iPhone: nothing
        # The browser offers to install: the button appears and opens its prompt.
        page.evaluate(
            """() => {
              const offer = new Event("beforeinstallprompt", { cancelable: true });
              offer.prompt = () => { window.prompted = true; };
              offer.userChoice = Promise.resolve({ outcome: "accepted" });
              window.dispatchEvent(offer);
            }"""
        )
        install.click()
        page.wait_for_function("() => window.prompted === true")
        assert "Plaza is being installed." in section.inner_text()
    context.close()
