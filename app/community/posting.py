"""The rules of taking part, the same for the pages, the portal and the API.

A post is plain text (shown escaped wherever it appears: markup stays text), trimmed,
never empty, within its length limit, screened (:mod:`.screening`) and rate limited per
account. Bad input raises :class:`PostProblem` with the message to show and changes
nothing. Votes say the state the person wants (``wanted``), so sending the same vote
twice changes nothing, and the counts kept on the voted rows move by one at most.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, update
from sqlmodel import Session, SQLModel, col

from app.accounts import throttle
from app.community import screening, updates
from app.community.screening import Outcome, Verdict
from app.community.texts import record_screening
from app.db import dialect_insert, rows_changed
from app.models import (
    Answer,
    AnswerVote,
    Card,
    Organization,
    Provider,
    Question,
    Role,
    Stage,
    Suggestion,
    SuggestionVote,
    User,
    Visibility,
    stored_id,
)

QUESTION_TITLE_MAX = 150
QUESTION_BODY_MAX = 1000
SUGGESTION_TITLE_MAX = 120
SUGGESTION_BODY_MAX = 1000
ANSWER_MAX = 2000
NOTE_MAX = 500
POST_WINDOW = timedelta(minutes=10)  # PLAZA_COMMUNITY_POST_LIMIT posts per account in it
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class PostProblem(Exception):
    """What is wrong with a post or a vote, in words for the person; ``status`` is the
    HTTP status pages and the API answer with."""

    def __init__(self, message: str, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


def clean(raw: str | None, *, field: str, label: str, limit: int, required: bool = True) -> str:
    """The text as it is stored: normalised, trimmed, without control characters."""
    text = unicodedata.normalize("NFC", (raw or "").replace("\r\n", "\n"))
    text = _CONTROL.sub("", text).strip()
    if required and not text:
        raise PostProblem(f"Write your {label} first: it cannot be empty.", field=field)
    if len(text) > limit:
        raise PostProblem(
            f"Your {label} is {len(text):,} characters long; keep it to {limit:,}.", field=field
        )
    return text


def _shopper(user: User) -> None:
    if user.role == Role.RETAILER:
        raise PostProblem(
            "Questions, ideas and votes come from shoppers; partners answer them from the portal.",
            403,
        )


def _take_turn(db: Session, user: User, now: datetime) -> None:
    key = throttle.user_key(throttle.COMMUNITY_POSTS, stored_id(user))
    limit = int(current_app.config["COMMUNITY_POST_LIMIT"])
    if not throttle.within_limits(db, [(key, limit)], POST_WINDOW, now):
        minutes = int(POST_WINDOW.total_seconds() // 60)
        raise PostProblem(
            f"You have posted {limit} times in {minutes} minutes; "
            "wait a few minutes and try again.",
            429,
        )


def _screened(
    db: Session, user: User | None, item: Any, now: datetime, *texts: str, turn: bool = True
) -> Verdict:
    """Screen ``item`` before it is stored, and take the author's turn (``turn``: a
    shopper's post counts against their limit, a partner's answer does not).

    A refused text is still on the record: its automatic audit entry, and the turn it
    took, are committed here, since the caller rolls the refused post back; then
    :class:`PostProblem` says why. Nothing else of the request is written by then
    (screening comes before every write), so nothing else is committed with them."""
    verdict = screening.screen(db, texts, author_id=user.id if user else None)
    if turn and user is not None:
        _take_turn(db, user, now)
    if verdict.outcome == Outcome.REFUSE:
        record_screening(db, item, verdict, now)
        db.commit()
        raise PostProblem(verdict.message or screening.REFUSAL)
    screening.apply(item, verdict)
    return verdict


def _store(db: Session, item: Any, verdict: Verdict, now: datetime) -> None:
    """Store a screened item, and screening's decision on it with it."""
    db.add(item)
    db.flush()
    record_screening(db, item, verdict, now)


# --- Questions and answers -----------------------------------------------------------------


def organization_of(db: Session, card: Card) -> Organization:
    provider = db.get(Provider, card.provider_id)
    organization = db.get(Organization, provider.organization_id) if provider else None
    if organization is None:
        raise PostProblem("This card belongs to no organisation to ask.", 404)
    return organization


def ask(
    db: Session, user: User, about: Card | Organization, title: str, body: str, now: datetime
) -> Question:
    """A question to an organisation (the caller commits): about one of its cards, or,
    given the organisation itself, a general one ("Do you ship to Canada?") shown on its
    questions page. Both are screened, limited and held alike."""
    _shopper(user)
    title = clean(title, field="title", label="question", limit=QUESTION_TITLE_MAX)
    body = clean(body, field="body", label="details", limit=QUESTION_BODY_MAX, required=False)
    card = about if isinstance(about, Card) else None
    organization = organization_of(db, card) if card is not None else about
    question = Question(
        organization_id=stored_id(organization),
        card_id=card.id if card is not None else None,
        user_id=user.id,
        title=title,
        body=body,
        created_at=now,
    )
    verdict = _screened(db, user, question, now, title, body)
    _store(db, question, verdict, now)
    return question


def answers_for(user: User, question: Question) -> bool:
    """Whether ``user`` answers ``question`` for its organisation; a retailer of another
    organisation may not answer it at all."""
    if user.role != Role.RETAILER:
        return False
    if user.organization_id != question.organization_id:
        raise PostProblem("Only the organisation a question is addressed to answers it.", 403)
    return True


def answer(
    db: Session,
    user: User | None,
    question: Question,
    body: str,
    now: datetime,
    *,
    for_organization: bool | None = None,
) -> Answer:
    """An answer under ``question`` (the caller commits). A member of the question's
    organisation answers for it; ``for_organization`` says so for staff in the portal.
    Without a ``user`` the organisation itself answers (an API token: the API's own
    rate limit applies, not a person's)."""
    if user is None:
        partner = True
    else:
        partner = answers_for(user, question) if for_organization is None else for_organization
    if question.status == Visibility.REMOVED:
        raise PostProblem("This question was removed; it can no longer be answered.", 409)
    if question.status == Visibility.HELD:
        raise PostProblem("This question is waiting for review; answer it once it is shown.", 409)
    body = clean(body, field="body", label="answer", limit=ANSWER_MAX)
    reply = Answer(
        question_id=stored_id(question),
        user_id=user.id if user else None,
        body=body,
        created_at=now,
        organization_id=question.organization_id if partner else None,
    )
    # An organisation works through its backlog: its answers take no turns.
    verdict = _screened(db, user, reply, now, body, turn=not partner)
    _store(db, reply, verdict, now)
    updates.answer_changed(db, reply, now, newly_shown=True)
    return reply


def set_helpful(db: Session, user: User, reply: Answer, wanted: bool, now: datetime) -> bool:
    """Mark an answer helpful or not for ``user``; whether it is now marked."""
    _shopper(user)
    if reply.status != Visibility.VISIBLE:
        raise PostProblem("This answer is not shown any more.", 409)
    if reply.user_id == user.id:
        raise PostProblem("You cannot mark your own answer helpful.", 403)
    _set_vote(
        db,
        AnswerVote,
        {"answer_id": reply.id, "user_id": user.id},
        Answer,
        "helpful_count",
        stored_id(reply),
        wanted,
        now,
    )
    db.refresh(reply)
    return wanted


# --- Suggestions ----------------------------------------------------------------------------


def suggest(
    db: Session,
    user: User,
    organization: Organization,
    title: str,
    body: str,
    card: Card | None,
    now: datetime,
) -> Suggestion:
    """An idea for ``organization``, about one of its cards when given; its author's vote
    counts from the start (the caller commits)."""
    _shopper(user)
    title = clean(title, field="title", label="idea", limit=SUGGESTION_TITLE_MAX)
    body = clean(body, field="body", label="details", limit=SUGGESTION_BODY_MAX, required=False)
    if card is not None and organization_of(db, card).id != organization.id:
        card = None  # context from elsewhere is dropped, not trusted
    idea = Suggestion(
        organization_id=stored_id(organization),
        user_id=user.id,
        title=title,
        body=body,
        card_id=card.id if card else None,
        created_at=now,
    )
    verdict = _screened(db, user, idea, now, title, body)
    _store(db, idea, verdict, now)
    set_vote(db, user, idea, True, now)
    return idea


def set_vote(db: Session, user: User, idea: Suggestion, wanted: bool, now: datetime) -> bool:
    """Vote for an idea or take the vote back; whether ``user``'s vote now counts."""
    _shopper(user)
    if idea.status == Visibility.REMOVED:
        raise PostProblem("This idea was removed; it takes no votes.", 409)
    _set_vote(
        db,
        SuggestionVote,
        {"suggestion_id": idea.id, "user_id": user.id},
        Suggestion,
        "vote_count",
        stored_id(idea),
        wanted,
        now,
    )
    db.refresh(idea)
    return wanted


def _set_vote(
    db: Session,
    vote: type[SQLModel],
    key: dict[str, Any],
    target: type[SQLModel],
    counter: str,
    target_id: int,
    wanted: bool,
    now: datetime,
) -> None:
    """Insert or delete one vote row and move the target's counter by what changed, so
    a repeated vote (a double tap, two tabs) leaves the count where it was."""
    table: Any = vote.__table__  # type: ignore[attr-defined]
    if wanted:
        statement = dialect_insert(db)(table).values(**key, created_at=now)
        # RETURNING says whether a row went in (a rowcount is -1 here on PostgreSQL).
        inserted = statement.on_conflict_do_nothing().returning(table.c.user_id)
        changed = int(db.execute(inserted).first() is not None)
        step = 1
    else:
        conditions = [getattr(table.c, name) == value for name, value in key.items()]
        changed = rows_changed(db.execute(delete(table).where(*conditions)))
        step = -1
    if changed:
        count = getattr(target, counter)
        db.execute(
            update(target)
            .where(col(target.id) == target_id)  # type: ignore[attr-defined]
            .values({counter: count + step})
        )


STAGES = tuple(Stage)


def set_stage(
    db: Session,
    actor_id: int | None,
    organization: Organization,
    idea: Suggestion,
    stage: str,
    note: str,
    now: datetime,
    *,
    available_card_id: int | None = None,
    available_provider_id: int | None = None,
) -> bool:
    """The organisation says where an idea stands; the author and voters are told of a
    new status. Returns whether the status changed (the caller commits)."""
    if idea.organization_id != organization.id:
        raise PostProblem("Only the organisation an idea is addressed to sets its status.", 403)
    if idea.status == Visibility.REMOVED:
        raise PostProblem("This idea was removed; its status cannot change.", 409)
    try:
        chosen = Stage(stage)
    except ValueError:
        raise PostProblem(
            "Choose a status: new, under review, planned, available or declined.", field="stage"
        ) from None
    note = clean(note, field="note", label="note", limit=NOTE_MAX, required=False)
    if note:
        verdict = screening.screen(db, [note], author_id=None)
        if verdict.outcome in (Outcome.REFUSE, Outcome.HOLD):
            raise PostProblem(verdict.message or screening.REFUSAL, field="note")
    card_id = provider_id = None
    if chosen == Stage.AVAILABLE:
        card_id, provider_id = _where_available(
            db, organization, available_card_id, available_provider_id
        )
    changed = idea.stage != chosen
    idea.stage = chosen
    idea.stage_note = note
    idea.available_card_id, idea.available_provider_id = card_id, provider_id
    if changed:
        idea.stage_changed_at = now
    db.add(idea)
    db.flush()
    if changed:
        updates.tell_of_stage(db, organization, idea, actor_id, now)
    return changed


def _where_available(
    db: Session, organization: Organization, card_id: int | None, provider_id: int | None
) -> tuple[int | None, int | None]:
    if card_id is not None:
        card = db.get(Card, card_id)
        provider = db.get(Provider, card.provider_id) if card else None
        if provider is None or provider.organization_id != organization.id:
            raise PostProblem(f"{organization.name} has no card {card_id}.", field="card")
        return card_id, provider.id
    if provider_id is not None:
        provider = db.get(Provider, provider_id)
        if provider is None or provider.organization_id != organization.id:
            raise PostProblem(f"{organization.name} has no such provider.", field="provider")
        return None, provider_id
    return None, None
