"""The shopper's time zone comes from a real browser: with sign-up, or once from the feed
for an account that signed up without JavaScript."""

from __future__ import annotations

import itertools

import pytest

from tests.signups import sign_up_in_browser

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
PASSWORD = "a long enough password"
_emails = itertools.count()


def sign_up(page, base: str, mail) -> str:  # type: ignore[no-untyped-def]
    email = f"zone{next(_emails)}@example.com"
    sign_up_in_browser(page, base, mail, email, PASSWORD)
    return email


def zone_setting(page, base: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The zone field and its hint on the settings page, as the shopper sees them."""
    page.goto(f"{base}/settings/notifications")
    return page.input_value("#timezone"), page.inner_text("#timezone-hint")


def test_sign_up_takes_the_zone_of_the_browser(live_server, live_mail, chromium):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, timezone_id="Australia/Sydney")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_up(page, live_server, live_mail)
    zone, hint = zone_setting(page, live_server)
    assert zone == "Australia/Sydney"
    assert "Plaza took it from your browser" in hint
    assert errors == []
    context.close()


def test_without_javascript_utc_until_the_feed_reports_the_zone_once(
    live_server, live_mail, chromium
):
    quiet = chromium.new_context(viewport=PHONE, java_script_enabled=False,
                                 timezone_id="Asia/Tokyo")  # fmt: skip
    page = quiet.new_page()
    email = sign_up(page, live_server, live_mail)
    assert zone_setting(page, live_server) == ("", "Quiet hours and digests follow this zone. "
                                                   "Until you set it, Plaza uses UTC.")  # fmt: skip
    page.goto(f"{live_server}/onboarding")
    page.get_by_role("button", name="Follow ").first.click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{live_server}/")
    quiet.close()

    # Later, on a phone with JavaScript in New York: the first feed visit reports the zone.
    for timezone_id, reports in (("America/New_York", True), ("Europe/Paris", False)):
        context = chromium.new_context(viewport=PHONE, is_mobile=True, timezone_id=timezone_id)
        page = context.new_page()
        page.goto(f"{live_server}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        if reports:
            with page.expect_response("**/settings/notifications/timezone") as answer:
                page.click("button[type=submit]")
            assert answer.value.json() == {"status": "detected", "timezone": timezone_id}
        else:  # the zone is known now: Paris is a trip, not a move
            page.click("button[type=submit]")
            page.wait_for_url(f"{live_server}/")
            assert page.locator("[data-report-timezone]").count() == 0
        assert zone_setting(page, live_server)[0] == "America/New_York"
        context.close()
