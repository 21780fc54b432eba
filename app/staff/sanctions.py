"""Sanctions on participants: what is in force, what a sanctioned person is told, and the
participant as a reportable thing.

A suspension or a ban is a :class:`~app.models.Decision` row; it is in force while not
reversed (an appeal) and, for a suspension, until its end. Imposing one also ends every
browser session of the account (:func:`app.accounts.sessions.end_sessions`), so each
ends at its next request; :func:`in_force` is what login and those requests then check.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import session as cookie_session
from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.accounts.sessions import refuse_login_when
from app.community.reports import ReportProblem, Target, participant_snapshot, register
from app.models import Decision, DecisionAction, User, stored_id

RESTRICTING = (DecisionAction.SUSPEND, DecisionAction.BAN)


def in_force(db: Session, user_id: int, now: datetime) -> Decision | None:
    """The suspension or ban that keeps the account out now (a ban first), if any."""
    rows = db.exec(
        select(Decision).where(
            Decision.user_id == user_id,
            col(Decision.action).in_(RESTRICTING),
            col(Decision.reversed_at).is_(None),
            or_(col(Decision.ends_at).is_(None), col(Decision.ends_at) > now),
        )
    ).all()
    if not rows:
        return None
    return max(rows, key=lambda d: (d.ends_at is None, d.ends_at or d.created_at))


def is_banned(db: Session, user_id: int) -> bool:
    """Whether a ban (which has no end) is in force: no clock needed."""
    return (
        db.exec(
            select(Decision.id).where(
                Decision.user_id == user_id,
                Decision.action == DecisionAction.BAN,
                col(Decision.reversed_at).is_(None),
            )
        ).first()
        is not None
    )


def refusal(decision: Decision) -> str:
    """What a suspended or banned person is told when Plaza turns them away."""
    if decision.action == DecisionAction.BAN or decision.ends_at is None:
        head = "Your account is banned from Plaza"
    else:
        head = f"Your account is suspended until {decision.ends_at:%d %b %Y, %H:%M} UTC"
    return f"{head}. Reason: {decision.reason} You can appeal on the decisions page."


class ParticipantReportable:
    """A participant (an account); a ban is what "removed" means for a person."""

    kind = "user"
    label = "participant"

    def load(self, db: Session, target_id: int) -> Target | None:
        user = db.get(User, target_id)
        if user is None:
            return None
        banned = is_banned(db, target_id)
        name = user.display_name or participant_snapshot(target_id)
        return Target(
            kind=self.kind,
            id=target_id,
            title=name,
            text="",
            where=f"a {user.role} account",
            url=None,
            removed=banned,
            author_id=target_id,
            snapshot=participant_snapshot(target_id),  # the log keeps no personal data
        )

    def visible(self, db: Session, target_id: int, now: datetime) -> bool:
        return db.get(User, target_id) is not None

    def remove(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None:
        raise ReportProblem("A participant is warned, suspended or banned, not removed.")

    def restore(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None:
        raise ReportProblem("Lift a participant's ban by reversing it on appeal.")


register(ParticipantReportable())


# --- Turned away ---------------------------------------------------------------------
# A suspended or banned person has no session, yet may read the decisions about them
# and appeal: the (signed) session cookie remembers, for a while, which account was
# turned away at login or at its next request.

TURNED_AWAY = "turned_away"
TURNED_AWAY_FOR = timedelta(minutes=30)


def mark_turned_away(user_id: int, now: datetime) -> None:
    cookie_session[TURNED_AWAY] = {"id": user_id, "since": now.timestamp()}


def turned_away_id(now: datetime) -> int | None:
    """The account this browser was turned away for, while that is recent."""
    mark = cookie_session.get(TURNED_AWAY)
    if not isinstance(mark, dict):
        return None
    since = mark.get("since")
    if not isinstance(since, int | float) or now.timestamp() - since > (
        TURNED_AWAY_FOR.total_seconds()
    ):
        return None
    user_id = mark.get("id")
    return user_id if isinstance(user_id, int) else None


@refuse_login_when
def refuse_sanctioned(db: Session, user: User, now: datetime) -> str | None:
    """Login's check: a suspended or banned account is told why, and may appeal."""
    decision = in_force(db, stored_id(user), now)
    if decision is None:
        return None
    mark_turned_away(stored_id(user), now)
    return refusal(decision)
