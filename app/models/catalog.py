"""What shoppers are shown: providers (registered sources) and the cards they produce.

Interests are stored as taxonomy slugs (strings), not foreign keys: the
taxonomy ships as data with the code, so a release may add interests without
a migration, and a slug that disappears is simply ignored when read.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.columns import UTCDateTime, created_column, json_column, time_column, utcnow
from cards.community import CommunityKind


class ProviderStatus(StrEnum):
    ACTIVE = "active"
    BACKING_OFF = "backing_off"
    PAUSED = "paused"
    SUSPENDED = "suspended"


# Plaza keeps one provider of its community's posts per organisation (app.community.
# feed_posts): a unique partial index, so two workers making one at once cannot make two.
ONE_COMMUNITY_PROVIDER = f"kind = '{CommunityKind.name}'"


class Provider(SQLModel, table=True):
    __table_args__ = (
        Index("ix_provider_due", "status", "next_run_at"),
        Index(
            "uq_provider_community",
            "organization_id",
            unique=True,
            sqlite_where=text(ONE_COMMUNITY_PROVIDER),
            postgresql_where=text(ONE_COMMUNITY_PROVIDER),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    kind: str = Field(max_length=64)
    name: str = Field(max_length=200)
    # After a rename, the name its cards' search documents still hold, until the worker
    # has written them again (app.search.index.index_renamed_providers); None when they
    # hold ``name``.
    indexed_name: str | None = Field(default=None, max_length=200)
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
        Index("ix_card_updated", "updated_at"),  # what changed since (app.ranking.catalog)
        Index("ix_card_kind_published", "kind", "published_at"),
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
    """Which interests a card is about; the index that candidate queries start from.

    It carries its card's ``published_at`` so that the newest cards about an interest
    are the first entries of one index, read without sorting the interest's cards."""

    __tablename__ = "card_interest"
    __table_args__ = (
        Index("ix_card_interest_slug", "slug", "card_id"),
        Index("ix_card_interest_newest", "slug", "published_at", "card_id"),
    )
    card_id: int = Field(foreign_key="card.id", primary_key=True, ondelete="CASCADE")
    slug: str = Field(max_length=200, primary_key=True)
    published_at: datetime | None = time_column()  # the card's
