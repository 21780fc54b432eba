"""A suspended or banned participant: their sessions end at the next request (open tabs
posting through htmx get a clear refusal), login is refused with the reason, and they
may appeal each decision once within 20 days; staff uphold or reverse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import select

from app.models import Appeal, Decision


def ban(mod, reason="Harassing other shoppers"):  # type: ignore[no-untyped-def]
    staff, token = mod.client("staff@example.com")
    response = mod.act(staff, token, "ban", kind="user", target=mod.other_id, reason=reason)
    assert response.status_code == 303
    return staff, token


def login(mod, client, token):  # type: ignore[no-untyped-def]
    return client.post(
        "/login",
        data={"email": "other@example.com", "password": mod.world.password, "csrf_token": token},
    )


def test_a_ban_ends_the_persons_session_at_their_next_request(mod):
    tab, tab_token = mod.client("other@example.com")
    assert tab.get("/").status_code == 200
    ban(mod)
    # An open tab posting through htmx: a clear refusal, not a silent login page.
    response = tab.post(
        f"/cards/{mod.card_id}/save",
        data={"csrf_token": tab_token},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 403
    message = response.get_data(as_text=True)
    assert "Your account is banned from Plaza. Reason: Harassing other shoppers" in message
    assert "<html" not in message  # a fragment for the page's toasts
    # The session is gone: the next page is the visitor's landing page.
    assert tab.get("/settings/notifications").status_code in (302, 303)


def test_a_banned_persons_next_page_says_why_and_leads_to_the_appeal(mod):
    tab, _ = mod.client("other@example.com")
    ban(mod)
    response = tab.get("/saved")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your account is banned from Plaza. Reason: Harassing other shoppers" in page
    assert 'href="/decisions"' in page
    assert "Harassing other shoppers" in tab.get("/decisions").get_data(as_text=True)


def test_a_banned_person_cannot_log_in_and_is_told_why(mod):
    ban(mod)
    client, token = mod.client(None)
    response = login(mod, client, token)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Your account is banned from Plaza. Reason: Harassing other shoppers" in page
    assert client.get("/settings/notifications").status_code in (302, 303)  # no session
    # The decisions page is open to them in this browser, to appeal.
    decisions = client.get("/decisions")
    assert decisions.status_code == 200
    assert "Harassing other shoppers" in decisions.get_data(as_text=True)


def test_a_suspension_ends_on_its_own(mod):
    now = datetime.now(UTC)
    with time_machine.travel(now, tick=False):
        staff, token = mod.client("staff@example.com")
        response = mod.act(
            staff, token, "suspend", kind="user", target=mod.other_id, days="2", reason="Spam"
        )
        assert response.status_code == 303
        client, client_token = mod.client(None)
        refused = login(mod, client, client_token)
        assert refused.status_code == 403
        until = (now + timedelta(days=2)).strftime("%d %b %Y")
        assert f"suspended until {until}" in refused.get_data(as_text=True)
    with time_machine.travel(now + timedelta(days=2, minutes=1), tick=False):
        client, client_token = mod.client(None)
        assert login(mod, client, client_token).status_code == 303


def test_an_appeal_once_within_twenty_days_and_staff_reverse_the_ban(mod):
    now = datetime.now(UTC)
    with time_machine.travel(now, tick=False):
        staff, staff_token = ban(mod)
        client, token = mod.client(None)
        login(mod, client, token)
        token = mod.world.csrf("/decisions", client=client)
        (decision,) = mod.world.db.exec(select(Decision)).all()
        url = f"/decisions/{decision.id}/appeal"
        empty = client.post(url, data={"text": "  ", "csrf_token": token})
        assert empty.status_code == 400 and "Say why" in empty.get_data(as_text=True)
        sent = client.post(url, data={"text": "It was my brother", "csrf_token": token})
        assert sent.status_code == 303
        twice = client.post(url, data={"text": "Really", "csrf_token": token})
        assert twice.status_code == 409
        assert "You already appealed this decision" in twice.get_data(as_text=True)
        (appeal,) = mod.world.db.exec(select(Appeal)).all()
        queue = staff.get("/staff").get_data(as_text=True)
        assert "It was my brother" in queue and "Appeal" in queue
        decided = staff.post(
            f"/staff/appeals/{appeal.id}",
            data={"outcome": "reversed", "reason": "Shared device", "csrf_token": staff_token},
        )
        assert decided.status_code == 303
        again = staff.post(
            f"/staff/appeals/{appeal.id}",
            data={"outcome": "upheld", "reason": "Changed my mind", "csrf_token": staff_token},
        )
        assert again.status_code == 409
        assert [e.action for e in mod.audit()] == ["ban", "appeal_reversed"]
        titles = [
            m.content["title"] for m in mod.messages_to(mod.other_id) if m.channel == "in_app"
        ]
        assert titles[-1] == "Your appeal: the decision was reversed"
        client, token = mod.client(None)
        assert login(mod, client, token).status_code == 303  # the ban is lifted


def test_the_twenty_days_to_appeal_run_out(mod):
    now = datetime.now(UTC)
    with time_machine.travel(now, tick=False):
        staff, _ = mod.client("staff@example.com")
        token = mod.world.csrf("/staff", client=staff)
        mod.act(staff, token, "warn", kind="user", target=mod.other_id, reason="Tone")
    (decision,) = mod.world.db.exec(select(Decision)).all()
    with time_machine.travel(now + timedelta(days=20, seconds=1), tick=False):
        client, token = mod.client("other@example.com")
        page = client.get("/decisions").get_data(as_text=True)
        assert "The time to appeal has passed." in page
        late = client.post(
            f"/decisions/{decision.id}/appeal", data={"text": "Please", "csrf_token": token}
        )
        assert late.status_code == 409
        assert "The 20 days to appeal this decision have passed." in late.get_data(as_text=True)
    assert mod.world.db.exec(select(Appeal)).all() == []


def test_the_time_to_appeal_is_an_operators_setting(mod):
    mod.world.app.config["APPEAL_WINDOW_DAYS"] = 5  # PLAZA_APPEAL_WINDOW_DAYS
    now = datetime.now(UTC)
    with time_machine.travel(now, tick=False):
        staff, token = mod.client("staff@example.com")
        mod.act(staff, token, "warn", kind="user", target=mod.other_id, reason="Tone")
    (told,) = [m for m in mod.messages_to(mod.other_id) if m.channel == "in_app"]
    assert told.content["body"] == "Reason: Tone You can appeal within 5 days."
    (decision,) = mod.world.db.exec(select(Decision)).all()
    with time_machine.travel(now + timedelta(days=5, seconds=1), tick=False):
        client, token = mod.client("other@example.com")
        late = client.post(
            f"/decisions/{decision.id}/appeal", data={"text": "Please", "csrf_token": token}
        )
        assert late.status_code == 409
        assert "The 5 days to appeal this decision have passed." in late.get_data(as_text=True)


def test_nobody_appeals_someone_elses_decision(mod):
    staff, token = mod.client("staff@example.com")
    mod.act(staff, token, "warn", kind="user", target=mod.other_id, reason="Tone")
    (decision,) = mod.world.db.exec(select(Decision)).all()
    client, token = mod.client("shopper@example.com")
    response = client.post(
        f"/decisions/{decision.id}/appeal", data={"text": "Unfair", "csrf_token": token}
    )
    assert response.status_code == 404
    assert mod.world.db.exec(select(Appeal)).all() == []


def test_the_persons_data_export_holds_their_reports_and_the_decisions_about_them(mod):
    import json

    client, token = mod.client("other@example.com")
    mod.report(client, token, reason="spam", text="Spam again")
    staff, staff_token = mod.client("staff@example.com")
    mod.act(staff, staff_token, "warn", kind="user", target=mod.other_id, reason="Tone")
    (decision,) = mod.world.db.exec(select(Decision)).all()
    client.post(f"/decisions/{decision.id}/appeal", data={"text": "Sorry", "csrf_token": token})
    data = json.loads(client.get("/account/export").get_data(as_text=True))
    (report,) = data["reports"]
    assert (report["target_kind"], report["reason"], report["text"]) == (
        "card",
        "spam",
        "Spam again",
    )
    (exported,) = data["moderation_decisions"]
    assert (exported["action"], exported["reason"]) == ("warn", "Tone")
    assert exported["appeal"]["text"] == "Sorry"
