"""Notification settings on a phone, in a real browser: every category within two
screens, nothing floating over the controls, and each change saved as it is made."""

from __future__ import annotations

import itertools

import pytest
from playwright.sync_api import expect

from tests.signups import sign_up_in_browser

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
_emails = itertools.count()

# Every control of the settings page that a shopper can see, and what covers its centre
# once the browser has scrolled it into view the way it does for a focused field.
COVERED = """
(fromTop) => {
  const controls = Array.from(document.querySelectorAll(
    "main select, main input:not([type=hidden]), main button, main summary"))
    .filter((el) => el.checkVisibility({ visibilityProperty: true }));
  const covered = [];
  for (const el of fromTop ? controls : controls.reverse()) {
    window.scrollTo(0, fromTop ? 0 : document.documentElement.scrollHeight);
    el.scrollIntoView({ block: "nearest" });
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    if (!hit || !(el.contains(hit) || (el.labels && Array.from(el.labels).includes(hit)))) {
      covered.push((el.id || el.name || el.textContent.trim()) + " under " +
                   (hit ? hit.tagName + "." + hit.className : "nothing"));
    }
  }
  return covered;
}
"""

FLOATING = """
() => Array.from(document.querySelectorAll("main *"))
  .filter((el) => ["fixed", "sticky"].includes(getComputedStyle(el).position))
  .map((el) => el.tagName + "." + el.className)
"""


# Headings that run into the card they head, or sit on its border as a legend does.
STRADDLING = """
() => Array.from(document.querySelectorAll("main h2, main h3"))
  .filter((h) => h.checkVisibility() && h.nextElementSibling)
  .filter((h) => h.getBoundingClientRect().bottom >
                 h.nextElementSibling.getBoundingClientRect().top)
  .concat(Array.from(document.querySelectorAll("main legend")).filter((legend) =>
    legend.getBoundingClientRect().top < legend.parentElement.getBoundingClientRect().top + 1))
  .map((h) => h.textContent.trim())
"""


def saved(page, status: str) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "(id) => document.getElementById(id).textContent.includes('Saved')", arg=status
    )


def test_settings_fit_a_phone_and_save_as_they_change(live_server, live_mail, chromium, output_dir):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, timezone_id="America/New_York")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_up_in_browser(page, live_server, live_mail, f"settings{next(_emails)}@example.com")
    page.goto(f"{live_server}/settings/notifications")

    # Eight categories, one row each, in at most two screens of this phone.
    rows = page.locator(".prefs > li")
    assert rows.count() == 8
    height = page.eval_on_selector(".prefs", "el => el.getBoundingClientRect().height")
    assert height <= 2 * PHONE["height"], height
    # No Save button with JavaScript (changes save themselves), nothing floats in the
    # page, and the top bar and tab bar cover no control wherever it scrolls to.
    assert page.get_by_role("button", name="Save", exact=True).count() == 0
    assert page.evaluate(FLOATING) == []
    assert page.evaluate(COVERED, True) == []
    assert page.evaluate(COVERED, False) == []
    assert page.evaluate(STRADDLING) == []
    page.evaluate("window.scrollTo(0, 0)")

    # Surveys off; new products as a daily digest; both say "Saved" in their row.
    surveys = page.locator("#surveys-on")
    assert surveys.is_checked()
    surveys.click()
    saved(page, "surveys-status")
    # The row was redrawn from what is stored; focus stays on the switch, and the row
    # looks off.
    assert page.evaluate("document.activeElement.id") == "surveys-on"
    opacity = "id => getComputedStyle(document.getElementById(id)).opacity"
    assert float(page.evaluate(opacity, "surveys-often-slot")) < 1
    assert float(page.evaluate(opacity, "products-often-slot")) == 1
    page.select_option("#products-often", "daily")
    saved(page, "products-status")
    # Behind "More", the channels changed with it; push is offered where it can work.
    page.locator("#pref-products summary").click()
    assert page.input_value("#products-in_app") == "daily"
    assert page.input_value("#products-email") == "daily"
    push_works = page.evaluate("'PushManager' in window && 'serviceWorker' in navigator")
    push = expect(page.locator("#products-push"))  # shown by the page's script
    if push_works:
        push.to_be_visible()
    else:
        push.to_be_hidden()
    assert page.locator("#pref-products details").get_attribute("open") is not None

    # The time zone, found by searching, then the device's own zone in one tap.
    assert page.input_value("#timezone") == "America/New_York"  # sent with sign-up
    page.fill("[data-timezone-search]", "kolk")
    assert page.locator("#timezone option").count() <= 3
    page.select_option("#timezone", "Asia/Kolkata")
    saved(page, "timezone-status")
    offer = page.locator("[data-timezone-offer]")
    assert offer.inner_text() == "Use this device's zone: America/New_York"
    page.reload()
    assert not page.locator("#surveys-on").is_checked()
    assert page.input_value("#products-often") == "daily"
    assert page.input_value("#products-email") == "daily"
    assert page.input_value("#timezone") == "Asia/Kolkata"
    assert "Plaza took it from your browser" not in page.inner_text("#timezone-hint")
    page.locator("[data-timezone-offer]").click()
    saved(page, "timezone-status")
    page.reload()
    assert page.input_value("#timezone") == "America/New_York"
    assert page.locator("[data-timezone-offer]").is_hidden()
    assert errors == []  # no script error, nothing the Content-Security-Policy refused
    # Last: Playwright's full-page screenshot leaves style="" attributes that htmx would
    # copy on its next swap, which the policy (rightly) refuses.
    page.locator("#pref-products summary").click()
    page.screenshot(path=str(output_dir / "settings.png"), full_page=True)
    context.close()


def test_without_javascript_one_save_button_saves_the_whole_form(
    live_server, live_mail, chromium, output_dir
):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_up_in_browser(page, live_server, live_mail, f"settings-nojs{next(_emails)}@example.com")
    page.goto(f"{live_server}/settings/notifications")
    save = page.get_by_role("button", name="Save", exact=True)
    assert save.count() == 1
    page.locator("#videos-on").uncheck()
    page.select_option("#boards-often", "weekly")
    page.select_option("#timezone", "Europe/Lisbon")
    save.click()
    page.get_by_text("Notification settings saved.").wait_for()
    assert page.url == f"{live_server}/settings/notifications"
    assert not page.locator("#videos-on").is_checked()
    assert page.input_value("#boards-often") == "weekly"
    assert page.input_value("#boards-in_app") == "weekly"
    assert page.input_value("#timezone") == "Europe/Lisbon"
    assert page.locator("#products-on").is_checked()  # untouched rows stay as they were
    page.screenshot(path=str(output_dir / "settings.png"), full_page=True)
    context.close()
