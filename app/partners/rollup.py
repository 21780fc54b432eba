"""Partners' results per card and UTC day, rolled up from the event log by the worker.

The results pages, their CSV and the API counted raw events over up to a year at every
request: a provider with millions of impressions made a slow page, and once the
retention job deleted events older than ``PLAZA_EVENT_RETENTION_DAYS`` their days read
zero, so a retailer's history vanished. The worker now adds every event the results
show (:data:`app.partners.stats.METRICS`) to ``card_results_day`` as it comes, and keeps
those days for ``PLAZA_RESULTS_RETENTION_DAYS`` whatever happens to the events;
:mod:`app.partners.stats` reads them plus the events written since the rollup's mark.

Counting is :mod:`app.event_rollup`'s, shared with the popularity rollup: exactly once,
by batches that commit with their mark, with any number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial

from sqlalchemy import case, delete, func
from sqlmodel import Session, col, select

from app.db import rows_changed, utc_day
from app.event_rollup import (
    BATCH_EVENTS,
    RESULTS,
    add_counts,
    count_new_events,
    forget_days_before,
    progress,
)
from app.models import CardResultsDay, Event
from app.partners.stats import METRICS

KEEP_DAYS = 400  # PLAZA_RESULTS_RETENTION_DAYS' default: a year's range and some


@dataclass(frozen=True)
class ResultsReport:
    counted: int  # events added to the results
    watermark: int  # every event up to this id is counted (or was too old to count)
    forgotten: int  # card days older than the results keep
    kept_since: date


def kept_since(now: datetime, keep_days: int) -> date:
    """The first UTC day the results still hold at ``now``."""
    return now.astimezone(UTC).date() - timedelta(days=keep_days - 1)


def roll_up_results(
    db: Session, now: datetime, *, keep_days: int = KEEP_DAYS, batch: int = BATCH_EVENTS
) -> ResultsReport:
    """Add every event not counted yet to the results, then forget the days older than
    ``keep_days`` (commits)."""
    first_day = kept_since(now, keep_days)
    counted = count_new_events(db, RESULTS, partial(_count, first_day=first_day), batch)
    return ResultsReport(
        counted=counted,
        watermark=progress(db, RESULTS).last_event_id,
        forgotten=forget_days_before(db, RESULTS, first_day, _forget),
        kept_since=first_day,
    )


def _count(db: Session, start: int, end: int, *, first_day: date) -> int:
    """Add the counted events with ids in (``start``, ``end``] to their card's day; those
    of days the results no longer keep are passed over for good."""
    in_batch = (
        col(Event.id) > start,
        col(Event.id) <= end,
        col(Event.kind).in_(list(METRICS)),
        col(Event.card_id).is_not(None),
        col(Event.provider_id).is_not(None),
        col(Event.created_at) >= datetime.combine(first_day, time(), UTC),
    )
    values = {
        metric: func.sum(case((col(Event.kind) == kind, 1), else_=0))
        for kind, metric in METRICS.items()
    }
    by = (Event.provider_id, utc_day(db, Event.created_at), Event.card_id)
    add_counts(db, CardResultsDay, by, values, in_batch)
    return db.exec(select(func.count()).where(*in_batch)).one()


def _forget(db: Session, since: date) -> int:
    return rows_changed(db.execute(delete(CardResultsDay).where(col(CardResultsDay.day) < since)))
