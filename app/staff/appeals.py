"""Appeals: a participant asks staff to look again at a decision about them, once, within
:func:`~app.staff.actions.appeal_window` of it; staff uphold or reverse it, with a
reason, on the record.

Reversing lifts a suspension or ban at once and restores what was removed; the person is
told either way, through the notification outbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.community.reports import load_target, participant_snapshot, reportable
from app.db import rows_changed
from app.models import Appeal, AppealOutcome, Decision, DecisionAction, stored_id
from app.notifications.messages import notify_account
from app.staff import audit
from app.staff.actions import DECISIONS_PATH, ActionProblem, appeal_window, clean_reason

TEXT_MAX = 1000


@dataclass(frozen=True)
class DecisionView:
    """One decision as its participant sees it on their decisions page."""

    decision: Decision
    appeal: Appeal | None
    appeal_until: datetime

    def can_appeal(self, now: datetime) -> bool:
        return self.appeal is None and now < self.appeal_until


def decisions_of(db: Session, user_id: int) -> list[DecisionView]:
    decisions = db.exec(
        select(Decision)
        .where(Decision.user_id == user_id)
        .order_by(col(Decision.created_at).desc(), col(Decision.id).desc())
    ).all()
    appeals = {
        a.decision_id: a
        for a in db.exec(
            select(Appeal).where(col(Appeal.decision_id).in_([d.id for d in decisions]))
        ).all()
    }
    window = appeal_window()
    return [DecisionView(d, appeals.get(stored_id(d)), d.created_at + window) for d in decisions]


def file_appeal(
    db: Session, user_id: int, decision_id: int, raw_text: str | None, now: datetime
) -> Appeal:
    """Take the participant's appeal (the caller commits); raises ActionProblem."""
    decision = db.get(Decision, decision_id)
    if decision is None or decision.user_id != user_id:
        raise ActionProblem("There is no such decision about you.", 404)
    text = (raw_text or "").strip()
    if not text:
        raise ActionProblem("Say why the decision should change.")
    if len(text) > TEXT_MAX:
        raise ActionProblem(f"Keep your appeal to {TEXT_MAX} characters (this is {len(text)}).")
    if db.exec(select(Appeal.id).where(Appeal.decision_id == decision_id)).first():
        raise ActionProblem("You already appealed this decision; each is appealed once.", 409)
    window = appeal_window()
    if now >= decision.created_at + window:
        raise ActionProblem(f"The {window.days} days to appeal this decision have passed.", 409)
    appeal = Appeal(decision_id=decision_id, text=text, created_at=now)
    db.add(appeal)
    db.flush()
    return appeal


def open_appeals(db: Session, limit: int) -> Sequence[tuple[Appeal, Decision]]:
    rows = db.exec(
        select(Appeal, Decision)
        .join(Decision, col(Decision.id) == Appeal.decision_id)
        .where(col(Appeal.resolved_at).is_(None))
        .order_by(col(Appeal.created_at))
        .limit(limit)
    ).all()
    return [(a, d) for a, d in rows]


def decide_appeal(
    db: Session,
    staff_id: int,
    appeal_id: int,
    outcome_name: str | None,
    reason_text: str | None,
    now: datetime,
) -> Appeal:
    """Uphold or reverse (the caller commits); raises ActionProblem and changes nothing."""
    try:
        outcome = AppealOutcome(outcome_name or "")
    except ValueError:
        raise ActionProblem("Choose to uphold or to reverse the decision.") from None
    reason = clean_reason(reason_text)
    appeal = db.get(Appeal, appeal_id)
    if appeal is None:
        raise ActionProblem("There is no such appeal.", 404)
    # A conditional UPDATE: of two staff deciding at once, the second finds it decided.
    claimed = db.exec(
        update(Appeal)
        .where(col(Appeal.id) == appeal_id, col(Appeal.resolved_at).is_(None))
        .values(resolved_at=now, outcome=outcome, resolved_by_id=staff_id)
    )
    if not rows_changed(claimed):
        raise ActionProblem("This appeal was already decided.", 409)
    db.refresh(appeal)
    decision = db.get(Decision, appeal.decision_id)
    assert decision is not None  # the foreign key cascades
    if outcome == AppealOutcome.REVERSED:
        decision.reversed_at = now
        db.add(decision)
        if decision.action == DecisionAction.REMOVE:
            target = load_target(db, decision.target_kind, decision.target_id)
            if target is not None and target.removed:
                reportable(decision.target_kind).restore(
                    db, decision.target_id, now, reason=f"Reversed on appeal: {reason}"
                )
    entry = audit.record(
        db,
        actor_id=staff_id,
        action=f"appeal_{outcome}",
        target_kind=decision.target_kind,
        target_id=decision.target_id,
        snapshot=f"{decision.action} of {participant_snapshot(decision.user_id)}",
        reason=reason,
        now=now,
    )
    verdict = "reversed" if outcome == AppealOutcome.REVERSED else "upheld"
    notify_account(
        db,
        decision.user_id,
        f"moderation:{stored_id(entry)}",
        f"Your appeal: the decision was {verdict}",
        f"Reason: {reason}",
        DECISIONS_PATH,
        now,
    )
    return appeal
