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
forgets the days that left the window, and is exact however it is run:

* A batch and the watermark that says it is counted (``rollup_progress``)
  change in one transaction: a job that dies midway leaves both as they were,
  and the next run counts that batch again, once. Forgetting a day takes it
  off the sums and deletes it in one transaction too.
* Both move their mark in ``rollup_progress`` by compare-and-set, as
  :func:`app.worker.claim_due` leases providers: of two workers that read the
  same mark, one moves it and does the work, the other finds it moved and
  reads it again. The mark's row lock also keeps a batch and a forgetting from
  running at once, which could subtract a day as it was being added to.
* A batch never goes past an event that is still being written. PostgreSQL
  hands out ids as rows are inserted, not as they commit, so a higher id can
  be visible before a lower one: counting up to the newest visible id could
  step over an event for good. A ``SHARE`` lock on ``event`` waits for the
  transactions writing events to end, and holds new ones back only while the
  newest id is read. SQLite lets one writer in at a time, so its newest
  visible id is such a bound already, and ``event`` is AUTOINCREMENT there
  so that an id is never handed out twice.

A stopped worker freezes popularity as it was: the sums keep their days until
a run forgets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, delete, func, null, text, union_all, update
from sqlalchemy import inspect as sqlalchemy_inspect
from sqlalchemy import select as sqlalchemy_select
from sqlmodel import Session, col, select

from app.db import dialect_insert, rows_changed, utc_day
from app.models import Event, EventKind
from app.models.popularity import (
    CardPopularity,
    CardPopularityDay,
    PopularityCounts,
    ProviderPopularity,
    ProviderPopularityDay,
    RollupProgress,
)
from app.ranking.popularity import VIEWER_PRIOR_RATE, CardCounts, Tally

WINDOW_DAYS = 28
BATCH_EVENTS = 20_000  # event ids per transaction: short enough not to hold writers back
PROGRESS = "popularity"  # this rollup's row in rollup_progress
LOCK_WAIT = "2s"  # PostgreSQL: give up on a busy event table and try at the next run
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
    _start_progress(db)
    newest = _newest_settled_event(db)
    counted = 0
    while (added := _count_next_batch(db, now, newest, batch)) is not None:
        counted += added
    return RollupReport(
        counted=counted,
        watermark=_progress(db).last_event_id,
        forgotten=_forget_old_days(db, window_start(now)),
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


# An event's time is taken before its id is handed out, so across processes ids and
# times may disagree a little: the walk after the rollup's mark starts this much earlier.
WRITE_SKEW = timedelta(minutes=1)


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
    mark = (
        select(col(RollupProgress.last_event_id))
        .where(col(RollupProgress.name) == PROGRESS)
        .scalar_subquery()
    )
    mark_at = select(col(Event.created_at)).where(col(Event.id) == mark).scalar_subquery()
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
    since = midnight
    if counted_at is not None:
        since = max(midnight, counted_at - WRITE_SKEW)
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


def _start_progress(db: Session) -> None:
    """The rollup's row, made at the first run (two first runs make one)."""
    insert = dialect_insert(db)(RollupProgress)
    db.execute(insert.values(name=PROGRESS, last_event_id=0).on_conflict_do_nothing())
    db.commit()


def _progress(db: Session) -> Any:
    """The marks as they are now (plain columns: an ORM object could be a cached copy)."""
    progress = db.execute(
        select(col(RollupProgress.last_event_id), col(RollupProgress.forgotten_before)).where(
            col(RollupProgress.name) == PROGRESS
        )
    ).one()
    db.commit()  # no read transaction left open: SQLite could not write after it
    return progress


def _move_mark(db: Session, mark: str, seen: Any, to: Any) -> bool:
    """Compare-and-set one of the rollup's marks; True when this transaction moved it
    (and so holds its row until commit)."""
    moved = db.execute(
        update(RollupProgress)
        .where(col(RollupProgress.name) == PROGRESS, getattr(RollupProgress, mark) == seen)
        .values({mark: to})
    )
    return rows_changed(moved) == 1


def _newest_settled_event(db: Session) -> int:
    """An id no event still being written is below (see the module docstring)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
        db.execute(text("LOCK TABLE event IN SHARE MODE"))
    newest = db.exec(select(func.coalesce(func.max(Event.id), 0))).one()
    db.commit()
    return int(newest or 0)


def _count_next_batch(db: Session, now: datetime, newest: int, batch: int) -> int | None:
    """Count the events after the watermark, at most ``batch`` ids and none after
    ``newest``, in one transaction.

    Returns how many were counted, 0 if another worker took this batch first, or
    None when there is nothing left to count.
    """
    start = _progress(db).last_event_id
    end = min(newest, start + batch)
    if end <= start:
        return None
    if not _move_mark(db, "last_event_id", start, end):
        db.rollback()
        return 0
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
    counted = db.exec(select(func.count()).where(*in_batch)).one()
    db.commit()
    return counted


def _add(db: Session, table: type[PopularityCounts], by: tuple[Any, ...], events: Any) -> None:
    """Add the impressions, opens and expected opens among ``events``, grouped ``by``
    the table's key (the same columns, in order), to ``table``, in one statement."""
    opens = func.sum(case((col(Event.kind) == EventKind.OPEN, 1), else_=0))
    usual = func.coalesce(Event.viewer_rate, VIEWER_PRIOR_RATE)  # not recorded: average
    expected = func.sum(case((col(Event.kind) == EventKind.IMPRESSION, usual), else_=0.0))
    counts = sqlalchemy_select(*by, func.count() - opens, opens, expected)
    counts = counts.where(*events).group_by(*by)
    key = [column.name for column in sqlalchemy_inspect(table).primary_key]
    insert = dialect_insert(db)(table).from_select(
        [*key, "impressions", "opens", "expected_opens"], counts
    )
    db.execute(
        insert.on_conflict_do_update(
            index_elements=key,
            set_={
                "impressions": table.impressions + insert.excluded.impressions,
                "opens": table.opens + insert.excluded.opens,
                "expected_opens": table.expected_opens + insert.excluded.expected_opens,
            },
        )
    )


def _forget_old_days(db: Session, since: date) -> int:
    """Take the days before ``since`` off the sums and delete them (commits); returns
    how many day rows went."""
    done = _progress(db).forgotten_before
    if done is not None and done >= since:
        return 0
    if not _move_mark(db, "forgotten_before", done, since):
        db.rollback()  # another worker is forgetting them
        return 0
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
    db.commit()
    return forgotten
