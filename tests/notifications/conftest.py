"""Fixtures for notifications: real SMTP and Web Push receivers on loopback, and an app
configured to deliver to them.

The receivers are shared with ``bench/notify.py``, so they live in a module of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from app.models.notifications import Notification, NotificationPreference
from app.notifications.preferences import new_settings, schedule_digests
from app.notifications.subscriptions import parse_subscription, save_subscription
from app.notifications.vapid import application_server_key, vapid_for
from tests.notifications.receivers import (
    Browser,
    MailReceiver,
    PushService,
    TLSFiles,
    make_tls,
)


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TLSFiles:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def mail() -> Iterator[MailReceiver]:
    receiver = MailReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def push_service(tls: TLSFiles) -> Iterator[PushService]:
    service = PushService(tls).start()
    yield service
    service.stop()


@dataclass
class Notify:
    """The app wired to the loopback receivers, and shortcuts for the tests."""

    app: Flask
    db: Session
    mail: MailReceiver
    push: PushService

    def run(
        self, clock: Callable[[], datetime] | None = None, drain: bool = True
    ) -> dict[str, int]:
        from app.notifications.jobs import run

        totals = run(self.app, clock=clock or (lambda: datetime.now(UTC)), drain=drain)
        self.db.expire_all()
        return dict(totals)

    def consumer(self, world: Any, email: str = "shopper@example.com", **settings: Any) -> int:
        """A consumer following ``shoes``, with no quiet hours unless given."""
        user_id = world.consumer(email, follows=settings.pop("follows", ("shoes",)))
        row = new_settings(user_id, _now(), 8)
        row.quiet_start = row.quiet_end = None
        for name, value in settings.items():
            setattr(row, name, value)
        schedule_digests(row, _now(), 8)
        self.db.add(row)
        self.db.commit()
        return user_id

    def choose(self, user_id: int, category: str, channel: str, frequency: str) -> None:
        self.db.merge(
            NotificationPreference(
                user_id=user_id, category=category, channel=channel, frequency=frequency
            )
        )
        self.db.commit()

    def subscribe(self, user_id: int, behaviour: str = "ok") -> Browser:
        browser = self.push.browser(behaviour)
        info = parse_subscription(browser.subscription)
        save_subscription(self.db, user_id, info, "Mozilla/5.0 (Android) Firefox/130.0", _now())
        self.db.commit()
        return browser

    def rows(self, user_id: int | None = None, **where: Any) -> list[Notification]:
        query = select(Notification).order_by(col(Notification.id))
        if user_id is not None:
            query = query.where(Notification.user_id == user_id)
        for name, value in where.items():
            query = query.where(getattr(Notification, name) == value)
        self.db.expire_all()
        return list(self.db.exec(query).all())


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def notify(
    app: Flask, db: Session, mail: MailReceiver, push_service: PushService, tls: TLSFiles
) -> Notify:
    app.config.update(
        SMTP_URL=mail.url,
        # Limits no receiver on this machine meets unless it stalls: a slow answer must
        # not read as a failure and be retried at once (NOTIFY_RETRY_SECONDS=0) and so
        # received twice. Tests of the limits set short ones themselves.
        SMTP_TIMEOUT=10.0,
        FETCH_ALLOW="127.0.0.1",
        NOTIFY_PUSH_CA_CERTS=str(tls.ca),
        NOTIFY_PUSH_TIMEOUT=10.0,
        NOTIFY_RETRY_SECONDS=0,
        NOTIFY_BASE_URL="https://plaza.example",
        NOTIFY_MAIL_FROM="Plaza <notify@plaza.example>",
    )
    push_service.vapid_key = application_server_key(vapid_for(app))
    return Notify(app, db, mail, push_service)
