"""Messages from other parts of Plaza: about a consumer's account or reports, and
answers and updates from the community.

Call :func:`notify_account` (moderation when a report is decided, accounts when
a password changes) or :func:`notify_people` (a new answer, a suggestion's new
status, to everyone who follows it) inside the caller's transaction: the
notification is queued with the change that caused it or not at all. ``key``
names the event ("report:17:decided"), so calling twice for one event queues it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from flask import current_app
from sqlmodel import Session

from app.models.notifications import Notification
from app.notifications.catalog import MESSAGE_CATEGORIES, Category
from app.notifications.config import notify_config
from app.notifications.outbox import Event, insert_new, plan
from app.notifications.recipients import load_recipients

ACCOUNT_SCORE = 2.0


def notify_account(
    db: Session, user_id: int, key: str, title: str, body: str, path: str, now: datetime
) -> int:
    """Queue a message on the channels the consumer chose; returns how many rows."""
    return notify_people(db, [user_id], key, title, body, path, now, Category.ACCOUNT)


def notify_people(
    db: Session,
    user_ids: Iterable[int],
    key: str,
    title: str,
    body: str,
    path: str,
    now: datetime,
    category: Category,
) -> int:
    """Queue one message for each of ``user_ids`` on the channels each chose for
    ``category`` (read for all of them at once); returns how many rows."""
    if category not in MESSAGE_CATEGORIES:
        raise ValueError(f"{category} is not a category of messages")
    cfg = notify_config(current_app)
    event = Event(
        subject=f"message:{key}"[:100],
        category=category,
        score=ACCOUNT_SCORE,
        content={"title": title, "body": body, "path": path},
        urgent=True,
    )
    rows = [
        row
        for recipient in load_recipients(db, user_ids, now, cfg.digest_hour).values()
        for row in plan(
            recipient,
            [event],
            now,
            email_available=cfg.smtp_url is not None,
            min_score=cfg.instant_min_score,
            instant_quota=1,
        )
    ]
    insert_new(db, Notification, rows)
    return len(rows)
