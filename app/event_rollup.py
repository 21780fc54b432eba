"""Counting the event log into tables of sums, exactly once, by the worker.

Two rollups read the event log this way: popularity for ranking
(:mod:`app.ranking.rollup`) and partners' results (:mod:`app.partners.rollup`). Each has
a row in ``rollup_progress`` under its name, and this module is what they share: the
marks, how a batch of events is claimed and counted, how old days are forgotten, and
how a reader adds the events written since the mark to what was rolled up.

A rollup is exact however it is run:

* A batch and the watermark that says it is counted (``last_event_id``) change in one
  transaction: a job that dies midway leaves both as they were, and the next run
  counts that batch again, once. Forgetting days moves ``forgotten_before`` in the
  transaction that deletes them.
* Both marks move by compare-and-set, as :func:`app.claims.claim_due` leases
  providers: of two workers that read the same mark, one moves it and does the work,
  the other finds it moved and reads it again. The mark's row lock also keeps a batch
  and a forgetting from running at once, which could take a day off as it was being
  added to.
* A batch never goes past an event that is still being written. PostgreSQL hands out
  ids as rows are inserted, not as they commit, so a higher id can be visible before a
  lower one: counting up to the newest visible id could step over an event for good.
  A ``SHARE`` lock on ``event`` waits for the transactions writing events to end, and
  holds new ones back only while the newest id is read. SQLite lets one writer in at a
  time, so its newest visible id is such a bound already, and ``event`` is
  AUTOINCREMENT there so that an id is never handed out twice.

Raw events are deleted after their retention only once every rollup has counted them
(:func:`counted_by_every_rollup`), so a stopped worker delays the deletion instead of
losing counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, func, text, update
from sqlalchemy import inspect as sqlalchemy_inspect
from sqlalchemy import select as sqlalchemy_select
from sqlmodel import Session, SQLModel, col, select

from app.db import dialect_insert, rows_changed
from app.models import Event, RollupProgress

POPULARITY = "popularity"  # ranking's impressions and opens (app.ranking.rollup)
RESULTS = "results"  # partners' results per card and day (app.partners.rollup)
# Every rollup of the event log: raw events wait for all of them before they are deleted.
COUNTERS = (POPULARITY, RESULTS)

BATCH_EVENTS = 20_000  # event ids per transaction: short enough not to hold writers back
LOCK_WAIT = "2s"  # PostgreSQL: give up on a busy event table and try at the next run
# An event's time is taken before its id is handed out, so across processes ids and
# times may disagree a little: the walk after a rollup's mark starts this much earlier.
WRITE_SKEW = timedelta(minutes=1)

# Counts the events with ids in (start, end] into a rollup's tables; returns how many.
CountBatch = Callable[[Session, int, int], int]
# Deletes (and takes off any sums) the days before the given one; returns rows deleted.
ForgetDays = Callable[[Session, date], int]


def count_new_events(db: Session, name: str, count: CountBatch, batch: int) -> int:
    """Count, batch by batch, every event rollup ``name`` has not counted yet (commits);
    returns how many ``count`` reported. Events that arrive while it runs wait for the
    next run."""
    _start_progress(db, name)
    newest = _newest_settled_event(db)
    counted = 0
    while (added := _count_next_batch(db, name, count, newest, batch)) is not None:
        counted += added
    return counted


def forget_days_before(db: Session, name: str, since: date, forget: ForgetDays) -> int:
    """Have ``forget`` delete rollup ``name``'s days before ``since``, once for each
    ``since`` however many workers try (commits); returns how many rows went."""
    done = progress(db, name).forgotten_before
    if done is not None and done >= since:
        return 0
    if not _move_mark(db, name, "forgotten_before", done, since):
        db.rollback()  # another worker is forgetting them
        return 0
    forgotten = forget(db, since)
    db.commit()
    return forgotten


def progress(db: Session, name: str) -> Any:
    """The marks of rollup ``name`` as they are now (plain columns: an ORM object could be
    a cached copy)."""
    marks = db.execute(
        select(col(RollupProgress.last_event_id), col(RollupProgress.forgotten_before)).where(
            col(RollupProgress.name) == name
        )
    ).one()
    db.commit()  # no read transaction left open: SQLite could not write after it
    return marks


def counted_by_every_rollup(db: Session) -> int:
    """An event id every rollup has counted up to (0 while one has never run)."""
    marks = dict(
        db.exec(
            select(RollupProgress.name, RollupProgress.last_event_id).where(
                col(RollupProgress.name).in_(COUNTERS)
            )
        ).all()
    )
    return min(marks.get(name, 0) for name in COUNTERS)


def mark_of(name: str) -> tuple[ScalarSelect[Any], ScalarSelect[Any]]:
    """Rollup ``name``'s mark and the time of the newest event up to it, as two scalar
    subqueries: a reader puts them in the statement that reads the rollup's rows, so
    that rows and mark are of one moment (a rollup moving in between counts nothing
    twice)."""
    mark = (
        select(col(RollupProgress.last_event_id))
        .where(col(RollupProgress.name) == name)
        .scalar_subquery()
    )
    # The newest event up to the mark, not the one at it: that id may be a gap.
    moment = (
        sqlalchemy_select(col(Event.created_at))
        .where(col(Event.id) <= mark)
        .order_by(col(Event.id).desc())
        .limit(1)
        .scalar_subquery()
    )
    return mark, moment


def tail_start(start: datetime, counted_at: datetime | None) -> datetime:
    """Where a reader's walk over the events after a rollup's mark begins: at ``start``,
    or later when the events up to the mark were written later than that. A stopped
    worker makes the walk longer, never wrong."""
    if counted_at is None:
        return start
    return max(start, counted_at - WRITE_SKEW)


def add_counts(
    db: Session, table: type[SQLModel], by: tuple[Any, ...], values: Mapping[str, Any], events: Any
) -> None:
    """Add the aggregates ``values`` (column name: expression over ``event``) of the
    ``events``, grouped ``by`` the table's primary key (the same columns, in order), to
    ``table``, in one statement."""
    counts = sqlalchemy_select(*by, *values.values()).where(*events).group_by(*by)
    key = [column.name for column in sqlalchemy_inspect(table).primary_key]
    insert = dialect_insert(db)(table).from_select([*key, *values], counts)
    db.execute(
        insert.on_conflict_do_update(
            index_elements=key,
            set_={name: getattr(table, name) + insert.excluded[name] for name in values},
        )
    )


def _start_progress(db: Session, name: str) -> None:
    """The rollup's row, made at its first run (two first runs make one)."""
    insert = dialect_insert(db)(RollupProgress)
    db.execute(insert.values(name=name, last_event_id=0).on_conflict_do_nothing())
    db.commit()


def _move_mark(db: Session, name: str, mark: str, seen: Any, to: Any) -> bool:
    """Compare-and-set one of the rollup's marks; True when this transaction moved it
    (and so holds its row until commit)."""
    moved = db.execute(
        update(RollupProgress)
        .where(col(RollupProgress.name) == name, getattr(RollupProgress, mark) == seen)
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


def _count_next_batch(
    db: Session, name: str, count: CountBatch, newest: int, batch: int
) -> int | None:
    """Count the events after the watermark, at most ``batch`` ids and none after
    ``newest``, in one transaction.

    Returns how many were counted, 0 if another worker took this batch first, or
    None when there is nothing left to count.
    """
    start = progress(db, name).last_event_id
    end = min(newest, start + batch)
    if end <= start:
        return None
    if not _move_mark(db, name, "last_event_id", start, end):
        db.rollback()
        return 0
    counted = count(db, start, end)
    db.commit()
    return counted
