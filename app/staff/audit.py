"""The audit log: every staff and automatic moderation action, as it was at that moment.

Append-only: this module only ever inserts, and the database refuses every UPDATE and
DELETE of ``audit_entry`` (triggers made by migration 0012, on SQLite and PostgreSQL).

Deleting an account leaves the log alone, and may: an entry names people by account id
only (``actor_id``, ``target_id``), and the snapshot of a participant is
``participant #<id>`` (:func:`app.community.reports.participant_snapshot`), never their
name or address, nor the words of a community text (whose author may delete it). Once
the account is gone the id leads nowhere, so what was done stays on record while who it
was done to does not. Snapshots of other things (a card's title) are partners' content,
not personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func
from sqlmodel import Session, col, select

from app.models import AuditEntry, stored_id

SNAPSHOT_MAX = 500
AUTOMATIC = None  # the actor of what Plaza did by itself (screening, expiry)


def record(
    db: Session,
    *,
    actor_id: int | None,
    action: str,
    target_kind: str,
    target_id: int,
    snapshot: str,
    reason: str,
    now: datetime,
    reports_resolved: int = 0,
) -> AuditEntry:
    """Append one entry (the caller commits, with the action it records)."""
    entry = AuditEntry(
        created_at=now,
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        snapshot=" ".join(snapshot.split())[:SNAPSHOT_MAX],
        reason=reason[:SNAPSHOT_MAX],
        reports_resolved=reports_resolved,
    )
    db.add(entry)
    db.flush()
    return entry


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page narrows the log to; every part optional."""

    action: str | None = None
    actor_id: int | None = None
    automatic: bool = False  # only what Plaza did by itself
    target_kind: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[ColumnElement[bool]]:
        clauses: list[ColumnElement[bool]] = []
        if self.action:
            clauses.append(col(AuditEntry.action) == self.action)
        if self.automatic:
            clauses.append(col(AuditEntry.actor_id).is_(None))
        elif self.actor_id is not None:
            clauses.append(col(AuditEntry.actor_id) == self.actor_id)
        if self.target_kind:
            clauses.append(col(AuditEntry.target_kind) == self.target_kind)
        if self.since is not None:
            clauses.append(col(AuditEntry.created_at) >= self.since)
        if self.until is not None:
            clauses.append(col(AuditEntry.created_at) < self.until)
        return clauses


def page(db: Session, what: AuditFilter, number: int, size: int) -> tuple[list[AuditEntry], bool]:
    """Page ``number`` (from 1) of the matching entries, newest first, and whether more
    follow."""
    rows = db.exec(
        select(AuditEntry)
        .where(*what.where())
        .order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc())
        .offset((number - 1) * size)
        .limit(size + 1)
    ).all()
    return list(rows[:size]), len(rows) > size


def every(db: Session, what: AuditFilter, chunk: int = 1000) -> Iterator[AuditEntry]:
    """All matching entries, oldest first, read a chunk at a time (the CSV export)."""
    after = 0
    while True:
        rows = db.exec(
            select(AuditEntry)
            .where(*what.where(), col(AuditEntry.id) > after)
            .order_by(col(AuditEntry.id))
            .limit(chunk)
        ).all()
        yield from rows
        if len(rows) < chunk:
            return
        after = stored_id(rows[-1])


def actions_used(db: Session) -> list[str]:
    """The actions the log holds, for the filter's choices."""
    return list(db.exec(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all())


def count(db: Session) -> int:
    return int(db.exec(select(func.count()).select_from(AuditEntry)).one())
