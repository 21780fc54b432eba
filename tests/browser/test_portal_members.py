"""Members on a phone: joining with an existing account, removing with a confirmation,
leaving without JavaScript."""

from __future__ import annotations

import itertools

import pytest

from tests.browser.conftest import sign_in
from tests.signups import sign_up_in_browser

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
_emails = itertools.count()


def sign_up(context, base: str, mail) -> tuple[object, str]:  # type: ignore[no-untyped-def]
    page = context.new_page()
    email = f"joiner{next(_emails)}@example.com"
    sign_up_in_browser(page, base, mail, email)
    return page, email


def fits_a_phone(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    small = page.evaluate(
        """() => [...document.querySelectorAll('main a.button, main button')]
        .filter(el => el.offsetParent !== null)
        .map(el => [el.textContent.trim(), el.getBoundingClientRect().height])
        .filter(([_, height]) => height < 44)"""
    )
    assert small == []


def test_join_remove_and_leave_on_a_phone(live_server, live_mail, chromium, output_dir):
    retailer_context = chromium.new_context(viewport=PHONE, is_mobile=True)
    retailer = retailer_context.new_page()
    sign_in(retailer, live_server, "retailer@example.com")
    retailer.goto(f"{live_server}/portal/")
    retailer.get_by_role("link", name="Members").click()
    members_url = retailer.url

    def new_link() -> str:
        retailer.goto(members_url)
        retailer.get_by_role("button", name="Create an invitation link").click()
        return retailer.locator("#once-value").input_value()

    # A shopper with JavaScript joins with the account they have, in one tap.
    joiner_context = chromium.new_context(viewport=PHONE, is_mobile=True)
    joiner, email = sign_up(joiner_context, live_server, live_mail)
    joiner.goto(new_link())
    heading = joiner.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("Join ") and heading.endswith(f" as {email}")
    fits_a_phone(joiner)
    joiner.screenshot(path=str(output_dir / "join-as-me.png"))
    joiner.get_by_role("button", name="Join ").click()
    joiner.wait_for_url("**/portal/*/")
    assert "You joined" in joiner.locator(".flashes").inner_text()

    # The retailer removes them: the browser asks, then the list comes back without them.
    retailer.goto(members_url)
    fits_a_phone(retailer)
    retailer.screenshot(path=str(output_dir / "members.png"))
    asked: list[str] = []
    retailer.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    retailer.get_by_role("link", name=f"Remove {email}…").click()
    retailer.wait_for_selector(".flash--info")
    assert asked and asked[0].startswith(f"Remove {email} from ")
    assert f"{email} is no longer a member" in retailer.locator(".flashes").inner_text()
    assert retailer.get_by_role("link", name=f"Remove {email}…").count() == 0
    assert joiner.goto(f"{live_server}/portal/").status == 403

    # Without JavaScript, Leave opens a confirmation page first.
    quiet_context = chromium.new_context(viewport=PHONE, java_script_enabled=False)
    quiet, quiet_email = sign_up(quiet_context, live_server, live_mail)
    quiet.goto(new_link())
    quiet.get_by_role("button", name="Join ").click()
    quiet.wait_for_url("**/portal/*/")
    assert "You joined" in quiet.locator(".flashes").inner_text()
    quiet.get_by_role("link", name="Members").click()
    assert f"{quiet_email} (you)" in quiet.get_by_role("list", name="Members").inner_text()
    quiet.get_by_role("link", name="Leave ").click()
    assert quiet.get_by_role("heading", level=1).inner_text().startswith("Leave ")
    fits_a_phone(quiet)
    quiet.screenshot(path=str(output_dir / "leave-without-js.png"))
    quiet.locator("button.danger").click()
    assert "You left" in quiet.locator(".flashes").inner_text()
    assert quiet.goto(f"{live_server}/portal/").status == 403
    for context in (retailer_context, joiner_context, quiet_context):
        context.close()
