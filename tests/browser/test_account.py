"""The account on a phone: two-factor set up from the QR code, the data downloaded, the
account deleted; every page fits the screen."""

from __future__ import annotations

import json

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_portal_members import PHONE, fits_a_phone, sign_up

pytestmark = pytest.mark.browser


def test_an_account_from_two_factor_to_deletion_on_a_phone(
    live_server, live_mail, contexts, output_dir
):
    context = contexts(viewport=PHONE, is_mobile=True, accept_downloads=True)
    page, email = sign_up(context, live_server, live_mail)
    assert page.locator("footer a[href='/privacy']").count() == 1

    page.goto(f"{live_server}/account")
    fits_a_phone(page)
    page.screenshot(path=str(output_dir / "account.png"), full_page=True)

    page.get_by_role("link", name="Set up two-factor authentication").click()
    page.wait_for_url("**/account/two-factor")
    qr = page.locator("img.qr")
    qr.wait_for()
    assert page.evaluate("document.querySelector('img.qr').naturalWidth") > 0  # it loaded
    fits_a_phone(page)
    page.screenshot(path=str(output_dir / "two-factor.png"), full_page=True)
    secret = page.locator("code.secret").inner_text()
    page.fill("input[name='setup-code']", pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator(".codes code")).to_have_count(10)
    codes = page.locator(".codes code").all_inner_texts()
    page.screenshot(path=str(output_dir / "recovery-codes.png"), full_page=True)

    # Signing in again asks for the second step; a recovery code will do.
    other = contexts(viewport=PHONE, is_mobile=True).new_page()
    sign_in(other, live_server, email, "a long enough password")
    other.wait_for_url("**/login/two-factor")
    other.locator("input[name=code]").wait_for()
    fits_a_phone(other)
    other.fill("input[name=code]", codes[0])
    other.click("button[type=submit]")
    other.wait_for_url("**/onboarding")

    page.goto(f"{live_server}/account")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data (JSON)").click()
    data = json.loads(download.value.path().read_text())
    assert data["profile"]["email"] == email and data["profile"]["recovery_codes_left"] == 9

    page.get_by_role("link", name="Delete your account…").click()
    page.wait_for_url("**/account/delete")
    page.locator("input[name=password]").wait_for()
    fits_a_phone(page)
    page.screenshot(path=str(output_dir / "delete.png"), full_page=True)
    page.fill("input[name=password]", "a long enough password")
    page.fill("input[name=code]", codes[1])
    page.get_by_role("button", name="Delete my account for good").click()
    page.wait_for_selector(".flash--info")
    assert "Your account and your data are deleted." in page.locator(".flashes").inner_text()
    other.goto(f"{live_server}/account")
    assert "/login" in other.url  # the other device is signed out too
