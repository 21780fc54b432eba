"""``/api/v1``: the partner API. Every view sees only the calling token's organisation.

Validation and changes go through the same functions as the portal and the
CLI (:mod:`app.partners.providers`, :mod:`app.partners.changes`, :mod:`app.partners.preview`,
:mod:`app.partners.stats`, :mod:`app.partners.surveys`); this module only
translates between HTTP and them. Objects of another organisation answer 404,
exactly like objects that do not exist.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, current_app, json, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ValidationError
from sqlmodel import col, select
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.routing import RequestRedirect

from app import db
from app.api.guard import check_request, organization
from app.api.openapi import PREFIX, openapi_document
from app.api.pagination import paginate
from app.api.problems import (
    ApiProblem,
    from_http_error,
    problem_response,
    validation_problem,
)
from app.api.schemas import (
    AnswerCreate,
    AnswerOut,
    CardOut,
    CardPage,
    CardTotals,
    ChoiceOut,
    CommunityQuestionOut,
    CommunityQuestionPage,
    CountsOut,
    DayOut,
    KindList,
    KindOut,
    PreviewCard,
    PreviewOut,
    PreviewRequest,
    ProviderCreate,
    ProviderOut,
    ProviderPage,
    ProviderPatch,
    ProviderTotals,
    QuestionOut,
    StatsOut,
    SuggestionOut,
    SuggestionPage,
    SuggestionPatch,
    SurveyResultsOut,
    TextOut,
)
from app.community import posting as community_posting
from app.community.posting import PostProblem
from app.ingest.sources import fetch_policy
from app.models import Answer, Card, CardInterest, Provider, Question, Suggestion, Visibility
from app.partners.changes import (
    ProviderConflict,
    delete_provider,
    pause_provider,
    queue_refresh,
    resume_provider,
    update_provider,
)
from app.partners.preview import run_preview
from app.partners.providers import (
    ProviderProblems,
    check_settings,
    create_provider,
    describe,
    kind_or_problem,
    partner_kinds,
)
from app.partners.stats import RangeProblems, daily, parse_range, per_card, per_provider, total
from app.partners.surveys import asks_questions, survey_results
from app.taxonomy_store import taxonomy
from app.web.converters import add_id_converter, parse_id
from app.web.current import current_app_object
from cards.registry import UnknownKind, get_kind

bp = Blueprint("api", __name__, url_prefix=PREFIX)
bp.record_once(add_id_converter)
bp.before_request(check_request)

Body = TypeVar("Body", bound=BaseModel)
Result = TypeVar("Result")
JSON_TYPES = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
NOT_FOUND = "Your organisation has no such provider."


# --- plumbing ---------------------------------------------------------------------------


@bp.errorhandler(ApiProblem)
def _problem(problem: ApiProblem) -> ResponseReturnValue:
    return problem_response(problem)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> ResponseReturnValue:
    return from_http_error(error)


@bp.errorhandler(InternalServerError)
def _server_error(error: InternalServerError) -> ResponseReturnValue:
    return from_http_error(error)


@bp.before_app_request
def _routing_problem() -> Response | None:
    """An unknown path or method under the API is a problem too, not an HTML page."""
    failure = request.routing_exception
    if request.path.startswith(PREFIX) and isinstance(failure, HTTPException):
        if isinstance(failure, RequestRedirect):
            return None
        return from_http_error(failure)
    return None


def _reply(model: BaseModel, status: int = 200, **headers: str) -> ResponseReturnValue:
    body = json.dumps(model.model_dump(mode="json", by_alias=True))
    response = Response(body, status=status, mimetype="application/json")
    response.headers.update(headers)
    return response


def _body(model: type[Body]) -> Body:
    """The JSON request body, validated by ``model``."""
    if not JSON_TYPES.match(request.mimetype or ""):
        raise ApiProblem(415, "Send the body as JSON with 'Content-Type: application/json'.")
    try:
        data = request.get_json()
    except BadRequest:
        raise ApiProblem(400, "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "The request body must be a JSON object.")
    try:
        return model.model_validate(data, strict=True)  # JSON types, as documented
    except ValidationError as error:
        raise validation_problem(error) from None


def _invalid(problems: Iterable[tuple[str, str]]) -> ApiProblem:
    return ApiProblem(422, "The provider is not valid; see errors.", problems)


def _json_type_problems(kind_name: str, config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Type problems of a JSON config, judged strictly.

    The API takes the types its OpenAPI document shows: "15" is no integer here and
    1700000000 no date, although the portal's forms, whose values are all strings,
    rely on pydantic's leniency. Every other rule is left to :mod:`app.partners.providers`.
    """
    try:
        model = get_kind(kind_name).config_model
    except UnknownKind:
        return []  # reported by app.partners.providers
    try:
        model.model_validate_json(json.dumps(config), strict=True)
    except ValidationError as error:
        return [
            ("config" + "".join(f".{part}" for part in item["loc"]), item["msg"])
            for item in error.errors()
            if item["type"].endswith("_type")
        ]
    return []


def _validated(type_problems: list[tuple[str, str]], change: Callable[[], Result]) -> Result:
    """Run a validating change; if it or the type check found anything, report it all
    in one answer and leave the database as it was."""
    problems = list(type_problems)
    refused = False
    try:
        result = change()
    except ProviderProblems as found:
        refused = True
        typed = {name for name, _ in type_problems}
        problems += [p for p in found.problems if p[0] not in typed]
    if problems or refused:
        db.session().rollback()
        raise _invalid(problems)
    return result


def _provider(provider_id: int) -> Provider:
    provider = db.session().get(Provider, provider_id)
    if provider is None or provider.organization_id != organization().id:
        raise ApiProblem(404, NOT_FOUND)
    return provider


def _provider_out(provider: Provider) -> ProviderOut:
    return ProviderOut.model_validate(describe(provider, organization()))


# --- kinds and providers --------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    return Response(json.dumps(openapi_document()), mimetype="application/json")


@bp.get("/kinds")
def kinds() -> ResponseReturnValue:
    items = [
        KindOut(
            name=kind.name,
            label=kind.label or kind.name,
            description=kind.description,
            card_label=kind.card_label,
            fetches_remote=kind.fetches_remote,
            default_interval_seconds=int(kind.default_interval.total_seconds()),
            min_interval_seconds=int(kind.min_interval.total_seconds()),
            config_schema=kind.config_model.model_json_schema(),
        )
        for kind in partner_kinds()
    ]
    return _reply(KindList(items=items))


@bp.get("/providers")
def list_providers() -> ResponseReturnValue:
    query = select(Provider).where(Provider.organization_id == organization().id)
    rows, cursor = paginate(db.session(), query, Provider.id)
    return _reply(ProviderPage(items=[_provider_out(p) for p in rows], next_cursor=cursor))


@bp.post("/providers")
def create() -> ResponseReturnValue:
    body = _body(ProviderCreate)
    session = db.session()
    provider = _validated(
        _json_type_problems(body.kind, body.config),
        lambda: create_provider(
            session,
            organization(),
            body.kind,
            body.config,
            taxonomy=taxonomy(),
            policy=fetch_policy(current_app),
            interests=body.interests,
            name=body.name,
            interval_seconds=body.interval_seconds,
        ),
    )
    session.commit()
    location = url_for("api.get_provider", provider_id=provider.id)
    return _reply(_provider_out(provider), 201, Location=location)


@bp.get("/providers/<id:provider_id>")
def get_provider(provider_id: int) -> ResponseReturnValue:
    return _reply(_provider_out(_provider(provider_id)))


@bp.patch("/providers/<id:provider_id>")
def patch_provider(provider_id: int) -> ResponseReturnValue:
    provider = _provider(provider_id)
    body = _body(ProviderPatch)
    given = body.model_fields_set
    session = db.session()
    now = datetime.now(UTC)
    if given & {"name", "config", "interests", "interval_seconds"}:
        merged = {**provider.config, **(body.config or {})}
        config = {k: v for k, v in merged.items() if v is not None}
        _validated(
            _json_type_problems(provider.kind, config),
            lambda: update_provider(
                session,
                provider,
                config,
                taxonomy=taxonomy(),
                policy=fetch_policy(current_app),
                interests=body.interests if "interests" in given else provider.interests,
                name=body.name if "name" in given else provider.name,
                interval_seconds=(
                    body.interval_seconds
                    if "interval_seconds" in given
                    else provider.interval_seconds
                ),
                now=now,
            ),
        )
    try:
        if body.status == "paused":
            pause_provider(provider)
        elif body.status == "active":
            resume_provider(provider, now, by_staff=False)
    except ProviderConflict as conflict:
        session.rollback()
        raise ApiProblem(409, str(conflict)) from None
    session.add(provider)
    session.commit()
    return _reply(_provider_out(provider))


@bp.delete("/providers/<id:provider_id>")
def remove_provider(provider_id: int) -> ResponseReturnValue:
    session = db.session()
    delete_provider(session, _provider(provider_id))
    session.commit()
    return Response(status=204)


@bp.post("/providers/<id:provider_id>/refresh")
def refresh(provider_id: int) -> ResponseReturnValue:
    provider = _provider(provider_id)
    session = db.session()
    try:
        queue_refresh(provider, datetime.now(UTC))
    except ProviderConflict as conflict:
        session.rollback()
        raise ApiProblem(409, str(conflict)) from None
    session.add(provider)
    session.commit()
    return _reply(_provider_out(provider), 202)


@bp.post("/providers/preview")
def preview() -> ResponseReturnValue:
    body = _body(PreviewRequest)
    try:
        kind = kind_or_problem(body.kind)
    except ProviderProblems as refused:
        raise _invalid(refused.problems) from None
    config, problems = check_settings(
        kind,
        body.config,
        body.interests,
        body.name,
        body.interval_seconds,
        taxonomy=taxonomy(),
        policy=fetch_policy(current_app),
    )
    typed = _json_type_problems(kind.name, body.config)
    problems = typed + [p for p in problems if p[0] not in {name for name, _ in typed}]
    if problems or config is None:
        raise _invalid(problems)
    result = run_preview(
        current_app_object(),
        organization(),
        kind,
        config,
        datetime.now(UTC),
        interests=body.interests,
    )
    cards = [PreviewCard.model_validate(card, from_attributes=True) for card in result.cards]
    return _reply(
        PreviewOut(ok=result.ok, error=result.error, card_count=result.total, cards=cards)
    )


@bp.get("/providers/<id:provider_id>/cards")
def cards(provider_id: int) -> ResponseReturnValue:
    provider = _provider(provider_id)
    session = db.session()
    rows, cursor = paginate(session, select(Card).where(Card.provider_id == provider.id), Card.id)
    slugs: dict[int, list[str]] = defaultdict(list)
    for card_id, slug in session.exec(
        select(CardInterest.card_id, CardInterest.slug)
        .where(col(CardInterest.card_id).in_([c.id for c in rows]))
        .order_by(col(CardInterest.slug))
    ):
        slugs[card_id].append(slug)
    items = [
        CardOut.model_validate({**card.model_dump(), "interests": slugs[card.id or 0]})
        for card in rows
    ]
    return _reply(CardPage(items=items, next_cursor=cursor))


# --- results ------------------------------------------------------------------------------


@bp.get("/stats")
def stats() -> ResponseReturnValue:
    try:
        period = parse_range(
            request.args.get("from"), request.args.get("to"), datetime.now(UTC).date()
        )
    except RangeProblems as problems:
        raise ApiProblem(400, "Bad query.", problems.problems) from None
    session = db.session()
    raw = request.args.get("provider")
    if raw is None:
        providers = list(
            session.exec(
                select(Provider)
                .where(Provider.organization_id == organization().id)
                .order_by(col(Provider.id))
            )
        )
    elif (provider_id := parse_id(raw)) is not None:
        providers = [_provider(provider_id)]
    else:
        raise ApiProblem(400, "Bad query.", [("provider", "Give a provider id.")])
    ids = [p.id for p in providers if p.id is not None]
    days = daily(session, ids, period)
    totals = per_provider(session, ids, period)
    chosen = ids[0] if raw is not None else None
    return _reply(
        StatsOut(
            start=period.start,
            end=period.end,
            provider=chosen,
            totals=CountsOut(**total(days).as_dict()),
            days=[DayOut(date=d.day, **d.as_dict()) for d in days],
            providers=[
                ProviderTotals(provider_id=p.id, name=p.name, **totals[p.id].as_dict())
                for p in providers
                if p.id is not None
            ],
            cards=[
                CardTotals(card_id=c.card_id, title=c.title, **c.as_dict())
                for c in (per_card(session, chosen, period) if chosen else [])
            ],
        )
    )


@bp.get("/surveys/<id:survey_id>/results")
def survey(survey_id: int) -> ResponseReturnValue:
    provider = _provider(survey_id)
    if not asks_questions(provider):
        raise ApiProblem(404, "Your organisation has no such survey.")
    questions = [
        QuestionOut(
            card_id=q.card_id,
            question_id=q.question_id,
            prompt=q.prompt,
            type=q.type,
            answers=q.answers,
            choices=[
                ChoiceOut(id=c.id, label=c.label, count=c.count, share=round(c.share, 4))
                for c in q.choices
            ],
            texts=[TextOut(text=t.text, answered_at=t.answered_at) for t in q.texts],
        )
        for q in survey_results(db.session(), provider)
    ]
    return _reply(
        SurveyResultsOut(survey_id=provider.id or 0, name=provider.name, questions=questions)
    )


# --- the community ------------------------------------------------------------------------


def _community_problem(problem: PostProblem) -> ApiProblem:
    if problem.status == 422:
        return ApiProblem(422, "The text is not valid; see errors.",
                          [(problem.field or "body", problem.message)])  # fmt: skip
    return ApiProblem(problem.status, problem.message)


def _question_out(question: Question, answers: list[Answer]) -> CommunityQuestionOut:
    ordered = sorted(answers, key=lambda a: (a.organization_id is None, a.created_at, a.id or 0))
    return CommunityQuestionOut(
        id=question.id or 0,
        card_id=question.card_id,
        title=question.title,
        body=question.body,
        created_at=question.created_at,
        answered_at=question.answered_at,
        answers=[_answer_out(a) for a in ordered],
    )


def _answer_out(reply: Answer) -> AnswerOut:
    return AnswerOut(
        id=reply.id or 0,
        body=reply.body,
        from_organization=reply.organization_id is not None,
        helpful=reply.helpful_count,
        created_at=reply.created_at,
    )


def _suggestion_out(idea: Suggestion) -> SuggestionOut:
    return SuggestionOut(
        id=idea.id or 0,
        card_id=idea.card_id,
        title=idea.title,
        body=idea.body,
        votes=idea.vote_count,
        status=idea.stage,
        note=idea.stage_note,
        available_card_id=idea.available_card_id,
        available_provider_id=idea.available_provider_id,
        created_at=idea.created_at,
        status_changed_at=idea.stage_changed_at,
    )


def _community_row(model: type[Question] | type[Suggestion], row_id: int, what: str) -> Any:
    row = cast("Question | Suggestion | None", db.session().get(model, row_id))
    if row is None or row.organization_id != organization().id or row.status != Visibility.VISIBLE:
        raise ApiProblem(404, f"Your organisation has no such {what}.")
    return row


@bp.get("/questions")
def list_questions() -> ResponseReturnValue:
    raw_open = request.args.get("open")
    if raw_open not in (None, "true", "false"):
        raise ApiProblem(400, "Bad query.", [("open", "Give true or false.")])
    query = select(Question).where(
        Question.organization_id == organization().id, Question.status == Visibility.VISIBLE
    )
    if raw_open == "true":
        query = query.where(col(Question.answered_at).is_(None))
    session = db.session()
    rows, cursor = paginate(session, query, Question.id)
    answers: dict[int, list[Answer]] = defaultdict(list)
    for reply in session.exec(
        select(Answer).where(
            col(Answer.question_id).in_([q.id for q in rows]),
            Answer.status == Visibility.VISIBLE,
        )
    ):
        answers[reply.question_id].append(reply)
    items = [_question_out(q, answers[q.id or 0]) for q in rows]
    return _reply(CommunityQuestionPage(items=items, next_cursor=cursor))


@bp.post("/questions/<id:question_id>/answers")
def answer_question(question_id: int) -> ResponseReturnValue:
    question = _community_row(Question, question_id, "question")  # before the body: 404 first
    body = _body(AnswerCreate)
    session = db.session()
    try:
        reply = community_posting.answer(session, None, question, body.body, datetime.now(UTC))
    except PostProblem as problem:
        session.rollback()
        raise _community_problem(problem) from None
    session.commit()
    return _reply(_answer_out(reply), 201)


@bp.get("/suggestions")
def list_suggestions() -> ResponseReturnValue:
    query = select(Suggestion).where(
        Suggestion.organization_id == organization().id, Suggestion.status == Visibility.VISIBLE
    )
    rows, cursor = paginate(db.session(), query, Suggestion.id)
    return _reply(SuggestionPage(items=[_suggestion_out(s) for s in rows], next_cursor=cursor))


@bp.patch("/suggestions/<id:suggestion_id>")
def set_suggestion_status(suggestion_id: int) -> ResponseReturnValue:
    idea = _community_row(Suggestion, suggestion_id, "suggestion")
    body = _body(SuggestionPatch)
    session = db.session()
    try:
        community_posting.set_stage(
            session,
            None,
            organization(),
            idea,
            body.status,
            body.note,
            datetime.now(UTC),
            available_card_id=body.available_card_id,
            available_provider_id=body.available_provider_id,
        )
    except PostProblem as problem:
        session.rollback()
        raise _community_problem(problem) from None
    session.commit()
    return _reply(_suggestion_out(idea))
