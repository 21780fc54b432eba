"""The notification tables: settings, per-channel choices, push devices, the outbox.

The outbox (:class:`Notification`) is the single source of truth for what was
promised to whom: one row per (consumer, channel, subject), where the subject
names the event ("card:42", "price:42:39.99", "message:...", "digest:daily:
2026-03-30"). The unique constraint is what makes every event reach each
consumer on each channel at most once, whatever the workers do.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.columns import created_column, json_column, time_column


class NotificationSettings(SQLModel, table=True):
    """One consumer's notification-wide choices, and when their digests are next due."""

    __tablename__ = "notification_settings"
    __table_args__ = (
        Index("ix_notification_settings_daily", "daily_due_at"),
        Index("ix_notification_settings_weekly", "weekly_due_at"),
    )
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    timezone: str | None = Field(default=None, max_length=64)  # None: not known yet (UTC)
    # True once the consumer saved the settings page, whose zone (even none) is their
    # choice; False while the zone is unknown or was only detected from their browser.
    # Detection fills an unknown zone and never replaces a chosen one.
    timezone_chosen: bool = False
    # Minutes after local midnight; None: no quiet hours. The defaults (22:00 to 07:00)
    # are set by preferences.default_settings, not here, so that None can be stored.
    quiet_start: int | None = None
    quiet_end: int | None = None
    push_daily_cap: int = 5
    paused_until: datetime | None = time_column()
    email_enabled: bool = True  # False after a one-click unsubscribe
    daily_due_at: datetime | None = time_column()
    weekly_due_at: datetime | None = time_column()
    updated_at: datetime = created_column()


class NotificationPreference(SQLModel, table=True):
    """A choice that differs from the default, per (category, channel); the channel "all"
    with frequency "off" switches the whole category off (preferences.ALL_CHANNELS)."""

    __tablename__ = "notification_preference"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    category: str = Field(max_length=20, primary_key=True)
    channel: str = Field(max_length=10, primary_key=True)
    frequency: str = Field(max_length=10)


class PushSubscription(SQLModel, table=True):
    """One browser's Web Push subscription; deleted when its push service says it is gone."""

    __tablename__ = "push_subscription"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    endpoint: str = Field(max_length=2048)
    endpoint_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    p256dh: str = Field(max_length=128)
    auth: str = Field(max_length=64)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime = created_column()
    last_success_at: datetime | None = time_column()


class State(StrEnum):
    WAITING = "waiting"  # for a digest
    PENDING = "pending"  # due for delivery at due_at
    SENDING = "sending"  # claimed by a worker until lease_until
    SENT = "sent"
    DIGESTED = "digested"  # folded into the digest named by digest_id
    SKIPPED = "skipped"  # deliberately not sent; last_error says why
    FAILED = "failed"  # given up; last_error says why


class Notification(SQLModel, table=True):
    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "channel", "subject", name="uq_notification_subject"),
        Index("ix_notification_due", "state", "due_at"),
        Index("ix_notification_inbox", "user_id", "channel", "state", "read_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    channel: str = Field(max_length=10)
    category: str = Field(max_length=20)  # a catalog.Category, or "digest"
    subject: str = Field(max_length=100)
    card_id: int | None = Field(default=None, foreign_key="card.id", index=True, ondelete="CASCADE")
    digest_id: int | None = Field(default=None, foreign_key="notification.id", ondelete="SET NULL")
    mode: str = Field(max_length=10)  # instant | daily | weekly
    score: float = 0.0
    content: dict[str, Any] = json_column(dict)
    state: str = Field(max_length=10)
    due_at: datetime = created_column()
    lease_until: datetime | None = time_column()
    attempts: int = 0
    reason: str | None = Field(default=None, sa_column=Column(Text))  # why held, skipped, failed
    created_at: datetime = created_column()
    sent_at: datetime | None = time_column()
    read_at: datetime | None = time_column()


class NotificationSource(SQLModel, table=True):
    """Events already turned into notifications ("card:42"), so none is processed twice."""

    __tablename__ = "notification_source"
    key: str = Field(max_length=100, primary_key=True)
    seen_at: datetime = created_column()


class NotificationCursor(SQLModel, table=True):
    """How far the candidate scan has safely read the card table (see candidates.py)."""

    __tablename__ = "notification_cursor"
    name: str = Field(max_length=32, primary_key=True)
    position: int = 0
    updated_at: datetime = created_column()
