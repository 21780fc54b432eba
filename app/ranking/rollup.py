"""Recent impressions and opens per card and per provider, rolled up by the worker.

Each impression also counts the opens its viewer usually gives a card: the
rate the feed wrote on the impression (``event.viewer_rate``, from
:func:`app.ranking.popularity.viewer_rate` of the viewer's history when the page was
ranked), so that popularity can tell a card that shoppers open more than usual
from one shown to shoppers who open a lot. Reading each viewer's history again
here made the rollup twenty to eighty times slower.

Counting them from the event log on every feed page meant a GROUP BY over
every impression ever recorded of up to 1,500 cards: the slowest part of a
page once there are millions of events, and a count that never forgets. The
worker keeps the counts instead (:mod:`app.models.popularity`): per card and
provider, one row per day and one with the sum over the last
:data:`WINDOW_DAYS` days, which is all a feed page reads (:func:`recent_counts`).

:func:`roll_up` adds the events it has not counted yet, batch by batch, then
forgets the days that left the window, and is exact however it is run, with any
number of workers: how is :mod:`app.event_rollup`'s, which it shares with partners'
results. Forgetting a day takes it off the sums and deletes it in one transaction.

A stopped worker freezes popularity as it was: the sums keep their days until
a run forgets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

from sqlalchemy import case, delete, func, null, union_all, update
from sqlalchemy import select as sqlalchemy_select
from sqlmodel import Session, col, select

from app.db import rows_changed, utc_day
from app.event_rollup import (
    BATCH_EVENTS,
    POPULARITY,
    add_counts,
    count_new_events,
    forget_days_before,
    mark_of,
    progress,
    tail_start,
)
from app.models import Event, EventKind
from app.models.popularity import (
    CardPopularity,
    CardPopularityDay,
    PopularityCounts,
    ProviderPopularity,
    ProviderPopularityDay,
)
from app.ranking.popularity import VIEWER_PRIOR_RATE, CardCounts, Tally

WINDOW_DAYS = 28
PROGRESS = POPULARITY  # this rollup's row in rollup_progress
# (the event column counted by, its window sums, its days)
DayTable = type[CardPopularityDay] | type[ProviderPopularityDay]
SCOPES: tuple[tuple[str, type[PopularityCounts], DayTable], ...] = (
    ("card_id", CardPopularity, CardPopularityDay),
    ("provider_id", ProviderPopularity, ProviderPopularityDay),
)


@dataclass(frozen=True)
class RollupReport:
    counted: int  # impressions and opens added
    watermark: int  # every event up to this id is counted (or was too old to count)
    forgotten: int  # day rows that left the window
    window_start: date


def window_start(now: datetime) -> date:
    """The first UTC day popularity counts at ``now``."""
    return now.astimezone(UTC).date() - timedelta(days=WINDOW_DAYS - 1)


def roll_up(db: Session, now: datetime, *, batch: int = BATCH_EVENTS) -> RollupReport:
    """Count every event not counted yet, then forget days before the window (commits).

    Events that arrive while it runs wait for the next run."""
    counted = count_new_events(db, PROGRESS, partial(_count, now=now), batch)
    return RollupReport(
        counted=counted,
        watermark=progress(db, PROGRESS).last_event_id,
        forgotten=forget_days_before(db, PROGRESS, window_start(now), _forget_old_days),
        window_start=window_start(now),
    )


def recent_counts(
    db: Session, owners: Sequence[tuple[int, int]]
) -> tuple[list[CardCounts], dict[int, Tally]]:
    """The window's impressions and opens of the cards given as (card id, provider id),
    and their providers' over all their cards: the input of
    :func:`app.ranking.popularity.popularity_lifts`. A primary-key lookup per card and per
    provider, however many events there are."""
    per_card = _sums(db, CardPopularity, "card_id", [c for c, _ in owners])
    per_provider = _sums(db, ProviderPopularity, "provider_id", sorted({p for _, p in owners}))
    counts = [CardCounts(c, p, *per_card.get(c, Tally())) for c, p in owners]
    return counts, per_provider


def provider_counts(db: Session) -> dict[int, Tally]:
    """Every provider's window totals (a row per provider: a few hundred)."""
    rows = db.exec(
        select(
            ProviderPopularity.provider_id,
            ProviderPopularity.impressions,
            ProviderPopularity.opens,
            ProviderPopularity.expected_opens,
        )
    )
    return {provider: Tally(shown, opened, expected) for provider, shown, opened, expected in rows}


def delivered_today(
    db: Session, provider_ids: Sequence[int], user_id: int, now: datetime
) -> dict[int, tuple[int, int]]:
    """Per provider of ``provider_ids``, its impressions today (the UTC day of ``now``) to
    everyone and to ``user_id``: how much of the daily and per-consumer caps of a
    promotion or survey is used.

    Everyone's count is the rollup's row for today plus the impressions written since
    its mark, so a busy promotion costs a primary-key read and a short index walk, not a
    count of every impression it had today. Today's row and the mark are read in one
    statement, so no impression is counted twice when the rollup moves in between; a
    stopped worker makes the walk longer (back to midnight at most), never wrong.
    """
    if not provider_ids:
        return {}
    ids = sorted(set(provider_ids))
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    mark, mark_at = mark_of(PROGRESS)
    today = col(ProviderPopularityDay.day) == midnight.date()
    counted = union_all(
        sqlalchemy_select(mark, mark_at, null(), null()),
        sqlalchemy_select(
            null(),
            null(),
            col(ProviderPopularityDay.provider_id),
            col(ProviderPopularityDay.impressions),
        ).where(col(ProviderPopularityDay.provider_id).in_(ids), today),
    )
    (last_counted, counted_at, _, _), *days = db.execute(counted).all()
    everyone: dict[int, int] = {provider: shown for _, _, provider, shown in days}
    since = tail_start(midnight, counted_at)
    impressions = (
        col(Event.provider_id).in_(ids),
        col(Event.kind) == EventKind.IMPRESSION,
    )
    tail = db.execute(
        sqlalchemy_select(col(Event.provider_id), func.count())
        .where(*impressions, col(Event.created_at) >= since, col(Event.id) > (last_counted or 0))
        .group_by(col(Event.provider_id))
    )
    for provider, shown in tail:
        everyone[provider] = everyone.get(provider, 0) + shown
    own = dict(
        db.execute(
            sqlalchemy_select(col(Event.provider_id), func.count())
            .where(*impressions, col(Event.user_id) == user_id, col(Event.created_at) >= midnight)
            .group_by(col(Event.provider_id))
        ).all()
    )
    return {provider: (everyone.get(provider, 0), own.get(provider, 0)) for provider in ids}


SUMS_CHUNK = 5_000  # ids per IN list: under every database's limit on bound parameters


def _sums(
    db: Session, table: type[PopularityCounts], key: str, wanted: Sequence[int]
) -> dict[int, Tally]:
    owner = getattr(table, key)
    found: dict[int, Tally] = {}
    for start in range(0, len(wanted), SUMS_CHUNK):
        rows = db.exec(
            select(owner, table.impressions, table.opens, table.expected_opens).where(
                col(owner).in_(wanted[start : start + SUMS_CHUNK])
            )
        )
        found.update(
            (key_, Tally(shown, opened, expected)) for key_, shown, opened, expected in rows
        )
    return found


def _count(db: Session, start: int, end: int, *, now: datetime) -> int:
    """Count the impressions and opens with ids in (``start``, ``end``] that are inside
    the window at ``now``; the others are passed over for good."""
    in_batch = (
        col(Event.id) > start,
        col(Event.id) <= end,
        col(Event.kind).in_((EventKind.IMPRESSION, EventKind.OPEN)),
        col(Event.card_id).is_not(None),
        col(Event.provider_id).is_not(None),
        col(Event.created_at) >= datetime.combine(window_start(now), time(), UTC),
    )
    for key, sums, days in SCOPES:
        _add(db, days, (getattr(Event, key), utc_day(db, Event.created_at)), in_batch)
        _add(db, sums, (getattr(Event, key),), in_batch)
    return db.exec(select(func.count()).where(*in_batch)).one()


def _add(db: Session, table: type[PopularityCounts], by: tuple[Any, ...], events: Any) -> None:
    """Add the impressions, opens and expected opens among ``events``, grouped ``by``
    the table's key (the same columns, in order), to ``table``, in one statement."""
    opens = func.sum(case((col(Event.kind) == EventKind.OPEN, 1), else_=0))
    usual = func.coalesce(Event.viewer_rate, VIEWER_PRIOR_RATE)  # not recorded: average
    expected = func.sum(case((col(Event.kind) == EventKind.IMPRESSION, usual), else_=0.0))
    values = {"impressions": func.count() - opens, "opens": opens, "expected_opens": expected}
    add_counts(db, table, by, values, events)


def _forget_old_days(db: Session, since: date) -> int:
    """Take the days before ``since`` off the sums and delete them; returns how many day
    rows went."""
    forgotten = 0
    for key, sums, days in SCOPES:
        old = (
            select(
                getattr(days, key).label("owner"),
                func.sum(days.impressions).label("impressions"),
                func.sum(days.opens).label("opens"),
                func.sum(days.expected_opens).label("expected_opens"),
            )
            .where(col(days.day) < since)
            .group_by(getattr(days, key))
            .subquery()
        )
        db.execute(
            update(sums)
            .where(getattr(sums, key) == old.c.owner)
            .values(
                impressions=sums.impressions - old.c.impressions,
                opens=sums.opens - old.c.opens,
                expected_opens=sums.expected_opens - old.c.expected_opens,
            )
        )
        gone = db.execute(delete(days).where(col(days.day) < since))
        forgotten += rows_changed(gone)
        db.execute(delete(sums).where(col(sums.impressions) == 0, col(sums.opens) == 0))
    return forgotten
