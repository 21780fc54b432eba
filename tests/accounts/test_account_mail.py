"""Account emails wait in an outbox for the worker: one asked for while the mail server
is down goes out when it is back, with backoff between tries, and the row forgets the
link once the email is sent (or given up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import select

from app.accounts.mail import send_queued
from app.accounts.retention import PreparedPages, prune_personal_data
from app.models import AccountMail, State
from tests.accounts.conftest import Inbox
from tests.accounts.test_account_page import NEW_PASSWORD, forgot, password_is
from tests.conftest import PASSWORD
from tests.notifications.receivers import MailReceiver

START = datetime(2031, 5, 6, 7, 8, tzinfo=UTC)


def mail_rows(world) -> list[AccountMail]:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    return list(world.db.exec(select(AccountMail).order_by(AccountMail.id)).all())


def test_a_reset_asked_for_while_mail_is_down_arrives_when_it_is_back(world, app):
    world.consumer()
    server = MailReceiver()  # its port is chosen, nothing listens there yet
    app.config["SMTP_URL"] = server.url
    app.config["NOTIFY_RETRY_SECONDS"] = 60
    with time_machine.travel(START, tick=False) as clock:
        assert forgot(world.client, "shopper@example.com").status_code == 200
        (row,) = mail_rows(world)
        assert row.state == State.PENDING and "/password/reset/" in row.body

        assert send_queued(app) == {"retry": 1}
        (row,) = mail_rows(world)
        assert row.state == State.PENDING and row.attempts == 1
        assert row.due_at == START + timedelta(seconds=60)
        assert "/password/reset/" in row.body  # kept until it is sent

        server.start()
        try:
            assert send_queued(app) == {}  # not before its retry is due
            clock.move_to(START + timedelta(seconds=61))
            assert send_queued(app) == {"sent": 1}
            (message,) = server.messages
        finally:
            server.stop()
        (row,) = mail_rows(world)
        assert row.state == State.SENT and row.sent_at == START + timedelta(seconds=61)
        assert row.body == "" and row.to_address == ""  # the link is no longer stored
        assert message["To"] == "shopper@example.com"

        link = Inbox(app, server).link(message, "/password/reset/")
        token = world.csrf(link)
        changed = world.client.post(
            "/password/reset", data={"new": NEW_PASSWORD, "csrf_token": token}
        )
        assert changed.status_code == 303
        assert password_is(world, NEW_PASSWORD)
        again = world.client.get(link, follow_redirects=True)
        assert again.status_code == 400 and "already used" in again.get_data(as_text=True)


def test_an_email_the_server_refuses_is_given_up_and_forgotten(world, app, caplog):
    world.consumer()
    server = MailReceiver().start()
    server.rcpt_reply = "550 5.1.1 <shopper@example.com>: no such user"
    app.config["SMTP_URL"] = server.url
    try:
        forgot(world.client, "shopper@example.com")
        assert send_queued(app) == {"failed": 1}
    finally:
        server.stop()
    (row,) = mail_rows(world)
    assert row.state == State.FAILED and row.body == "" and row.to_address == ""
    assert "@" not in (row.reason or "") and "shopper@example.com" not in caplog.text
    assert send_queued(app) == {}  # not tried again


def test_an_address_without_an_account_queues_nothing(world, app):
    world.consumer()
    assert forgot(world.client, "nobody@example.com").status_code == 200
    assert mail_rows(world) == []


def test_deleting_the_account_drops_its_unsent_emails(world, app):
    world.consumer()
    app.config["SMTP_URL"] = MailReceiver().url  # down: the reset email waits
    forgot(world.client, "shopper@example.com")
    token = world.login()
    assert [row.to_address for row in mail_rows(world)] == ["shopper@example.com"]
    deleted = world.client.post(
        "/account/delete", data={"password": PASSWORD, "csrf_token": token, "writing": "remove"}
    )
    assert deleted.status_code == 303
    assert mail_rows(world) == []


def test_sent_emails_rows_go_with_the_notifications_retention(world, app):
    world.consumer()
    server = MailReceiver().start()
    app.config["SMTP_URL"] = server.url
    try:
        with time_machine.travel(START, tick=False):
            forgot(world.client, "shopper@example.com")
            assert send_queued(app) == {"sent": 1}
    finally:
        server.stop()
    days = app.config["NOTIFICATION_RETENTION_DAYS"]
    prune_personal_data(
        world.db,
        START + timedelta(days=days - 1),
        event_days=180,
        notification_days=days,
        prepared=PreparedPages.configured(app.config),
    )
    assert len(mail_rows(world)) == 1
    prune_personal_data(
        world.db,
        START + timedelta(days=days + 1),
        event_days=180,
        notification_days=days,
        prepared=PreparedPages.configured(app.config),
    )
    assert mail_rows(world) == []


def test_the_worker_sends_account_emails_every_few_seconds(world, app):
    from app import worker

    world.consumer()
    server = MailReceiver().start()
    app.config["SMTP_URL"] = server.url
    try:
        scheduler = worker.build_scheduler(app)
        job = scheduler.get_job("send_account_emails")
        assert job is not None and job.trigger.interval <= timedelta(seconds=10)
        forgot(world.client, "shopper@example.com")
        assert server.messages == []  # the page only queued it
        worker.send_account_emails()
        assert [m["To"] for m in server.messages] == ["shopper@example.com"]
    finally:
        server.stop()
