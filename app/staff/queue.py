"""The staff queue: everything waiting for a decision, oldest first, from every source.

A source (:class:`QueueSource`) turns what it holds into :class:`QueueItem` objects:
open reports grouped per thing, appeals. Another area adds its own with
:func:`register_source` (held and flagged community texts, :mod:`app.staff.screened`,
whose items are built through the registry of reportable kinds with
:func:`target_item`), and the console renders every item alike, oldest first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlmodel import Session, col, func, select

from app.community.reports import Target, load_target
from app.models import Appeal, Decision, Report, stored_id
from app.staff.actions import Action, actions_for
from app.staff.appeals import open_appeals

SCAN = 500  # open reports read at most per page (grouped, they are fewer items)


@dataclass(frozen=True)
class History:
    """What the console shows of a participant's past."""

    reports_about: int
    decisions: Sequence[Decision]


@dataclass
class QueueItem:
    source: str  # "reports", "appeals", ...
    key: str  # unique in the queue: "reports:card:17"
    since: datetime  # when it started waiting
    target: Target
    reports: list[Report] = field(default_factory=list)
    appeal: Appeal | None = None
    decision: Decision | None = None
    history: History | None = None
    actions: list[Action] = field(default_factory=list)

    @property
    def reasons(self) -> list[tuple[str, int]]:
        return Counter(r.reason for r in self.reports).most_common()


class QueueSource(Protocol):
    name: str

    def items(self, db: Session, limit: int) -> list[QueueItem]:
        """Its oldest ``limit`` items, oldest first."""
        ...

    def count(self, db: Session) -> int:
        """How many items it has waiting, without building them."""
        ...


SOURCES: dict[str, QueueSource] = {}


def register_source(source: QueueSource) -> QueueSource:
    SOURCES[source.name] = source
    return source


def history(db: Session, user_id: int) -> History:
    reports_about = db.exec(
        select(func.count())
        .select_from(Report)
        .where(Report.target_kind == "user", Report.target_id == user_id)
    ).one()
    decisions = db.exec(
        select(Decision)
        .where(Decision.user_id == user_id)
        .order_by(col(Decision.created_at).desc())
        .limit(10)
    ).all()
    return History(int(reports_about), decisions)


def target_item(
    db: Session,
    source: str,
    target: Target,
    since: datetime,
    reports: Sequence[Report] = (),
) -> QueueItem:
    """An item about one thing: its author's history, and the actions that fit it."""
    return QueueItem(
        source=source,
        key=f"{source}:{target.kind}:{target.id}",
        since=since,
        target=target,
        reports=list(reports),
        history=history(db, target.author_id) if target.author_id else None,
        actions=actions_for(target),
    )


class ReportSource:
    """Open reports, one item per reported thing, waiting since its oldest report."""

    name = "reports"

    def count(self, db: Session) -> int:
        things = (
            select(Report.target_kind, Report.target_id)
            .where(col(Report.resolved_at).is_(None))
            .distinct()
            .subquery()
        )
        return int(db.exec(select(func.count()).select_from(things)).one())

    def items(self, db: Session, limit: int) -> list[QueueItem]:
        reports = db.exec(
            select(Report)
            .where(col(Report.resolved_at).is_(None))
            .order_by(col(Report.created_at), col(Report.id))
            .limit(SCAN)
        ).all()
        grouped: dict[tuple[str, int], list[Report]] = {}
        for report in reports:
            grouped.setdefault((report.target_kind, report.target_id), []).append(report)
        out: list[QueueItem] = []
        for (kind, target_id), group in grouped.items():
            if len(out) == limit:
                break
            target = load_target(db, kind, target_id)
            if target is None:  # deleted since (a provider removed with its cards)
                continue
            out.append(target_item(db, self.name, target, group[0].created_at, group))
        return out


class AppealSource:
    """Appeals waiting for a decision, each with the decision it contests."""

    name = "appeals"

    def count(self, db: Session) -> int:
        waiting = select(func.count()).select_from(Appeal).where(col(Appeal.resolved_at).is_(None))
        return int(db.exec(waiting).one())

    def items(self, db: Session, limit: int) -> list[QueueItem]:
        out = []
        for appeal, decision in open_appeals(db, limit):
            target = load_target(db, decision.target_kind, decision.target_id)
            if target is None:
                continue
            out.append(
                QueueItem(
                    source=self.name,
                    key=f"{self.name}:{stored_id(appeal)}",
                    since=appeal.created_at,
                    target=target,
                    appeal=appeal,
                    decision=decision,
                    history=history(db, decision.user_id),
                )
            )
        return out


register_source(ReportSource())
register_source(AppealSource())


def waiting(db: Session, limit: int = 50) -> tuple[list[QueueItem], int]:
    """The oldest ``limit`` items of all sources, and how many wait in all. Each source
    builds at most ``limit`` (with their context, a few queries each), whatever the
    backlog."""
    items = [item for source in SOURCES.values() for item in source.items(db, limit)]
    items.sort(key=lambda item: (item.since, item.key))
    return items[:limit], sum(source.count(db) for source in SOURCES.values())
