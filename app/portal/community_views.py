"""The organisation's community inbox: questions shoppers asked (unanswered first) and
their ideas (by votes), answered and given a status in place.

Behind the portal's own guard (:func:`app.portal.access.partner_blueprint`): members
of the organisation and staff only; a question or idea of another organisation is a
404, like one that does not exist. An answer written here is the organisation's
(pinned and marked on the card's thread), whoever of its members or staff writes it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import col, select

from app import db
from app.community import posting, threads
from app.community.posting import PostProblem
from app.community.updates import STAGE_LABELS
from app.models import Provider, Question, Suggestion, User, Visibility
from app.portal.access import org, owned_or_404, partner_blueprint
from app.portal.responses import see_other
from app.web.converters import parse_id
from app.web.htmx import is_htmx

bp = partner_blueprint("portal_community", "/portal/<org>/community")


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


def _providers() -> list[Provider]:
    return list(
        db.session().exec(
            select(Provider)
            .where(Provider.organization_id == org().id)
            .order_by(col(Provider.name))
        )
    )


def _shared() -> dict[str, Any]:
    return {"stages": STAGE_LABELS, "providers": _providers(), "limits": posting}


@bp.get("/")
def inbox() -> ResponseReturnValue:
    session = db.session()
    return render_template(
        "portal/community.html",
        inbox=threads.inbox(session, org()),
        counts=threads.counts(session, org().id or 0),
        **_shared(),
    )


def _visible(model: type[Question] | type[Suggestion], row_id: int) -> Any:
    row = owned_or_404(model, row_id)
    if row.status != Visibility.VISIBLE:
        abort(409, description="This was removed or waits for review; it cannot be changed now.")
    return row


@bp.post("/questions/<id:question_id>/answer")
def answer(question_id: int) -> ResponseReturnValue:
    question = owned_or_404(Question, question_id)
    session = db.session()
    body = request.form.get("body", "")
    try:
        posting.answer(session, _me(), question, body, datetime.now(UTC), for_organization=True)
    except PostProblem as problem:
        session.rollback()
        if problem.status != 422:
            abort(problem.status, description=problem.message)
        return _question_fragment(question, error=problem, answer_value=body), 422
    session.commit()
    if not is_htmx():
        flash("Your answer is posted; the shopper is told.", "info")
        return see_other(url_for(".inbox"))
    return _question_fragment(question, done="Answered: the shopper is told.")


def _question_fragment(question: Question, **extra: Any) -> str:
    (view,) = threads.question_views(db.session(), [question], None, org())
    return render_template("portal/_community_question.html", q=view, **_shared(), **extra)


@bp.post("/suggestions/<id:suggestion_id>/status")
def status(suggestion_id: int) -> ResponseReturnValue:
    idea = _visible(Suggestion, suggestion_id)
    session = db.session()
    form = request.form
    try:
        card_id = _optional_id(form.get("available_card"), "card")
        changed = posting.set_stage(
            session,
            current_user.id,
            org(),
            idea,
            form.get("stage", ""),
            form.get("note", ""),
            datetime.now(UTC),
            available_card_id=card_id,
            available_provider_id=_optional_id(form.get("available_provider"), "provider"),
        )
    except PostProblem as problem:
        session.rollback()
        if problem.status != 422:
            abort(problem.status, description=problem.message)
        session.refresh(idea)
        return _idea_fragment(idea, error=problem), 422
    session.commit()
    done = "Status saved; voters are told." if changed else "Note saved."
    if not is_htmx():
        flash(done, "info")
        return see_other(url_for(".inbox"))
    return _idea_fragment(idea, done=done)


def _optional_id(raw: str | None, name: str) -> int | None:
    text = (raw or "").strip()
    if not text:
        return None
    value = parse_id(text)
    if value is None:
        raise PostProblem(f"Give the {name}'s number.", field=name)
    return value


def _idea_fragment(idea: Suggestion, **extra: Any) -> str:
    (view,) = threads.suggestion_views(db.session(), [idea], None)
    return render_template("portal/_community_idea.html", s=view, **_shared(), **extra)
