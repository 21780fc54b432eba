"""Messages about a consumer's account or reports, from other parts of Plaza.

Call :func:`notify_account` (moderation when a report is decided, accounts when
a password changes) inside the caller's transaction: the notification is
queued with the change that caused it or not at all. ``key`` names the event
("report:17:decided"), so calling twice for one event queues it once.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlmodel import Session

from app.models.notifications import Notification
from app.notifications.catalog import Category
from app.notifications.config import notify_config
from app.notifications.outbox import Event, insert_new, plan
from app.notifications.recipients import load_recipients

ACCOUNT_SCORE = 2.0


def notify_account(
    db: Session, user_id: int, key: str, title: str, body: str, path: str, now: datetime
) -> int:
    """Queue a message on the channels the consumer chose; returns how many rows."""
    cfg = notify_config(current_app)
    recipient = load_recipients(db, [user_id], now, cfg.digest_hour)[user_id]
    event = Event(
        subject=f"message:{key}"[:100],
        category=Category.ACCOUNT,
        score=ACCOUNT_SCORE,
        content={"title": title, "body": body, "path": path},
        urgent=True,
    )
    rows = plan(
        recipient,
        [event],
        now,
        email_available=cfg.smtp_url is not None,
        min_score=cfg.instant_min_score,
        instant_quota=1,
    )
    insert_new(db, Notification, rows)
    return len(rows)
