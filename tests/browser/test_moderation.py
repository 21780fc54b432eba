"""Moderation end to end, on a phone-sized screen in a real Chromium: a shopper reports a
card from its menu, staff remove it from /staff with a reason, the audit log shows the
report's resolution and the removal, and the card is gone from the shopper's feed."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
CARDS = "article.card[data-card-id]:not(.card--note)"


def log_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, base, email)
    page.wait_for_load_state("networkidle")


def test_a_reported_card_is_removed_by_staff_and_leaves_the_feed(live_server, chromium, output_dir):
    errors: list[str] = []
    shopper = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = shopper.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, live_server, "demo@example.com")
    page.wait_for_selector(CARDS)
    card = page.locator(CARDS).first
    card_id = card.get_attribute("data-card-id")
    title = card.locator(".card__title").inner_text().strip()

    # The card's menu: Report opens a small form in place; a reason, a few words, send.
    card.locator("summary.icon-button").click()
    card.get_by_role("link", name="Report").click()
    form = card.locator("form.report-form")
    form.wait_for()
    form.get_by_label("Misleading").check()
    form.get_by_label("More about it (optional)").fill("The price is not the one shown.")
    page.screenshot(path=str(output_dir / "report-form.png"))
    form.get_by_role("button", name="Send report").click()
    card.get_by_text("your report is sent").wait_for()

    # Staff: the queue shows the card's report; remove it, with a reason.
    staff = chromium.new_context(viewport=PHONE, is_mobile=True)
    desk = staff.new_page()
    desk.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(desk, live_server, "staff@example.com")
    desk.goto(f"{live_server}/staff")
    item = desk.locator(f"#item-reports-card-{card_id}")
    item.wait_for()
    assert "The price is not the one shown." in item.inner_text()
    item.get_by_label("Reason (the person concerned is told)").fill("Misleading price")
    desk.screenshot(path=str(output_dir / "staff-queue.png"))
    item.get_by_role("button", name=f"Remove: {title}").click()
    # (The demo's crowd may have reported the same card: its reports are resolved too.)
    desk.get_by_text(re.compile(r"Remove: done; \d+ reports? resolved\.")).wait_for()
    assert desk.locator(f"#item-reports-card-{card_id}").count() == 0

    # The audit log: the removal, with the report it resolved.
    desk.goto(f"{live_server}/staff/audit")
    row = desk.locator("table.audit tbody tr").first
    text = row.inner_text()
    assert "remove" in text and re.search(r"resolved \d+ report", text)
    assert f"card #{card_id}: {title}" in text and "Misleading price" in text
    desk.screenshot(path=str(output_dir / "staff-audit.png"))

    # The shopper's feed no longer has the card.
    page.goto(f"{live_server}/")
    page.wait_for_selector(CARDS)
    assert page.locator(f"#card-{card_id}").count() == 0
    assert errors == []
    shopper.close()
    staff.close()
