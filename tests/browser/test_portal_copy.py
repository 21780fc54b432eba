"""Secrets shown once (a new API token, an invitation link) copy in one tap, and the
API's reference reads on a phone."""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def create_token(context, base: str, name: str):  # type: ignore[no-untyped-def]
    """The demo retailer makes an API token from the portal; the page that shows it once."""
    page = context.new_page()
    sign_in(page, base, "retailer@example.com")
    page.goto(f"{base}/portal/")
    page.get_by_role("link", name="API tokens").first.click()
    page.fill("#token-name", name)
    page.get_by_role("button", name="Create token").click()
    return page


def test_a_new_token_copies_whole_and_the_api_reference_fits_a_phone(
    live_server, chromium, output_dir
):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = create_token(context, live_server, "catalog sync")

    secret = page.locator("#once-value").input_value()
    assert len(secret) > 30
    copy = page.get_by_role("button", name="Copy")
    copy.click()
    page.locator("#once-copied", has_text="Copied.").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == secret
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(output_dir / "token-once.png"))

    page.get_by_role("link", name="Plaza's API").click()
    page.wait_for_url("**/developers/api")
    assert page.get_by_role("heading", name="Plaza partner API 1.0.0").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("link", name="POST /api/v1/providers", exact=True).click()
    heading = page.locator("#post-api-v1-providers-title")
    assert heading.is_visible()
    page.screenshot(path=str(output_dir / "api-reference.png"))
    context.close()


def test_without_clipboard_access_the_token_stays_selectable_and_no_button_misleads(
    live_server, chromium
):
    context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    page = create_token(context, live_server, "no script")
    assert len(page.locator("#once-value").input_value()) > 30
    assert page.get_by_role("button", name="Copy").count() == 0
    context.close()
