"""The staff console: the queue, its one-tap actions, appeals, the audit log and the
transparency figures. Staff only: anyone else signed in gets a 403, a visitor the login.

Also the door every request passes: a suspended or banned participant's session ends
at its next request (every browser session of theirs was ended), and that request is
told why, an htmx one from an open tab included, instead of a bare "log in".
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import Session, select

from app import db
from app.accounts.sessions import ended_session_account
from app.community.reports import REASON_LABELS, REPORTABLES, ReportProblem
from app.extensions import login_manager
from app.models import Organization, Role, User, stored_id
from app.partners.stats import DateRange, RangeProblems, parse_range
from app.portal.csv_export import csv_response
from app.staff import audit, queue, screened  # noqa: F401 (screening's queue and record)
from app.staff.actions import ACTIONS, act
from app.staff.actions import restore_organization as restore
from app.staff.appeals import decide_appeal
from app.staff.sanctions import in_force, mark_turned_away, refusal
from app.staff.transparency import describe_wait, figures
from app.web.converters import add_id_converter, parse_id
from app.web.htmx import is_htmx, render_page_or_fragment

bp = Blueprint("staff", __name__, url_prefix="/staff")
bp.record_once(add_id_converter)

AUDIT_PAGE_SIZE = 50
AUDIT_HEADER = [
    "time_utc", "actor", "action", "target_kind", "target_id", "snapshot", "reason",
    "reports_resolved",
]  # fmt: skip
# What a turned-away participant may still reach: their decisions and appeals, login.
OPEN_TO_TURNED_AWAY = {
    "static",
    "health.healthz",
    "health.readyz",
    "auth.login",
    "pages.privacy",
    "decisions.index",
    "decisions.appeal",
}


def _now() -> datetime:
    return datetime.now(UTC)


@bp.before_app_request
def turn_away_the_sanctioned() -> ResponseReturnValue | None:
    """The first request of a session whose account was suspended or banned since."""
    if request.endpoint in OPEN_TO_TURNED_AWAY or current_user.is_authenticated:
        return None
    user_id = ended_session_account()
    if user_id is None:
        return None
    now = _now()
    decision = in_force(db.session(), user_id, now)
    if decision is None:
        return None
    cookie_session.pop("_user_id", None)
    mark_turned_away(user_id, now)
    if is_htmx():  # an open tab: the message goes to its toasts
        abort(403, description=refusal(decision))
    return render_template("auth/turned_away.html", message=refusal(decision)), 403


@bp.before_request
def require_staff() -> ResponseReturnValue | None:
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != Role.STAFF:
        abort(403, description="The staff console is for Plaza's staff.")
    return None


def _me(session: Session) -> User:
    user = session.get(User, current_user.id)
    assert user is not None
    return user


def _console(status: int = 200) -> ResponseReturnValue:
    items, waiting = queue.waiting(db.session())
    response = render_page_or_fragment(
        "staff/queue.html",
        "staff/_queue.html",
        items=items,
        waiting=waiting,
        reason_labels=REASON_LABELS,
        now=_now(),
    )
    return response, status


@bp.get("")
def console() -> ResponseReturnValue:
    return _console()


def _done(message: str) -> ResponseReturnValue:
    flash(message, "info")
    if is_htmx():
        return _console()
    return redirect(url_for("staff.console"), code=303)


@bp.post("/<kind>/<id:target_id>/act")
def take_action(kind: str, target_id: int) -> ResponseReturnValue:
    session = db.session()
    if kind not in REPORTABLES:
        abort(404, description="There is nothing of that kind to act on.")
    name = request.form.get("action", "")
    try:
        entry = act(
            session,
            _me(session),
            kind,
            target_id,
            name,
            request.form.get("reason"),
            _now(),
            days=request.form.get("days"),
        )
    except ReportProblem as exc:
        session.rollback()
        abort(exc.status, description=str(exc))
    session.commit()
    resolved = entry.reports_resolved
    tail = f"; {resolved} report{'s' if resolved != 1 else ''} resolved" if resolved else ""
    return _done(f"{ACTIONS[name].label}: done{tail}.")


@bp.post("/organizations/<id:organization_id>/restore")
def restore_organization(organization_id: int) -> ResponseReturnValue:
    """Lift an organisation's suspension, from the notice on its portal pages."""
    session = db.session()
    organization = session.get(Organization, organization_id)
    if organization is None:
        abort(404, description="There is no such organisation.")
    try:
        restore(session, _me(session), organization, request.form.get("reason"), _now())
    except ReportProblem as exc:
        session.rollback()
        abort(exc.status, description=str(exc))
    session.commit()
    flash(f"{organization.name} is restored: its cards show again.", "info")
    return redirect(url_for("portal.dashboard", org=organization.slug), code=303)


@bp.post("/appeals/<id:appeal_id>")
def decide(appeal_id: int) -> ResponseReturnValue:
    session = db.session()
    try:
        appeal = decide_appeal(
            session,
            stored_id(_me(session)),
            appeal_id,
            request.form.get("outcome"),
            request.form.get("reason"),
            _now(),
        )
    except ReportProblem as exc:
        session.rollback()
        abort(exc.status, description=str(exc))
    session.commit()
    return _done(f"The appeal is decided: the decision was {appeal.outcome}.")


# --- The audit log ---------------------------------------------------------------------


def _period(required: bool) -> tuple[DateRange | None, list[str]]:
    """The requested days (or, when ``required``, the last 30 by default), with what was
    wrong with the request."""
    start, end = request.args.get("from") or None, request.args.get("to") or None
    today = _now().date()
    if not required and start is None and end is None:
        return None, []
    try:
        return parse_range(start, end, today), []
    except RangeProblems as problems:
        return (parse_range(None, None, today) if required else None), [
            m for _, m in problems.problems
        ]


def _audit_filter() -> tuple[audit.AuditFilter, DateRange | None, list[str]]:
    period, problems = _period(required=False)
    actor = request.args.get("actor", "")
    what = audit.AuditFilter(
        action=request.args.get("action") or None,
        actor_id=parse_id(actor),
        automatic=actor == "automatic",
        target_kind=request.args.get("kind") or None,
        since=period.since if period else None,
        until=period.until if period else None,
    )
    return what, period, problems


def _actor_names(session: Session, ids: set[int]) -> dict[int, str]:
    names = {}
    for user_id in ids:
        user = session.get(User, user_id)
        names[user_id] = user.email if user else f"deleted account #{user_id}"
    return names


@bp.get("/audit")
def audit_log() -> ResponseReturnValue:
    session = db.session()
    what, period, problems = _audit_filter()
    number = parse_id(request.args.get("page")) or 1
    entries, more = audit.page(session, what, number, AUDIT_PAGE_SIZE)
    staff = session.exec(select(User).where(User.role == Role.STAFF).order_by(User.email)).all()
    names = _actor_names(session, {e.actor_id for e in entries if e.actor_id is not None})
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_page_or_fragment(
        "staff/audit.html",
        "staff/_audit_rows.html",
        entries=entries,
        names=names,
        staff=staff,
        actions=sorted(set(audit.actions_used(session)) | set(ACTIONS)),
        kinds=sorted(REPORTABLES),
        chosen=request.args,
        period=period,
        range_errors=problems,
        number=number,
        more=more,
        args=args,
    )


@bp.get("/audit.csv")
def audit_csv() -> ResponseReturnValue:
    session = db.session()
    what, _, problems = _audit_filter()
    if problems:
        abort(400, description=" ".join(problems))
    entries = list(audit.every(session, what))
    names = _actor_names(session, {e.actor_id for e in entries if e.actor_id is not None})
    rows = (
        [
            e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            "automatic" if e.actor_id is None else names[e.actor_id],
            e.action,
            e.target_kind,
            e.target_id,
            e.snapshot,
            e.reason,
            e.reports_resolved,
        ]
        for e in entries
    )
    return csv_response("plaza-audit.csv", AUDIT_HEADER, rows)


@bp.get("/transparency")
def transparency() -> ResponseReturnValue:
    period, problems = _period(required=True)
    assert period is not None
    found = figures(db.session(), period.since, period.until)
    return render_template(
        "staff/transparency.html",
        figures=found,
        period=period,
        range_errors=problems,
        reason_labels=REASON_LABELS,
        median=describe_wait(found.median_to_decision),
    )
