"""Results: impressions, opens, saves and dismisses per day, provider and card.

Every number is the results rollup's (:mod:`app.partners.rollup`: a row per card and
day, read through its primary key or its card index) plus the events written since
the rollup's mark (``ix_event_provider_time``: provider, time, kind), the way
:func:`app.ranking.rollup.delivered_today` reads caps. The rows and the mark are read
in one statement, so the figures are exact at any moment, before, between and after
the worker's runs, and they outlive the raw events, which go after their retention
only once counted. Days are UTC days. Shared by the portal's results pages, their CSV,
the provider list's health and ``GET /api/v1/stats``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, null, union_all
from sqlalchemy import select as sqlalchemy_select
from sqlmodel import Session, col, select

from app.db import as_date, utc_day
from app.event_rollup import RESULTS, mark_of, tail_start
from app.models import Card, CardResultsDay, Event, EventKind

METRICS = {
    EventKind.IMPRESSION: "impressions",
    EventKind.OPEN: "opens",
    EventKind.SAVE: "saves",
    EventKind.DISMISS: "dismisses",
}
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DEFAULT_DAYS = 30
# Plaza has no events before 1970, and a range must have room for its day before
# and after within Python's dates.
EARLIEST, LATEST = date(1970, 1, 1), date(9999, 12, 30)
MAX_DAYS = 366


@dataclass
class Counts:
    """The four counts of one day, card or provider, and the open rate they imply."""

    impressions: int = 0
    opens: int = 0
    saves: int = 0
    dismisses: int = 0

    def add(self, metric: str, count: int) -> None:
        setattr(self, metric, getattr(self, metric) + count)

    @property
    def open_rate(self) -> float | None:
        """Opens per impression; None when nothing was shown (not zero: unknown)."""
        return self.opens / self.impressions if self.impressions else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "impressions": self.impressions,
            "opens": self.opens,
            "saves": self.saves,
            "dismisses": self.dismisses,
            "open_rate": None if self.open_rate is None else round(self.open_rate, 4),
        }


@dataclass
class DayCounts(Counts):
    day: date = date.min


@dataclass(frozen=True)
class DateRange:
    """Whole UTC days from ``start`` to ``end``, both included."""

    start: date
    end: date

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time.min, UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time.min, UTC)


class RangeProblems(ValueError):
    """What is wrong with a requested range, as (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))
        self.problems = problems


def parse_range(start: str | None, end: str | None, today: date) -> DateRange:
    """A range from two ISO dates, each optional (None, not blank): the last 30 days by
    default, at most 366."""
    problems: list[tuple[str, str]] = []
    parsed: dict[str, date | None] = {}
    for name, text in (("from", start), ("to", end)):
        try:
            if text is not None and not ISO_DATE.fullmatch(text):
                raise ValueError(text)  # fromisoformat also takes 20261123 and 2026-W47
            parsed[name] = None if text is None else date.fromisoformat(text)
        except ValueError:
            parsed[name] = None
            problems.append((name, "Give a date as YYYY-MM-DD."))
            continue
        day = parsed[name]
        if day is not None and not EARLIEST <= day <= LATEST:
            problems.append((name, f"Choose a day from {EARLIEST} to {LATEST}."))
    if problems:
        raise RangeProblems(problems)
    last = parsed["to"] or today
    first = parsed["from"] or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise RangeProblems([("from", "The start must not be after the end.")])
    if (last - first).days + 1 > MAX_DAYS:
        raise RangeProblems([("from", f"Choose at most {MAX_DAYS} days.")])
    return DateRange(first, last)


def _counts(
    db: Session, provider_ids: Sequence[int], period: DateRange, by: str, card_id: int | None
) -> dict[Any, Counts]:
    """The counts of the providers' (or one card's) events in ``period``, grouped ``by``
    ``day``, ``provider_id`` or ``card_id``; groups without any are left out."""
    found: dict[Any, Counts] = defaultdict(Counts)
    if not provider_ids:
        return found
    rolled = [
        col(CardResultsDay.provider_id).in_(provider_ids),
        col(CardResultsDay.day) >= period.start,
        col(CardResultsDay.day) <= period.end,
    ]
    if card_id is not None:
        rolled.append(col(CardResultsDay.card_id) == card_id)
    mark, mark_at = mark_of(RESULTS)
    metrics = list(METRICS.values())
    rows = union_all(
        sqlalchemy_select(mark, mark_at, null(), *(null() for _ in metrics)),
        sqlalchemy_select(
            null(),
            null(),
            getattr(CardResultsDay, by),
            *(func.sum(getattr(CardResultsDay, metric)) for metric in metrics),
        )
        .where(*rolled)
        .group_by(getattr(CardResultsDay, by)),
    )
    (last_counted, counted_at, *_), *rollup = db.execute(rows).all()
    for _, _, key, *sums in rollup:
        for metric, count in zip(metrics, sums, strict=True):
            found[key].add(metric, int(count))
    key = utc_day(db, Event.created_at) if by == "day" else getattr(Event, by)
    tail = (
        sqlalchemy_select(key, col(Event.kind), func.count())
        .where(
            col(Event.provider_id).in_(provider_ids),
            col(Event.created_at) >= tail_start(period.since, counted_at),
            col(Event.created_at) < period.until,
            col(Event.kind).in_(list(METRICS)),
            col(Event.card_id).is_not(None),
            col(Event.id) > (last_counted or 0),
        )
        .group_by(key, col(Event.kind))
    )
    if card_id is not None:
        tail = tail.where(col(Event.card_id) == card_id)
    for owner, kind, count in db.execute(tail):
        found[owner].add(METRICS[EventKind(kind)], count)
    return found


def daily(
    db: Session, provider_ids: Sequence[int], period: DateRange, card_id: int | None = None
) -> list[DayCounts]:
    """One row per day of the range (days without events are zeros)."""
    rows = {day: DayCounts(day=day) for day in period.days}
    for when, counts in _counts(db, provider_ids, period, "day", card_id).items():
        row = rows.get(as_date(when))
        if row is not None:
            for metric in METRICS.values():
                row.add(metric, getattr(counts, metric))
    return list(rows.values())


def per_provider(db: Session, provider_ids: Sequence[int], period: DateRange) -> dict[int, Counts]:
    """Totals over the range for each provider (every id present, zeros included)."""
    found = _counts(db, provider_ids, period, "provider_id", None)
    return {pid: found.get(pid, Counts()) for pid in provider_ids}


@dataclass
class CardCounts(Counts):
    card_id: int = 0
    title: str = ""
    image_url: str | None = None
    stored: bool = True  # False once housekeeping pruned the card: its counts stay


def per_card(db: Session, provider_id: int, period: DateRange) -> list[CardCounts]:
    """Totals over the range for each card that had any event, most shown first (a card
    no longer stored keeps its counts, without a title)."""
    by_card = {
        card_id: CardCounts(**vars(counts), card_id=card_id)
        for card_id, counts in _counts(db, [provider_id], period, "card_id", None).items()
    }
    stored = {
        card_id: (title, image_url)
        for card_id, title, image_url in db.exec(
            select(Card.id, Card.title, Card.image_url).where(col(Card.id).in_(list(by_card)))
        )
    }
    for card_id, counts in by_card.items():
        counts.title, counts.image_url = stored.get(card_id, ("", None))
        counts.stored = card_id in stored
    return sorted(by_card.values(), key=lambda c: (-c.impressions, -c.opens, c.card_id))


def total(rows: Iterable[Counts]) -> Counts:
    summed = Counts()
    for row in rows:
        for metric in METRICS.values():
            summed.add(metric, getattr(row, metric))
    return summed
