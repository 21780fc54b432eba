"""Account tests send real email: an SMTP server (aiosmtpd) on loopback receives it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest
from flask import Flask
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.db import engine
from app.models import AccountMail
from app.models.notifications import State
from tests.conftest import account_mail_worker
from tests.notifications.receivers import MailReceiver


class Inbox:
    """What the loopback SMTP server received, read as a person reads their inbox."""

    def __init__(self, app: Flask, receiver: MailReceiver) -> None:
        self.app = app
        self.receiver = receiver

    def wait(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """The first ``count`` messages, once they arrived (the worker sends account email
        from its outbox)."""
        ends = time.monotonic() + timeout
        while len(self.receiver.messages) < count and time.monotonic() < ends:
            time.sleep(0.02)
        assert len(self.receiver.messages) >= count, f"{self.receiver.messages!r}"
        return self.receiver.messages[:count]

    def to(self, address: str, count: int = 1) -> list[EmailMessage]:
        ends = time.monotonic() + 10
        while time.monotonic() < ends:
            found = [m for m in self.receiver.messages if m["To"] == address]
            if len(found) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no email to {address}: {[m['To'] for m in self.receiver.messages]}")

    def settle(self, timeout: float = 10.0) -> int:
        """How many messages arrived once nothing more is on its way: no account email
        is pending or being sent (a fixed wait would count too early on a busy machine)."""
        ends = time.monotonic() + timeout
        while self._on_its_way() and time.monotonic() < ends:
            time.sleep(0.02)
        assert not self._on_its_way(), "account email still on its way"
        return len(self.receiver.messages)

    def _on_its_way(self) -> int:
        with self.app.app_context(), Session(engine()) as db:
            return db.exec(
                select(func.count())
                .select_from(AccountMail)
                .where(col(AccountMail.state).in_([State.PENDING, State.SENDING]))
            ).one()

    def link(self, message: EmailMessage, path: str) -> str:
        body = message.get_content()
        match = re.search(rf"http://127\.0\.0\.1:8000({re.escape(path)}[^\s]+)", body)
        assert match, body
        return match.group(1)


@pytest.fixture
def inbox(app) -> Iterator[Inbox]:  # type: ignore[no-untyped-def]
    receiver = MailReceiver().start()
    app.config["SMTP_URL"] = receiver.url
    with account_mail_worker(app):
        yield Inbox(app, receiver)
    receiver.stop()
