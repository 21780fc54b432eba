"""What staff do from the console, each with a reason: one function, :func:`act`.

Every action checks that it still applies (nothing is done twice: a second tap on a
handled item is refused, and changes nothing), resolves the open reports about the
thing, appends exactly one entry to the audit log, and tells whoever it concerns,
through the notification outbox (their preferences decide in-app and email). The
caller commits, so the change, its reports, its audit entry and its message are
stored together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update
from sqlmodel import Session, col, select

from app.accounts.sessions import end_sessions
from app.community.reports import (
    ReportProblem,
    Target,
    load_target,
    reportable,
    resolve_reports,
)
from app.db import rows_changed
from app.models import (
    AuditEntry,
    Decision,
    DecisionAction,
    Organization,
    Provider,
    ProviderStatus,
    Resolution,
    Role,
    User,
    stored_id,
)
from app.notifications.messages import notify_account
from app.staff import audit
from app.staff.sanctions import in_force, is_banned

REASON_MAX = 500
MAX_SUSPENSION_DAYS = 365
DECISIONS_PATH = "/decisions"


def appeal_window() -> timedelta:
    """How long after a decision its participant may appeal it (PLAZA_APPEAL_WINDOW_DAYS)."""
    return timedelta(days=int(current_app.config["APPEAL_WINDOW_DAYS"]))


class ActionProblem(ReportProblem):
    """The action cannot be taken; the message says why, ``status`` is the HTTP one."""


@dataclass(frozen=True)
class Action:
    name: str
    label: str  # the button
    done: str  # how the affected person is told: "removed", "suspended"...
    for_participant: bool = False  # acts on the participant (the thing or its author)
    for_partner: bool = False  # acts on the card's provider or organisation


ACTIONS = {
    a.name: a
    for a in (
        Action("dismiss", "Dismiss reports", "dismissed"),
        Action("remove", "Remove", "removed"),
        Action("restore", "Restore", "restored"),
        # A text screening held or flagged: shown (a flag cleared), or removed.
        Action("approve", "Approve", "approved"),
        Action("reject", "Reject", "rejected"),
        Action("warn", "Warn", "warned", for_participant=True),
        Action("suspend", "Suspend", "suspended", for_participant=True),
        Action("ban", "Ban", "banned", for_participant=True),
        Action("suspend_provider", "Suspend provider", "suspended", for_partner=True),
        Action("suspend_organization", "Suspend organisation", "suspended", for_partner=True),
    )
}


def clean_reason(raw: str | None) -> str:
    reason = " ".join((raw or "").split())
    if not reason:
        raise ActionProblem("Give a reason: the person concerned is told it.")
    if len(reason) > REASON_MAX:
        raise ActionProblem(f"Keep the reason to {REASON_MAX} characters.")
    return reason


def actions_for(target: Target) -> list[Action]:
    """The actions that make sense for the thing now (the console's buttons)."""
    if target.screened is not None:  # approving dismisses its reports, rejecting acts on them
        out = [ACTIONS["approve"], ACTIONS["reject"]]
    else:
        out = [ACTIONS["dismiss"]]
        if target.kind != "user":
            out.append(ACTIONS["restore" if target.removed else "remove"])
    if target.author_id is not None:
        out += [ACTIONS["warn"], ACTIONS["suspend"]]
        if not (target.kind == "user" and target.removed):
            out.append(ACTIONS["ban"])
    if target.provider_id is not None:
        out += [ACTIONS["suspend_provider"], ACTIONS["suspend_organization"]]
    return out


def act(
    db: Session,
    staff: User,
    kind: str,
    target_id: int,
    action_name: str,
    reason_text: str | None,
    now: datetime,
    days: str | None = None,
) -> AuditEntry:
    """Take the action (the caller commits); raises ActionProblem and changes nothing."""
    action = ACTIONS.get(action_name)
    if action is None:
        raise ActionProblem("There is no such action.")
    reason = clean_reason(reason_text)
    target = load_target(db, kind, target_id)
    if target is None:
        raise ActionProblem("There is no such item: it may have been deleted.", 404)
    staff_id = stored_id(staff)
    outcome = Resolution.ACTIONED
    match action.name:
        case "dismiss":
            outcome = Resolution.DISMISSED
        case "remove" | "restore":
            if kind == "user":
                raise ActionProblem("A participant is warned, suspended or banned instead.")
            if target.removed == (action.name == "remove"):
                state = "already removed" if target.removed else "not removed"
                raise ActionProblem(f"This {reportable(kind).label} is {state}.", 409)
            getattr(reportable(kind), action.name)(db, target_id, now, reason=reason)
            if action.name == "remove" and target.author_id is not None:
                _decide(db, target.author_id, DecisionAction.REMOVE, target, reason, staff_id, now)
        case "approve" | "reject":
            if target.screened is None:
                label = reportable(kind).label
                raise ActionProblem(f"This {label} is not waiting for review any more.", 409)
            approve = action.name == "approve"
            thing = reportable(kind)
            (thing.restore if approve else thing.remove)(db, target_id, now, reason=reason)
            if approve:
                outcome = Resolution.DISMISSED
            elif target.author_id is not None:
                _decide(db, target.author_id, DecisionAction.REMOVE, target, reason, staff_id, now)
        case "warn" | "suspend" | "ban":
            _sanction(db, target, action.name, reason, staff_id, now, days)
        case "suspend_provider" | "suspend_organization":
            _suspend_partner(db, target, action.name, now)
    resolved = resolve_reports(db, kind, target_id, outcome, staff_id, now)
    if action.name == "dismiss" and resolved == 0:
        raise ActionProblem("These reports were already handled.", 409)
    entry = audit.record(
        db,
        actor_id=staff_id,
        action=action.name,
        target_kind=kind,
        target_id=target_id,
        snapshot=target.record,
        reason=reason,
        now=now,
        reports_resolved=resolved,
    )
    _tell(db, action, target, reason, stored_id(entry), now)
    return entry


def _sanction(
    db: Session,
    target: Target,
    name: str,
    reason: str,
    staff_id: int,
    now: datetime,
    days: str | None,
) -> None:
    user_id = target.author_id
    person = db.get(User, user_id) if user_id is not None else None
    if person is None:
        raise ActionProblem("No participant wrote this; there is no one to sanction.")
    if person.role == Role.STAFF:
        raise ActionProblem("Staff accounts are not sanctioned from the console.", 403)
    ends_at = None
    if name == "suspend":
        ends_at = now + timedelta(days=_days(days))
    if name == "ban" and is_banned(db, stored_id(person)):
        raise ActionProblem("This participant is already banned.", 409)
    current = in_force(db, stored_id(person), now) if name == "suspend" else None
    if current is not None and (current.ends_at is None or current.ends_at >= (ends_at or now)):
        raise ActionProblem("This participant is already suspended at least that long.", 409)
    _decide(db, stored_id(person), name, target, reason, staff_id, now, ends_at)
    if name in ("suspend", "ban"):
        end_sessions(db, stored_id(person), keep=None)  # each ends at its next request


def _decide(
    db: Session,
    user_id: int,
    action: str,
    target: Target,
    reason: str,
    staff_id: int,
    now: datetime,
    ends_at: datetime | None = None,
) -> None:
    """A decision about a participant: what they are told, and may appeal."""
    db.add(
        Decision(
            user_id=user_id,
            action=action,
            target_kind=target.kind,
            target_id=target.id,
            reason=reason,
            created_at=now,
            ends_at=ends_at,
            staff_id=staff_id,
        )
    )


def _days(raw: str | None) -> int:
    try:
        days = int((raw or "").strip())
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_SUSPENSION_DAYS:
        raise ActionProblem(f"Suspend for 1 to {MAX_SUSPENSION_DAYS} days.")
    return days


def _suspend_partner(db: Session, target: Target, name: str, now: datetime) -> None:
    if target.provider_id is None:
        raise ActionProblem("This has no provider or organisation to suspend.")
    if name == "suspend_organization":
        # The organisation itself is suspended, so the providers it registers later are
        # too; each provider keeps its own state for when staff restore it.
        if not _set_suspended(db, target.organization_id, now):
            raise ActionProblem("This organisation is already suspended.", 409)
        return
    provider = db.get(Provider, target.provider_id)
    if provider is None or provider.status == ProviderStatus.SUSPENDED:
        raise ActionProblem("This provider is already suspended.", 409)
    provider.status = ProviderStatus.SUSPENDED
    provider.next_run_at = None  # the worker leaves it alone; feeds drop its cards
    db.add(provider)


def _set_suspended(db: Session, organization_id: int | None, now: datetime | None) -> bool:
    """Suspend (``now``) or restore (None) the organisation, if it is not so already:
    one conditional UPDATE, so of two staff acting at once the second changes nothing."""
    was = col(Organization.suspended_at)
    changed = db.execute(
        update(Organization)
        .where(
            col(Organization.id) == organization_id,
            was.is_(None) if now is not None else was.is_not(None),
        )
        .values(suspended_at=now)
    )
    return rows_changed(changed) == 1


def restore_organization(
    db: Session, staff: User, organization: Organization, reason_text: str | None, now: datetime
) -> AuditEntry:
    """Lift an organisation's suspension (the caller commits): its providers' cards show
    again and its members publish again; logged, and its members are told. Raises
    ActionProblem and changes nothing when it is not suspended."""
    reason = clean_reason(reason_text)
    organization_id = stored_id(organization)
    if not _set_suspended(db, organization_id, None):
        raise ActionProblem("This organisation is not suspended.", 409)
    entry = audit.record(
        db,
        actor_id=stored_id(staff),
        action="restore_organization",
        target_kind="organization",
        target_id=organization_id,
        snapshot=organization.name,
        reason=reason,
        now=now,
    )
    _tell_members(db, organization_id, f"moderation:{stored_id(entry)}",
                  "Your organisation was restored by Plaza's staff", reason, now)  # fmt: skip
    return entry


def _tell(
    db: Session, action: Action, target: Target, reason: str, entry_id: int, now: datetime
) -> None:
    """The affected person learns what was done and why: the participant for their own
    content and account, the organisation's members for their cards and providers."""
    if action.name == "dismiss":
        return
    key = f"moderation:{entry_id}"
    if action.for_participant or (target.author_id is not None and not action.for_partner):
        if target.author_id is None:
            return
        what = "Your account was" if target.kind == "user" else f"Your {target.called} was"
        appealable = action.name not in ("restore", "approve")
        notify_account(
            db,
            target.author_id,
            key,
            f"{what} {action.done} by Plaza's staff",
            f"Reason: {reason}"
            + (f" You can appeal within {appeal_window().days} days." if appealable else ""),
            DECISIONS_PATH if appealable or target.url is None else target.url,
            now,
        )
        return
    if target.organization_id is None:
        return
    subject = {
        "suspend_provider": "Your provider was suspended",
        "suspend_organization": "Your organisation was suspended",
    }.get(action.name, f"Your {target.called} was {action.done}")
    _tell_members(db, target.organization_id, key, f"{subject} by Plaza's staff", reason, now)


def _tell_members(
    db: Session, organization_id: int, key: str, title: str, reason: str, now: datetime
) -> None:
    members = db.exec(
        select(User.id).where(User.organization_id == organization_id, col(User.active).is_(True))
    ).all()
    for member_id in members:
        assert member_id is not None
        notify_account(db, member_id, key, title, f"Reason: {reason}", "/portal/", now)
