"""The audit log: append-only in the database itself, filterable, paged, exported as CSV,
and free of the personal data of people whose accounts are deleted."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from app.accounts.deletion import delete_account
from app.models import AuditEntry, Report, User
from app.staff import audit


def test_the_database_refuses_to_change_or_delete_an_entry(mod, app):
    staff, token = mod.client("staff@example.com")
    mod.act(staff, token, "warn", kind="user", target=mod.other_id, reason="Tone")
    engine = app.extensions["plaza.engine"]
    for statement in (
        "UPDATE audit_entry SET reason = 'nothing happened'",
        "DELETE FROM audit_entry",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    (entry,) = mod.audit()
    assert entry.reason == "Tone"


def test_deleting_an_account_keeps_the_record_without_the_person(mod, app):
    shopper, token = mod.client("shopper@example.com")
    mod.report(shopper, token, kind="user", target=mod.other_id, reason="spam", text="Bob Other")
    staff, staff_token = mod.client("staff@example.com")
    mod.act(staff, staff_token, "warn", kind="user", target=mod.other_id, reason="Spam bot")
    again = mod.report(shopper, token, kind="user", target=mod.other_id, reason="offensive")
    assert again.status_code == 200  # a new report, open
    db = mod.world.db
    with app.app_context():
        delete_account(db, db.get(User, mod.other_id), keep_writing=False)
    db.expire_all()
    # Both reports stay for staff without their words: the decided one as it was
    # decided, the open one closed, with nothing left to decide.
    decided, closed = db.exec(select(Report).order_by(Report.id)).all()
    assert (decided.reason, decided.text, decided.resolution) == ("spam", "", "actioned")
    assert (closed.reason, closed.text, closed.resolution) == ("offensive", "", "closed")
    assert (closed.target_kind, closed.target_id) == ("user", mod.other_id)
    (entry,) = mod.audit()
    assert (entry.action, entry.target_id, entry.reason) == ("warn", mod.other_id, "Spam bot")
    assert "other@example.com" not in entry.snapshot
    page = staff.get("/staff/audit").get_data(as_text=True)
    assert f"user #{mod.other_id}: participant #{mod.other_id}" in page
    # The reports about the deleted person stay resolved, and the staff member who acted
    # can be deleted too: the log names them by id from then on.
    assert db.exec(select(Report).where(Report.resolved_at.is_(None))).all() == []
    with app.app_context():
        delete_account(db, db.get(User, mod.staff_id), keep_writing=False)
    assert mod.audit()[0].actor_id == mod.staff_id


def _entries(db, now):  # type: ignore[no-untyped-def]
    """Three entries on three days: two by staff member 1, one automatic."""
    for days, actor, action, kind in (
        (3, 1, "remove", "card"),
        (2, None, "hold", "answer"),
        (1, 1, "ban", "user"),
    ):
        audit.record(
            db, actor_id=actor, action=action, target_kind=kind, target_id=7,
            snapshot="=HYPERLINK(\"http://evil\")" if action == "remove" else "x",
            reason=f"{action} reason", now=now - timedelta(days=days),
        )  # fmt: skip
    db.commit()


def test_the_audit_page_filters_by_action_actor_kind_and_days(mod):
    now = datetime.now(UTC)
    _entries(mod.world.db, now)
    staff, _ = mod.client("staff@example.com")

    def shown(**query):  # type: ignore[no-untyped-def]
        page = staff.get("/staff/audit", query_string=query).get_data(as_text=True)
        return [a for a in ("remove reason", "hold reason", "ban reason") if a in page]

    assert shown() == ["remove reason", "hold reason", "ban reason"]
    assert shown(action="ban") == ["ban reason"]
    assert shown(actor="automatic") == ["hold reason"]
    assert shown(kind="card") == ["remove reason"]
    day = (now - timedelta(days=2)).date().isoformat()
    assert shown(**{"from": day, "to": day}) == ["hold reason"]
    bad = staff.get("/staff/audit", query_string={"from": "yesterday"})
    assert bad.status_code == 200
    assert "Give a date as YYYY-MM-DD." in bad.get_data(as_text=True)


def test_the_audit_log_is_paged_newest_first(mod, monkeypatch):
    from app.staff import views

    monkeypatch.setattr(views, "AUDIT_PAGE_SIZE", 2)
    _entries(mod.world.db, datetime.now(UTC))
    staff, _ = mod.client("staff@example.com")
    first = staff.get("/staff/audit").get_data(as_text=True)
    assert "ban reason" in first and "hold reason" in first and "remove reason" not in first
    assert "page=2" in first
    second = staff.get("/staff/audit?page=2").get_data(as_text=True)
    assert "remove reason" in second and "ban reason" not in second


def test_the_csv_export_quotes_every_field_and_defuses_formulas(mod):
    _entries(mod.world.db, datetime.now(UTC))
    staff, _ = mod.client("staff@example.com")
    response = staff.get("/staff/audit.csv?actor=1")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:3] == ["time_utc", "actor", "action"]
    assert [r[2] for r in rows[1:]] == ["remove", "ban"]  # oldest first, staff member 1 only
    assert rows[1][5] == '\'=HYPERLINK("http://evil")'
    assert all(line.startswith('"') for line in body.splitlines())


def test_the_transparency_page_counts_reasons_actions_and_the_median_wait(mod):
    start = datetime.now(UTC).replace(microsecond=0)
    for minutes, email in ((0, "shopper@example.com"), (30, "other@example.com")):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            client, token = mod.client(email)
            mod.report(client, token, reason="spam" if minutes else "offensive")
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        staff, token = mod.client("staff@example.com")
        mod.act(staff, token, "remove", reason="Spam")
        page = staff.get("/staff/transparency").get_data(as_text=True)
        empty = staff.get("/staff/transparency?from=2020-01-01&to=2020-01-31")
    assert "Spam: 1" in page and "Offensive: 1" in page
    assert "remove: 1" in page
    assert "1 h 45 min" in page  # waits of 2 h and 1 h 30 min
    assert "No reports in these days." in empty.get_data(as_text=True)


def test_code_never_changes_an_entry(mod):
    """The log module only inserts; an attempt through the ORM fails like raw SQL."""
    now = datetime.now(UTC)
    _entries(mod.world.db, now)
    db = mod.world.db
    entry = db.exec(select(AuditEntry)).first()
    entry.reason = "rewritten"
    with pytest.raises(DBAPIError, match="append-only"):
        db.commit()
    db.rollback()
    assert {e.reason for e in mod.audit()} == {"remove reason", "hold reason", "ban reason"}
