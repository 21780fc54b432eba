"""Reporting: a small form for any reportable thing, in place with htmx, a page without.

The form is fetched when asked for (the card menu's "Report" link), never part of a
card's cached frame, so the frame stays the same for every shopper.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app import db
from app.community.reports import (
    REASON_LABELS,
    TEXT_MAX,
    ReportProblem,
    file_report,
    reportable,
    target_for_people,
)
from app.web.converters import add_id_converter
from app.web.htmx import is_htmx, render_page_or_fragment

bp = Blueprint("reports", __name__, url_prefix="/report")
bp.record_once(add_id_converter)


def _form(kind: str, target_id: int, status: int = 200, **context: object) -> ResponseReturnValue:
    label = reportable(kind).label
    target = target_for_people(db.session(), kind, target_id, _now())
    if target is None:
        abort(404, description=f"There is no such {label} to report.")
    if target.removed:
        abort(409, description=f"This {label} was already removed.")
    response = render_page_or_fragment(
        "reports/page.html",
        "reports/_form.html",
        kind=kind,
        target=target,
        label=label,
        reasons=REASON_LABELS,
        text_max=TEXT_MAX,
        **context,
    )
    return response, status


@bp.get("/<kind>/<id:target_id>")
@login_required
def form(kind: str, target_id: int) -> ResponseReturnValue:
    try:
        return _form(kind, target_id)
    except ReportProblem as exc:
        abort(exc.status, description=str(exc))


@bp.post("/<kind>/<id:target_id>")
@login_required
def send(kind: str, target_id: int) -> ResponseReturnValue:
    session = db.session()
    reason, text = request.form.get("reason", ""), request.form.get("text", "")
    try:
        file_report(session, int(current_user.id), kind, target_id, reason, text, _now())
    except ReportProblem as exc:
        session.rollback()
        if exc.status != 400:  # already reported, already removed, gone: a clear message
            abort(exc.status, description=str(exc))
        # The form again, with the message and what was typed (nothing is lost); htmx
        # swaps a 422 in place (base.html's responseHandling), other errors go to toasts.
        status = 422 if is_htmx() else 400
        return _form(kind, target_id, status, problem=str(exc), chosen=reason, text=text)
    session.commit()
    if is_htmx():
        return render_template("reports/_thanks.html")
    return render_template("reports/page.html", thanked=True)


def _now() -> datetime:
    return datetime.now(UTC)
