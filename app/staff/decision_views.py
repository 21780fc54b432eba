"""A participant's own page of the decisions about them, where each may be appealed once.

A suspended or banned person has no session; the browser they were turned away in
(:func:`app.staff.sanctions.turned_away_id`) may still read this page and appeal.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import db
from app.community.reports import ReportProblem
from app.extensions import login_manager
from app.staff.actions import ACTIONS, appeal_window
from app.staff.appeals import TEXT_MAX, decisions_of, file_appeal
from app.staff.sanctions import in_force, refusal, turned_away_id
from app.web.converters import add_id_converter

bp = Blueprint("decisions", __name__, url_prefix="/decisions")
bp.record_once(add_id_converter)


def _participant(now: datetime) -> int | None:
    if current_user.is_authenticated:
        return int(current_user.id)
    return turned_away_id(now)


@bp.get("")
def index() -> ResponseReturnValue:
    now = datetime.now(UTC)
    user_id = _participant(now)
    if user_id is None:
        return login_manager.unauthorized()
    session = db.session()
    standing = in_force(session, user_id, now)
    return render_template(
        "staff/decisions.html",
        views=decisions_of(session, user_id),
        standing=refusal(standing) if standing else None,
        actions=ACTIONS,
        now=now,
        window_days=appeal_window().days,
        text_max=TEXT_MAX,
    )


@bp.post("/<id:decision_id>/appeal")
def appeal(decision_id: int) -> ResponseReturnValue:
    now = datetime.now(UTC)
    user_id = _participant(now)
    if user_id is None:
        return login_manager.unauthorized()
    session = db.session()
    try:
        file_appeal(session, user_id, decision_id, request.form.get("text"), now)
    except ReportProblem as exc:
        session.rollback()
        abort(exc.status, description=str(exc))
    session.commit()
    flash("Your appeal is sent. Plaza's staff will decide and tell you.", "info")
    return redirect(url_for("decisions.index"), code=303)
