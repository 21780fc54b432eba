"""Staff actions from the console: each resolves the reports, writes exactly one audit
entry and tells the person concerned; each refuses bad input and changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Card, Decision, Provider, ProviderStatus, Report, User


def open_reports(mod) -> list[Report]:
    mod.world.db.expire_all()
    return list(mod.world.db.exec(select(Report).where(Report.resolved_at.is_(None))).all())


@pytest.fixture
def reported(mod):
    """The card, reported by both shoppers; staff signed in."""
    for email in ("shopper@example.com", "other@example.com"):
        client, token = mod.client(email)
        assert mod.report(client, token, reason="spam", text=f"from {email}").status_code == 200
    return mod.client("staff@example.com")


def test_the_queue_shows_the_reported_card_once_with_its_reports(mod, reported):
    staff, _ = reported
    page = staff.get("/staff").get_data(as_text=True)
    assert "Waiting for a decision" in page
    assert page.count('class="panel queue-item"') == 1  # grouped per thing
    assert "2 reports" in page and "Spam</strong> \N{MULTIPLICATION SIGN} 2" in page
    assert "Acme Outfitters" in page  # where it appeared
    assert "from other@example.com" in page


def test_removing_a_card_takes_it_out_of_feeds_and_tells_the_retailer(mod, reported):
    staff, token = reported
    shopper, _ = mod.client("shopper@example.com")
    assert f'id="card-{mod.card_id}"' in shopper.get("/").get_data(as_text=True)
    response = mod.act(staff, token, "remove", reason="Counterfeit goods")
    assert response.status_code == 303
    assert open_reports(mod) == []
    (entry,) = mod.audit()
    assert (entry.action, entry.target_kind, entry.target_id) == ("remove", "card", mod.card_id)
    assert entry.actor_id == mod.staff_id and entry.reason == "Counterfeit goods"
    assert entry.snapshot == "Northwind item 0" and entry.reports_resolved == 2
    assert mod.world.db.get(Card, mod.card_id).removed_at is not None
    assert f'id="card-{mod.card_id}"' not in shopper.get("/").get_data(as_text=True)
    (told,) = [m for m in mod.messages_to(mod.retailer_id) if m.channel == "in_app"]
    assert "was removed" in told.content["title"]
    assert "Counterfeit goods" in told.content["body"]
    # Restoring brings it back, on the record too.
    assert mod.act(staff, token, "restore", reason="Genuine after all").status_code == 303
    assert [e.action for e in mod.audit()] == ["remove", "restore"]
    assert f'id="card-{mod.card_id}"' in shopper.get("/").get_data(as_text=True)


def test_dismissing_resolves_the_reports_and_changes_nothing_else(mod, reported):
    staff, token = reported
    response = mod.act(staff, token, "dismiss", reason="Allowed")
    assert response.status_code == 303
    assert open_reports(mod) == []
    (entry,) = mod.audit()
    assert (entry.action, entry.reports_resolved) == ("dismiss", 2)
    assert mod.world.db.get(Card, mod.card_id).removed_at is None
    assert mod.messages_to(mod.retailer_id) == []
    # A second tap on the handled item: a clear 409, nothing written.
    again = mod.act(staff, token, "dismiss", reason="Allowed")
    assert again.status_code == 409
    assert "already handled" in again.get_data(as_text=True)
    assert len(mod.audit()) == 1


def test_the_htmx_console_gets_the_queue_back_with_the_outcome(mod, reported):
    staff, token = reported
    response = staff.post(
        f"/staff/card/{mod.card_id}/act",
        data={"action": "remove", "reason": "Spam", "csrf_token": token},
        headers={"HX-Request": "true"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Remove: done; 2 reports resolved." in page
    assert "Nothing is waiting." in page and "<html" not in page


def test_suspending_the_provider_hides_its_cards_and_tells_its_members(mod, reported):
    staff, token = reported
    assert mod.act(staff, token, "suspend_provider", reason="Feed full of spam").status_code == 303
    provider = mod.world.db.exec(select(Provider)).one()
    mod.world.db.refresh(provider)
    assert provider.status == ProviderStatus.SUSPENDED
    assert [e.action for e in mod.audit()] == ["suspend_provider"]
    (told,) = [m for m in mod.messages_to(mod.retailer_id) if m.channel == "in_app"]
    assert told.content["title"] == "Your provider was suspended by Plaza's staff"
    again = mod.act(staff, token, "suspend_provider", reason="Still spam")
    assert again.status_code == 409 and "already suspended" in again.get_data(as_text=True)
    assert len(mod.audit()) == 1


def test_warning_suspending_and_banning_a_participant(mod):
    shopper, token = mod.client("shopper@example.com")
    mod.report(shopper, token, kind="user", target=mod.other_id, reason="offensive")
    staff, staff_token = mod.client("staff@example.com")
    for action, extra in (("warn", {}), ("suspend", {"days": "3"}), ("ban", {})):
        response = mod.act(staff, staff_token, action, kind="user", target=mod.other_id, **extra)
        assert response.status_code == 303, response.get_data(as_text=True)
    assert [e.action for e in mod.audit()] == ["warn", "suspend", "ban"]
    assert [e.snapshot for e in mod.audit()] == [f"participant #{mod.other_id}"] * 3
    decisions = mod.world.db.exec(select(Decision).order_by(Decision.id)).all()
    assert [d.action for d in decisions] == ["warn", "suspend", "ban"]
    assert decisions[1].ends_at is not None and decisions[2].ends_at is None
    titles = [m.content["title"] for m in mod.messages_to(mod.other_id) if m.channel == "in_app"]
    assert titles == [
        "Your account was warned by Plaza's staff",
        "Your account was suspended by Plaza's staff",
        "Your account was banned by Plaza's staff",
    ]
    again = mod.act(staff, staff_token, "ban", kind="user", target=mod.other_id)
    assert again.status_code == 409 and "already banned" in again.get_data(as_text=True)
    assert len(mod.audit()) == 3


def test_the_person_is_told_by_email_too_when_email_is_available(mod, app):
    app.config["SMTP_URL"] = "smtp://127.0.0.1:2525"
    staff, token = mod.client("staff@example.com")
    assert mod.act(staff, token, "warn", kind="user", target=mod.other_id).status_code == 303
    channels = sorted(m.channel for m in mod.messages_to(mod.other_id))
    assert channels == ["email", "in_app"]


@pytest.mark.parametrize(
    ("action", "form", "status", "message"),
    [
        ("remove", {"reason": "   "}, 400, "Give a reason"),
        ("remove", {"reason": "x" * 501}, 400, "Keep the reason to 500 characters"),
        ("explode", {}, 400, "There is no such action."),
        ("suspend", {"days": "0"}, 400, "Suspend for 1 to 365 days."),
        ("suspend", {"days": "soon"}, 400, "Suspend for 1 to 365 days."),
        ("restore", {}, 409, "This card is not removed."),
        ("ban", {}, 400, "No participant wrote this"),
    ],
    ids=["blank reason", "long reason", "no such action", "zero days", "words for days",
         "restore a live card", "ban a card"],
)  # fmt: skip
def test_bad_staff_actions_are_refused_clearly_and_change_nothing(
    mod, reported, action, form, status, message
):
    staff, token = reported
    kind = "user" if action == "suspend" else "card"
    target = mod.other_id if kind == "user" else mod.card_id
    response = mod.act(staff, token, action, kind=kind, target=target, **form)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert mod.audit() == []
    assert len(open_reports(mod)) == 2
    assert mod.world.db.exec(select(Decision)).all() == []


def test_actions_on_missing_things_are_404s(mod, reported):
    staff, token = reported
    assert mod.act(staff, token, "remove", target=999_999).status_code == 404
    assert mod.act(staff, token, "remove", kind="planet").status_code == 404
    assert mod.audit() == []


def test_staff_accounts_are_not_sanctioned_from_the_console(mod):
    staff, token = mod.client("staff@example.com")
    response = mod.act(staff, token, "ban", kind="user", target=mod.staff_id)
    assert response.status_code == 403
    assert mod.audit() == []
    mod.world.db.expire_all()
    assert mod.world.db.get(User, mod.staff_id) is not None


def test_of_two_staff_acting_at_once_the_second_is_refused(mod, reported, app):
    """The second of two removals (or dismissals) finds the change made and does
    nothing, however close together they come: the database decides, not a read."""
    from datetime import UTC, datetime

    from app.community.reports import ReportProblem, reportable, resolve_reports
    from app.models import Resolution

    db, now = mod.world.db, datetime.now(UTC)
    cards = reportable("card")
    cards.remove(db, mod.card_id, now)
    with pytest.raises(ReportProblem, match="changed this card a moment ago"):
        cards.remove(db, mod.card_id, now)
    assert resolve_reports(db, "card", mod.card_id, Resolution.DISMISSED, mod.staff_id, now) == 2
    assert resolve_reports(db, "card", mod.card_id, Resolution.DISMISSED, mod.staff_id, now) == 0
    db.rollback()


def test_the_queue_builds_only_the_oldest_items_and_counts_the_rest(mod, app):
    from app.models import Provider
    from app.staff.queue import waiting

    provider = mod.world.db.get(Provider, mod.world.db.get(Card, mod.card_id).provider_id)
    cards = [mod.card_id, *mod.world.cards(provider, 2, start=1)]
    client, token = mod.client("shopper@example.com")
    for card_id in cards:
        assert mod.report(client, token, target=card_id).status_code == 200
    with app.app_context():
        items, total = waiting(mod.world.db, limit=2)
    assert total == 3
    assert [item.target.id for item in items] == cards[:2]  # oldest first
