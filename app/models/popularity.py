"""Tables of the popularity rollup (kept by :mod:`app.ranking.rollup`).

Each card and each provider has a row per UTC day with the impressions, opens and
expected opens counted that day, and one row with their sum over the days still
kept: the feed reads the sums, one row per candidate and per provider, and
forgetting a day takes it off the sums as it deletes it. Both change in the same transactions, so
a sum always equals its days.

The counts are anonymous: no consumer is in them, so they may outlive the events
they were counted from. A consumer whose account is deleted takes their events
along, not the sums those events were added to, as a shop's till roll keeps
the day's total after a receipt is thrown away; the sums last only the window
(:data:`app.ranking.rollup.WINDOW_DAYS`) anyway, and never go into a
consumer's export. A card that retention prunes, or a provider that is deleted,
takes its rows along (foreign-key cascade).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class PopularityCounts(SQLModel):
    impressions: int = 0
    opens: int = 0
    # The opens the impressions' viewers would usually have given: each impression counts
    # its viewer's own open rate (app.ranking.popularity.viewer_rate) when it was rolled up.
    expected_opens: float = 0.0


class CardPopularity(PopularityCounts, table=True):
    """A card's impressions and opens over the window: what a feed page reads."""

    __tablename__ = "card_popularity"
    card_id: int = Field(foreign_key="card.id", primary_key=True, ondelete="CASCADE")


class CardPopularityDay(PopularityCounts, table=True):
    """A card's impressions and opens on one day."""

    __tablename__ = "card_popularity_day"
    __table_args__ = (Index("ix_card_popularity_day_day", "day"),)  # forgetting old days
    card_id: int = Field(foreign_key="card.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)


class ProviderPopularity(PopularityCounts, table=True):
    """A provider's impressions and opens over the window, over all its cards (pruned
    ones included): the rate a new card of the provider starts from."""

    __tablename__ = "provider_popularity"
    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")


class ProviderPopularityDay(PopularityCounts, table=True):
    """A provider's impressions and opens on one day."""

    __tablename__ = "provider_popularity_day"
    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)


class RollupProgress(SQLModel, table=True):
    """How far a rollup has gone: every event up to ``last_event_id`` is counted, and
    every day before ``forgotten_before`` is forgotten."""

    __tablename__ = "rollup_progress"
    name: str = Field(max_length=64, primary_key=True)
    last_event_id: int = 0
    forgotten_before: date | None = None
