"""What each shopper chose and did: interests, marks on cards, hidden sources, events,
survey answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.columns import created_column, json_column, time_column


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


class PartnerFollow(SQLModel, table=True):
    """A shopper follows an organisation: its cards rank higher in their feed."""

    __tablename__ = "partner_follow"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    organization_id: int = Field(
        foreign_key="organization.id", primary_key=True, index=True, ondelete="CASCADE"
    )
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
        # Results and the stats API read events by provider and time.
        Index("ix_event_provider_time", "provider_id", "created_at", "kind"),
        # Never hand out an id twice, even once the newest events were deleted: the
        # popularity rollup's watermark relies on every new event getting a higher id.
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    # None once the consumer's account was deleted: the impressions, opens, saves and
    # dismisses that partners' results count stay, belonging to no one (app.accounts.deletion).
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="CASCADE")
    provider_id: int | None = Field(default=None, foreign_key="provider.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    feed_session: str | None = Field(default=None, max_length=32)
    # Impressions: the viewer's usual open rate when they were shown the card
    # (app.ranking.popularity.viewer_rate), so the popularity rollup can count the opens this
    # impression would usually bring without reading the viewer's history again.
    viewer_rate: float | None = None
    detail: dict[str, Any] = json_column(dict)
    created_at: datetime = created_column()


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "survey_answer"
    __table_args__ = (UniqueConstraint("user_id", "card_id", name="uq_survey_answer_user_card"),)
    id: int | None = Field(default=None, primary_key=True)
    # None once the consumer's account was deleted: survey results still count the answer.
    user_id: int | None = Field(default=None, foreign_key="user.id", ondelete="CASCADE")
    card_id: int = Field(foreign_key="card.id", index=True, ondelete="CASCADE")
    answer: dict[str, Any] = json_column(dict)
    created_at: datetime = created_column()


class PreparedFeed(SQLModel, table=True):
    """A shopper's next first page, ranked ahead by the worker (:mod:`app.ranking.prepared`).

    One row per shopper who visits their feed, shared by every web process and worker:
    a visit's first page reads it by primary key and, when it is fresh, not yet used
    and ranked with the shopper's current interests, is served from it.
    """

    __tablename__ = "prepared_feed"
    # The worker looks for recent visitors whose plan is due, newest visitors first.
    __table_args__ = (Index("ix_prepared_feed_visited", "visited_at"),)
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    visited_at: datetime | None = time_column()  # the shopper's last first page
    # The moment the plan was ranked at: its visit's start (``as_of``) and ``now``.
    prepared_at: datetime | None = time_column()
    plan: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    consumed_at: datetime | None = time_column()  # a visit used it: never twice
    # How many times the shopper followed, muted or cleared an interest or followed or
    # unfollowed a partner, and how many times they had when the plan's claim was taken:
    # a plan that missed one is not used.
    changes: int = 0
    prepared_changes: int | None = None
    claimed_until: datetime | None = time_column()  # a worker is preparing it until then


class FeedPreference(SQLModel, table=True):
    """How a shopper shaped their feed (``/settings/feed``): more, less or none of each
    card kind, promotions as they are or lower, standing filters and card density.

    One row per shopper who changed anything; no row is every default. The feed's
    profile reads it by primary key with the rest of what the shopper chose
    (:func:`app.ranking.candidates.load_profiles`)."""

    __tablename__ = "feed_preference"
    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    # Card kind name -> "more", "less" or "none"; kinds left as they are are not listed.
    kinds: dict[str, str] = json_column(dict)
    in_stock_only: bool = False
    deals_only: bool = False
    density: str = Field(default="compact", max_length=20)
    updated_at: datetime = created_column()
