"""Transparency figures for a period: what people reported, what staff did, how fast.

Counted from the reports and the audit log only, so the figures agree with the record.
The time to decision is per report: from when it was filed to when staff resolved it
(dismissed or acted on), for the reports resolved within the period.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    reasons = db.exec(
        select(Report.reason, func.count())
        .where(col(Report.created_at) >= since, col(Report.created_at) < until)
        .group_by(Report.reason)
        .order_by(func.count().desc(), Report.reason)
    ).all()
    actions = db.exec(
        select(AuditEntry.action, func.count())
        .where(col(AuditEntry.created_at) >= since, col(AuditEntry.created_at) < until)
        .group_by(AuditEntry.action)
        .order_by(func.count().desc(), AuditEntry.action)
    ).all()
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
        [(str(r), int(n)) for r, n in reasons],
        [(str(a), int(n)) for a, n in actions],
        len(waits),
        median,
    )


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
