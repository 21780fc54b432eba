"""The shopper's side of the community: a card's questions, an organisation's ideas.

``/cards/<id>/questions`` is a card's thread (the card, an "Ask" form, its questions
with the organisation's answer pinned); ``/o/<org>/suggestions`` the organisation's
board of ideas. Every form works without JavaScript (post, then back to the page);
with htmx, a post swaps only what changed: the new question or idea, an answer's
thread, a vote button. A refused text comes back in its form with the message (422);
other refusals (not allowed, removed, too many posts) are a message of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import Session, select

from app import db
from app.community import partner_views, posting, threads
from app.community.posting import PostProblem
from app.community.updates import STAGE_LABELS, question_path
from app.models import Answer, Card, Organization, Question, Suggestion, User, Visibility
from app.shopper.display import card_or_404, card_views
from app.web.converters import add_id_converter, parse_id
from app.web.htmx import is_htmx, render_page_or_fragment

bp = Blueprint("community", __name__)
bp.record_once(add_id_converter)


@bp.before_request
@login_required
def _signed_in() -> None:
    """Every page here is for signed-in people (the route matrix checks it)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _me() -> User:
    user: User = current_user._get_current_object()
    return user


def _refuse(problem: PostProblem) -> None:
    abort(problem.status, description=problem.message)


def _back(target: str, message: str) -> ResponseReturnValue:
    flash(message, "info")
    return redirect(target, code=303)


# --- Posting a question or an idea ------------------------------------------------------

Posted = TypeVar("Posted", Question, Suggestion)


@dataclass(frozen=True)
class PostForm:
    """A form that posts a title and details (a question, an idea): the page it is on,
    the form alone (what htmx swaps back with a problem), what htmx swaps in once it is
    posted, and what its author is told then without JavaScript."""

    page: str
    form_alone: str
    posted: str
    held_message: str
    shown_message: str


def _post_form(
    form: PostForm,
    write: Callable[[Session, dict[str, str]], Posted],
    context: Callable[..., dict[str, Any]],
    view: Callable[[Session, Posted, dict[str, Any]], Any],
    anchor: Callable[[Posted], str],
) -> ResponseReturnValue:
    """Post what the form sent with ``write``: a text refused is the form again with its
    problem (422, the page or, for htmx, the form alone, from ``context``); other
    refusals are an error page. Posted, htmx gets ``form.posted`` with its ``view``, and
    a browser without JavaScript goes back to the page at ``anchor``, with a message."""
    session = db.session()
    values = {"title": request.form.get("title", ""), "body": request.form.get("body", "")}
    try:
        item = write(session, values)
    except PostProblem as problem:
        session.rollback()
        if problem.status != 422:
            _refuse(problem)
        template = form.form_alone if is_htmx() else form.page
        return render_template(template, **context(values=values, error=problem)), 422
    session.commit()
    if not is_htmx():
        held = item.status == Visibility.HELD
        return _back(anchor(item), form.held_message if held else form.shown_message)
    shown = context()
    return render_template(form.posted, new=view(session, item, shown), **shown)


# --- A card's questions ------------------------------------------------------------------


def _thread_context(card: Card, **extra: Any) -> dict[str, Any]:
    session = db.session()
    organization = posting.organization_of(session, card)
    (view,) = card_views(session, [(card, None)], current_user.id)
    return {
        "card": card,
        "view": view,
        "organization": organization,
        "questions": threads.thread(session, card.id or 0, current_user.id, organization),
        "values": {"title": "", "body": ""},
        "error": None,
        "limits": posting,
        **extra,
    }


@bp.get("/cards/<id:card_id>/questions")
def card_questions(card_id: int) -> ResponseReturnValue:
    card = card_or_404(card_id)
    return render_page_or_fragment(
        "community/thread.html", "community/_questions.html", **_thread_context(card)
    )


ASK = PostForm(
    page="community/thread.html",
    form_alone="community/_ask.html",
    posted="community/_asked.html",
    held_message="Your question is waiting for review; others will see it once staff approve it.",
    shown_message="Your question is posted; you will hear when it is answered.",
)


@bp.post("/cards/<id:card_id>/questions")
def ask(card_id: int) -> ResponseReturnValue:
    card = card_or_404(card_id)
    return _ask(
        ASK,
        card,
        url_for(".card_questions", card_id=card_id),
        lambda **extra: _thread_context(card, **extra),
    )


ASK_ORGANIZATION = replace(ASK, page="community/org_questions.html")


@bp.post("/o/<slug>/questions")
def ask_organization(slug: str) -> ResponseReturnValue:
    """A general question from the organisation's questions page (read by anyone at
    :func:`app.community.partner_views.questions`; asking needs an account)."""
    organization = partner_views.organization_or_404(slug)
    return _ask(
        ASK_ORGANIZATION,
        organization,
        url_for("partners.questions", slug=slug),
        lambda **extra: partner_views.questions_context(organization, **extra),
    )


def _ask(
    form: PostForm,
    about: Card | Organization,
    page_url: str,
    context: Callable[..., dict[str, Any]],
) -> ResponseReturnValue:
    """Ask about a card or an organisation, from the page at ``page_url``."""
    return _post_form(
        form,
        lambda session, values: posting.ask(
            session, _me(), about, values["title"], values["body"], _now()
        ),
        context,
        lambda session, question, shown: threads.question_views(
            session, [question], current_user.id, shown["organization"]
        )[0],
        lambda question: f"{page_url}#question-{question.id}",
    )


def _question_or_404(question_id: int) -> Question:
    question = db.session().get(Question, question_id)
    if question is None or (question.status == Visibility.REMOVED and not _is_author(question)):
        abort(404, description="This question does not exist or was removed.")
    return question


def _is_author(item: Question | Answer | Suggestion) -> bool:
    return item.user_id is not None and item.user_id == current_user.id


def _thread_url(question: Question) -> str:
    """The page showing ``question``: its card's thread or its organisation's questions."""
    return question_path(db.session(), question)


def _render_question(question: Question, **extra: Any) -> str:
    session = db.session()
    organization = session.get(Organization, question.organization_id)
    assert organization is not None  # questions go with their organisation
    (view,) = threads.question_views(session, [question], current_user.id, organization)
    return render_template(
        "community/_question.html", q=view, organization=organization, limits=posting, **extra
    )


@bp.post("/questions/<id:question_id>/answers")
def answer(question_id: int) -> ResponseReturnValue:
    question = _question_or_404(question_id)
    session = db.session()
    body = request.form.get("body", "")
    try:
        reply = posting.answer(session, _me(), question, body, _now())
    except PostProblem as problem:
        session.rollback()
        if problem.status != 422:
            _refuse(problem)
        if not is_htmx():
            flash(problem.message, "error")
            return redirect(_thread_url(question).split("#")[0], code=303)
        return _render_question(question, error=problem, answer_value=body), 422
    session.commit()
    if not is_htmx():
        message = (
            "Your answer is waiting for review."
            if reply.status == Visibility.HELD
            else "Your answer is posted."
        )
        return _back(_thread_url(question), message)
    return _render_question(question)


@bp.post("/answers/<id:answer_id>/helpful")
def helpful(answer_id: int) -> ResponseReturnValue:
    session = db.session()
    reply = session.get(Answer, answer_id)
    if reply is None or reply.status == Visibility.REMOVED:
        abort(404, description="This answer does not exist or was removed.")
    wanted = request.form.get("helpful") == "1"
    try:
        posting.set_helpful(session, _me(), reply, wanted, _now())
    except PostProblem as problem:
        session.rollback()
        _refuse(problem)
    session.commit()
    if not is_htmx():
        question = session.get(Question, reply.question_id)
        target = _thread_url(question).split("#")[0] if question else url_for("feed.home")
        return redirect(f"{target}#answer-{reply.id}", code=303)
    return render_template(
        "community/_helpful.html", a=threads.AnswerView(reply, "", wanted, False)
    )


# --- An organisation's ideas --------------------------------------------------------------


@bp.get("/cards/<id:card_id>/suggest")
def suggest_from_card(card_id: int) -> ResponseReturnValue:
    """The card menu's "Suggest an idea": the organisation's board, about this card."""
    card = card_or_404(card_id)
    organization = posting.organization_of(db.session(), card)
    return redirect(url_for(".board", slug=organization.slug, card=card.id) + "#suggest")


def _organization_or_404(slug: str) -> Organization:
    found = db.session().exec(select(Organization).where(Organization.slug == slug)).first()
    if found is None:
        abort(404, description="There is no such organisation on Plaza.")
    return found


def _context_card(organization: Organization, raw: str | None) -> Card | None:
    """The card an idea is about (``?card=``), when it is one of the organisation's."""
    card_id = parse_id(raw or "")
    if card_id is None:
        return None
    card = db.session().get(Card, card_id)
    if card is None or card.removed_at is not None:
        return None
    if posting.organization_of(db.session(), card).id != organization.id:
        return None
    return card


def _board_context(organization: Organization, **extra: Any) -> dict[str, Any]:
    sort = request.args.get("sort", "votes")
    sort = sort if sort in threads.SORTS else "votes"
    return {
        "organization": organization,
        "ideas": threads.board(db.session(), organization.id or 0, current_user.id, sort),
        "sort": sort,
        "stages": STAGE_LABELS,
        "values": {"title": "", "body": ""},
        "context_card": _context_card(organization, request.args.get("card")),
        "error": None,
        "limits": posting,
        **extra,
    }


@bp.get("/o/<slug>/suggestions")
def board(slug: str) -> ResponseReturnValue:
    organization = _organization_or_404(slug)
    return render_page_or_fragment(
        "community/board.html", "community/_ideas.html", **_board_context(organization)
    )


SUGGEST = PostForm(
    page="community/board.html",
    form_alone="community/_suggest.html",
    posted="community/_suggested.html",
    held_message="Your idea is waiting for review; others will see it once staff approve it.",
    shown_message="Your idea is posted, with your vote.",
)


@bp.post("/o/<slug>/suggestions")
def suggest(slug: str) -> ResponseReturnValue:
    organization = _organization_or_404(slug)
    card = _context_card(organization, request.form.get("card"))
    return _post_form(
        SUGGEST,
        lambda session, values: posting.suggest(
            session, _me(), organization, values["title"], values["body"], card, _now()
        ),
        # The form shown again keeps the card the idea is about (a fresh one says none).
        lambda **extra: _board_context(organization, context_card=card, **extra),
        lambda session, idea, _: threads.suggestion_views(session, [idea], current_user.id)[0],
        lambda idea: url_for(".board", slug=slug, sort="new") + f"#suggestion-{idea.id}",
    )


@bp.post("/suggestions/<id:suggestion_id>/vote")
def vote(suggestion_id: int) -> ResponseReturnValue:
    session = db.session()
    idea = session.get(Suggestion, suggestion_id)
    if idea is None or idea.status == Visibility.REMOVED:
        abort(404, description="This idea does not exist or was removed.")
    wanted = request.form.get("vote") == "1"
    try:
        posting.set_vote(session, _me(), idea, wanted, _now())
    except PostProblem as problem:
        session.rollback()
        _refuse(problem)
    session.commit()
    if not is_htmx():
        organization = session.get(Organization, idea.organization_id)
        assert organization is not None
        return redirect(
            url_for(".board", slug=organization.slug) + f"#suggestion-{idea.id}", code=303
        )
    return render_template(
        "community/_vote.html", s=threads.SuggestionView(idea, "", wanted, False)
    )
