"""Transparency figures for a period: what people reported, what staff did, how fast.

Counted from the reports and the audit log only, so the figures agree with the record.
The time to decision is per report: from when it was filed to when staff resolved it
(dismissed or acted on), for the reports resolved within the period.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from app.models import AuditEntry, Report

MAX_DECISION_TIMES = 100_000  # the median of a period reads at most this many reports


@dataclass(frozen=True)
class Figures:
    since: datetime
    until: datetime
    reports_by_reason: list[tuple[str, int]]
    actions: list[tuple[str, int]]
    decided: int  # reports resolved in the period
    median_to_decision: timedelta | None


def figures(db: Session, since: datetime, until: datetime) -> Figures:
    reasons = _counts(db, col(Report.reason), col(Report.created_at), since, until)
    actions = _counts(db, col(AuditEntry.action), col(AuditEntry.created_at), since, until)
    resolved = db.exec(
        select(Report.created_at, Report.resolved_at)
        .where(col(Report.resolved_at) >= since, col(Report.resolved_at) < until)
        .limit(MAX_DECISION_TIMES)
    ).all()
    waits = [(done - filed).total_seconds() for filed, done in resolved if done is not None]
    median = timedelta(seconds=statistics.median(waits)) if waits else None
    return Figures(
        since,
        until,
        reasons,
        actions,
        len(waits),
        median,
    )


def _counts(
    db: Session, what: Any, when: Any, since: datetime, until: datetime
) -> list[tuple[str, int]]:
    """How many rows of each value of ``what`` fall in the period, most first."""
    rows = db.exec(
        select(what, func.count())
        .where(when >= since, when < until)
        .group_by(what)
        .order_by(func.count().desc(), what)
    ).all()
    return [(str(value), int(n)) for value, n in rows]


def describe_wait(wait: timedelta | None) -> str:
    """A wait as people say it: "3 h 20 min", "2 days 4 h"."""
    if wait is None:
        return "no decisions"
    minutes = int(wait.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
