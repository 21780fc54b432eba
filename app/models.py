"""Plaza's tables. Every time is stored in UTC and read back timezone-aware.

Interests are stored as taxonomy slugs (strings), not foreign keys: the
taxonomy ships as data with the code, so a release may add interests without
a migration, and a slug that disappears is simply ignored when read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, String, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC out, on SQLite (which keeps no zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def time_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def created_column() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def json_column(default: Any) -> Any:
    return Field(default_factory=default, sa_column=Column(JSON, nullable=False))


class Role(StrEnum):
    CONSUMER = "consumer"
    RETAILER = "retailer"
    STAFF = "staff"


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    name: str = Field(max_length=200)
    kind: str = Field(default="retailer", max_length=20)  # retailer | brand
    created_at: datetime = created_column()


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), unique=True, nullable=False))
    password_hash: str
    role: str = Field(default=Role.CONSUMER, max_length=20)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    display_name: str = Field(default="", max_length=100)
    active: bool = True
    onboarded_at: datetime | None = time_column()
    created_at: datetime = created_column()

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class LoginAttempt(SQLModel, table=True):
    """Kept in the database so that throttling holds across web processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_time", "email", "created_at"),
        Index("ix_login_attempt_ip_time", "ip", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    succeeded: bool = False
    created_at: datetime = created_column()


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    BACKING_OFF = "backing_off"
    PAUSED = "paused"
    SUSPENDED = "suspended"


class Provider(SQLModel, table=True):
    __table_args__ = (Index("ix_provider_due", "status", "next_run_at"),)
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    kind: str = Field(max_length=64)
    name: str = Field(max_length=200)
    config: dict[str, Any] = json_column(dict)
    interests: list[str] = json_column(list)
    status: str = Field(default=ProviderStatus.ACTIVE, max_length=20)
    interval_seconds: int = 3600
    next_run_at: datetime | None = time_column()
    etag: str | None = Field(default=None, max_length=512)
    last_modified: str | None = Field(default=None, max_length=128)
    consecutive_errors: int = 0
    last_error: str | None = None
    last_attempt_at: datetime | None = time_column()
    last_success_at: datetime | None = time_column()
    card_count: int = 0
    # Sample files that stand in for the remote source (the offline demo).
    demo_samples: dict[str, str] | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = created_column()


class Card(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("provider_id", "external_id", name="uq_card_provider_external"),
        Index("ix_card_published", "published_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", index=True)
    kind: str = Field(max_length=64)
    external_id: str = Field(max_length=512)
    title: str = Field(max_length=300)
    summary: str = ""
    url: str | None = Field(default=None, max_length=2048)
    image_url: str | None = Field(default=None, max_length=2048)
    payload: dict[str, Any] = json_column(dict)
    badge: str | None = Field(default=None, max_length=32)  # "new", "price_drop"
    published_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    starts_at: datetime | None = time_column()
    ends_at: datetime | None = time_column()
    first_seen_at: datetime = created_column()
    updated_at: datetime = created_column()
    removed_at: datetime | None = time_column()


class CardInterest(SQLModel, table=True):
    """Which interests a card is about; the index that candidate queries start from."""

    __tablename__ = "card_interest"
    __table_args__ = (Index("ix_card_interest_slug", "slug", "card_id"),)
    card_id: int = Field(foreign_key="card.id", primary_key=True, ondelete="CASCADE")
    slug: str = Field(max_length=200, primary_key=True)


class InterestState(StrEnum):
    FOLLOW = "follow"
    MUTE = "mute"


class ConsumerInterest(SQLModel, table=True):
    __tablename__ = "consumer_interest"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    slug: str = Field(max_length=200, primary_key=True)
    state: str = Field(default=InterestState.FOLLOW, max_length=10)
    created_at: datetime = created_column()


class CardState(SQLModel, table=True):
    """One consumer's standing choices about one card."""

    __tablename__ = "card_state"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    card_id: int = Field(foreign_key="card.id", primary_key=True, ondelete="CASCADE")
    saved_at: datetime | None = time_column()
    dismissed_at: datetime | None = time_column()


class ProviderBlock(SQLModel, table=True):
    __tablename__ = "provider_block"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    created_at: datetime = created_column()


class EventKind(StrEnum):
    IMPRESSION = "impression"
    OPEN = "open"
    SAVE = "save"
    UNSAVE = "unsave"
    DISMISS = "dismiss"
    UNDISMISS = "undismiss"
    NOT_INTERESTED = "not_interested"
    SHOW_LESS = "show_less"
    HIDE_PROVIDER = "hide_provider"
    ANSWER = "answer"


class Event(SQLModel, table=True):
    """Append-only log of what consumers did; ranking learns from it."""

    __table_args__ = (
        Index("ix_event_user_time", "user_id", "created_at"),
        Index("ix_event_user_session", "user_id", "feed_session"),
        Index("ix_event_card_kind", "card_id", "kind"),
        # Never hand out an id twice, even once the newest events were deleted: the
        # popularity rollup's watermark relies on every new event getting a higher id.
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="CASCADE")
    provider_id: int | None = Field(default=None, foreign_key="provider.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    feed_session: str | None = Field(default=None, max_length=32)
    # Impressions: the viewer's usual open rate when they were shown the card
    # (app.popularity.viewer_rate), so the popularity rollup can count the opens this
    # impression would usually bring without reading the viewer's history again.
    viewer_rate: float | None = None
    detail: dict[str, Any] = json_column(dict)
    created_at: datetime = created_column()


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("user_id", "card_id", name="uq_survey_answer_user_card"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    card_id: int = Field(foreign_key="card.id", index=True, ondelete="CASCADE")
    answer: dict[str, Any] = json_column(dict)
    created_at: datetime = created_column()


from app import popularity_models as _popularity  # noqa: E402, F401  (its tables)
from app.notifications import models as _notifications  # noqa: E402, F401  (its tables)
from app.portal import models as _portal  # noqa: E402, F401  (its tables)
