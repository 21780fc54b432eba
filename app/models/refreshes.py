"""What each refresh of a provider did, for its owner's history in the portal.

One row per refresh the worker ran: when, its outcome, how many cards it added, changed
and expired, the error in words when it failed, and the items the source sent that were
left out (no title, no link...) with why. Only the newest row keeps its rejected items,
a few dozen at most: that is the question a retailer asks ("what did my feed get wrong
just now?"), and a feed that sends thousands of broken items every hour must not fill
the database; older rows keep only the count. Rows go with their provider (cascade).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.columns import UTCDateTime, json_column


class RefreshOutcome(StrEnum):
    STORED = "stored"  # the source answered and its items were stored
    UNCHANGED = "unchanged"  # 304 Not Modified: nothing to store
    FAILED = "failed"


class ProviderRefresh(SQLModel, table=True):
    __tablename__ = "provider_refresh"
    __table_args__ = (Index("ix_provider_refresh_newest", "provider_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    provider_id: int = Field(foreign_key="provider.id", ondelete="CASCADE")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    outcome: str = Field(max_length=16)
    new: int = 0
    updated: int = 0
    expired: int = 0
    error: str | None = None
    rejected_count: int = 0
    # [{"item": "...", "reason": "..."}], on the provider's newest row only
    rejected: list[dict[str, Any]] = json_column(list)
