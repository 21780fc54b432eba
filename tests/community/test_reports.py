"""Reporting a card or a participant: one open report per person and thing, plain text,
clear messages for everything that cannot be taken, and nothing changed by them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from app.models import Card, Provider, Report
from tests.moderation import Moderation


def reports(mod: Moderation) -> list[Report]:
    mod.world.db.expire_all()
    return list(mod.world.db.exec(select(Report).order_by(Report.id)).all())


def test_a_shopper_reports_a_card_with_a_reason_and_words(mod):
    client, token = mod.client("shopper@example.com")
    form = client.get(f"/report/card/{mod.card_id}", headers={"HX-Request": "true"})
    assert form.status_code == 200
    assert "What is wrong?" in form.get_data(as_text=True)
    assert "<html" not in form.get_data(as_text=True)  # htmx gets the fragment alone
    assert form.headers["Vary"].count("HX-Request")
    response = mod.report(client, token, reason="misleading", text="  Not the price shown  ")
    assert response.status_code == 200
    assert "your report is sent" in response.get_data(as_text=True)
    (report,) = reports(mod)
    assert (report.target_kind, report.target_id, report.reason) == (
        "card",
        mod.card_id,
        "misleading",
    )
    assert report.text == "Not the price shown"
    assert report.reporter_id == mod.shopper_id


def test_reporting_the_same_card_twice_is_one_report_and_says_so(mod):
    client, token = mod.client("shopper@example.com")
    assert mod.report(client, token).status_code == 200
    again = mod.report(client, token, reason="spam")
    assert again.status_code == 409
    assert "You already reported this" in again.get_data(as_text=True)
    assert len(reports(mod)) == 1
    # Someone else's report of the same card is theirs.
    other, other_token = mod.client("other@example.com")
    assert mod.report(other, other_token).status_code == 200
    assert len(reports(mod)) == 2


def test_a_removed_card_cannot_be_reported_and_the_message_says_why(mod):
    card = mod.world.db.get(Card, mod.card_id)
    card.removed_at = datetime.now(UTC)
    mod.world.db.commit()
    client, token = mod.client("shopper@example.com")
    response = mod.report(client, token)
    assert response.status_code == 409
    assert "already removed" in response.get_data(as_text=True)
    form = client.get(f"/report/card/{mod.card_id}")
    assert form.status_code == 409 and "already removed" in form.get_data(as_text=True)
    assert reports(mod) == []


def test_a_card_the_feed_does_not_show_is_no_such_card(mod):
    """Not started yet, or its provider suspended: the same 404 as a card that never
    existed (ids are sequential; a different answer would tell what is scheduled)."""
    card = mod.world.db.get(Card, mod.card_id)
    card.starts_at = datetime.now(UTC) + timedelta(days=2)
    mod.world.db.commit()
    client, token = mod.client("shopper@example.com")
    assert client.get(f"/report/card/{mod.card_id}").status_code == 404
    response = mod.report(client, token)
    assert response.status_code == 404
    assert "There is no such thing to report." in response.get_data(as_text=True)
    assert reports(mod) == []


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"reason": ""}, 400, "Choose why you are reporting this."),
        ({"reason": "rude"}, 400, "Choose why you are reporting this."),
        ({"text": "x" * 1001}, 400, "Keep it to 1000 characters"),
    ],
    ids=["no reason", "unknown reason", "text too long"],
)
def test_bad_reports_are_refused_with_the_form_and_what_was_typed(mod, form, status, message):
    client, token = mod.client("shopper@example.com")
    typed = form.get("text", "My words")
    response = mod.report(client, token, **{"text": typed, **form})
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in page
    assert typed[:50] in page  # nothing typed is lost
    assert reports(mod) == []


def test_htmx_gets_the_form_back_in_place_for_a_bad_report(mod):
    client, token = mod.client("shopper@example.com")
    response = client.post(
        f"/report/card/{mod.card_id}",
        data={"reason": "", "text": "<script>alert(1)</script>", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422  # swapped in place, not into the toasts
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, never markup
    assert "<script>alert" not in page


def test_reports_of_missing_things_are_404s(mod):
    client, token = mod.client("shopper@example.com")
    assert mod.report(client, token, target=999_999).status_code == 404
    assert mod.report(client, token, kind="planet").status_code == 404
    assert client.get("/report/card/999999").status_code == 404
    assert reports(mod) == []


def test_a_participant_may_be_reported_but_not_by_themselves(mod):
    client, token = mod.client("shopper@example.com")
    assert mod.report(client, token, kind="user", target=mod.other_id).status_code == 200
    response = mod.report(client, token, kind="user", target=mod.shopper_id)
    assert response.status_code == 400
    assert "You cannot report yourself." in response.get_data(as_text=True)
    assert [(r.target_kind, r.target_id) for r in reports(mod)] == [("user", mod.other_id)]


def test_the_card_menu_links_to_the_report_form_the_same_for_every_shopper(mod):
    pages = []
    for email in ("shopper@example.com", "other@example.com"):
        client, _ = mod.client(email)
        html = client.get("/").get_data(as_text=True)
        assert f'href="/report/card/{mod.card_id}"' in html
        pages.append(html)
    assert f'id="report-{mod.card_id}"' in pages[0]


def test_signed_out_visitors_are_sent_to_log_in(mod):
    client, token = mod.client(None)
    response = mod.report(client, token)
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
    assert reports(mod) == []


def test_an_account_sends_at_most_thirty_reports_an_hour_or_what_the_operator_set(mod):
    assert mod.world.app.config["REPORTS_PER_HOUR"] == 30  # PLAZA_REPORTS_PER_HOUR
    per_hour = mod.world.app.config["REPORTS_PER_HOUR"] = 3
    provider = mod.world.db.get(Provider, mod.world.db.get(Card, mod.card_id).provider_id)
    cards = mod.world.cards(provider, per_hour, start=1)
    client, token = mod.client("shopper@example.com")
    for card_id in cards[:per_hour]:
        assert mod.report(client, token, target=card_id).status_code == 200
    response = mod.report(client, token)
    assert response.status_code == 429
    assert "You sent 3 reports in the last hour" in response.get_data(as_text=True)
    assert len(reports(mod)) == per_hour
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=1)):
        assert mod.report(client, token).status_code == 200
