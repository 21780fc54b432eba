"""Screening's side of the console: the community texts it held or flagged wait in the
queue for staff to approve or reject, and what it decided by itself is in the audit log
as automatic actions."""

from __future__ import annotations

from dataclasses import asdict

from sqlmodel import Session

from app.community.reports import load_target
from app.community.screening import count_waiting, held_and_flagged
from app.community.texts import ScreeningDecision, kind_of, record_screening_with
from app.staff import audit
from app.staff.queue import QueueItem, register_source, target_item


class ScreeningSource:
    """Held texts, and flagged ones staff have not looked at, oldest first: each with
    the rule or the classifier's score that stopped it, and its author's history."""

    name = "screening"

    def count(self, db: Session) -> int:
        return count_waiting(db)

    def items(self, db: Session, limit: int) -> list[QueueItem]:
        out = []
        for text in held_and_flagged(db, limit):
            kind = kind_of(text).kind
            target = load_target(db, kind, text.id or 0)
            if target is None:
                continue
            out.append(target_item(db, self.name, target, text.created_at))
        return out


register_source(ScreeningSource())


@record_screening_with
def put_on_record(db: Session, decision: ScreeningDecision) -> None:
    """Screening's decision as an automatic entry of the audit log."""
    audit.record(db, actor_id=audit.AUTOMATIC, **asdict(decision))
