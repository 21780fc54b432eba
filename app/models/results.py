"""The table of partners' results (kept by :mod:`app.partners.rollup`).

One row per card and UTC day with the impressions, opens, saves and dismisses counted
that day, the card's provider on the row, so that a provider's days and totals are
read from its own rows through the primary key, and a card's through its index.

The counts are anonymous and outlive what they were counted from: raw events go after
their retention, a deleted account takes its person out of the events, and a pruned
card is gone from the catalog, but a retailer's results for those days stay (which is
why ``card_id`` refers to no table). A deleted provider takes its rows along.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class CardResultsDay(SQLModel, table=True):
    """A card's counts on one day, as the results pages show them."""

    __tablename__ = "card_results_day"
    __table_args__ = (
        # One card over time (a card's results page).
        Index("ix_card_results_day_card", "card_id", "day"),
        # SQLite keeps the rows in primary-key order, so a provider's days are read from
        # the key itself, not looked up row by row.
        {"sqlite_with_rowid": False},
    )
    provider_id: int = Field(foreign_key="provider.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)
    card_id: int = Field(primary_key=True)
    impressions: int = 0
    opens: int = 0
    saves: int = 0
    dismisses: int = 0
