"""Telling people what became of what they took part in, through the outbox.

Whoever asked a question, answered it or found an answer helpful hears of each new
answer others can see; whoever suggested an idea or voted for it hears of each new
status. Messages go under "Answers and updates" (in Plaza by default, by email as the
person chose) through :func:`app.notifications.messages.notify_people`, in the
caller's transaction, never straight to a mail server. Nobody is told of their own post.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.models import (
    Answer,
    AnswerVote,
    Organization,
    Question,
    Stage,
    Suggestion,
    SuggestionVote,
    User,
    Visibility,
    answered_update,
    stored_id,
)
from app.notifications.catalog import Category
from app.notifications.messages import notify_people

STAGE_LABELS = {
    Stage.NEW: "New",
    Stage.UNDER_REVIEW: "Under review",
    Stage.PLANNED: "Planned",
    Stage.AVAILABLE: "Available",
    Stage.DECLINED: "Declined",
}
SNIPPET = 80


def snippet(text: str, limit: int = SNIPPET) -> str:
    """The text on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def question_path(db: Session, question: Question) -> str:
    """Where a question is shown: its card's thread, or, for a general question (no
    card), its organisation's questions page."""
    if question.card_id is not None:
        return f"/cards/{question.card_id}/questions#question-{question.id}"
    organization = db.get(Organization, question.organization_id)
    if organization is None:  # the foreign key cascades; kept for the type checker
        return "/notifications"
    return f"/o/{organization.slug}/questions#question-{question.id}"


def suggestion_path(organization: Organization, suggestion: Suggestion) -> str:
    return f"/o/{organization.slug}/suggestions#suggestion-{suggestion.id}"


def refresh_answered(db: Session, question: Question) -> None:
    """The question counts as answered from the organisation's first visible answer."""
    db.execute(answered_update([stored_id(question)]))
    db.expire(question, ["answered_at"])


def question_followers(db: Session, question: Question) -> set[int]:
    """The asker, everyone with a visible answer, and everyone who voted on an answer."""
    people = {question.user_id} if question.user_id is not None else set()
    people.update(
        uid
        for uid in db.exec(
            select(Answer.user_id).where(
                Answer.question_id == question.id, Answer.status == Visibility.VISIBLE
            )
        ).all()
        if uid is not None
    )
    people.update(
        db.exec(
            select(AnswerVote.user_id)
            .join(Answer, col(Answer.id) == AnswerVote.answer_id)
            .where(Answer.question_id == question.id)
        ).all()
    )
    return people


def _active(db: Session, people: set[int]) -> set[int]:
    """Those of ``people`` whose accounts are active (a suspended one hears nothing)."""
    if not people:
        return set()
    found = db.exec(select(User.id).where(col(User.id).in_(people), User.active == True))  # noqa: E712
    return {uid for uid in found if uid is not None}


def answer_changed(db: Session, answer: Answer, now: datetime, *, newly_shown: bool) -> None:
    """After an answer appeared or went: the question's answered time, and the news."""
    question = db.get(Question, answer.question_id)
    if question is None:
        return
    refresh_answered(db, question)
    if newly_shown and answer.status == Visibility.VISIBLE:
        tell_of_answer(db, question, answer, now)


def tell_of_answer(db: Session, question: Question, answer: Answer, now: datetime) -> int:
    """Queue "a new answer" for the question's followers but its author; how many rows."""
    people = _active(db, question_followers(db, question) - {answer.user_id})
    if not people:
        return 0
    organization = db.get(Organization, answer.organization_id) if answer.organization_id else None
    title = f"{organization.name} answered" if organization else "A new answer"
    return notify_people(
        db,
        people,
        f"answer:{answer.id}",
        title,
        f"“{snippet(question.title)}”: {snippet(answer.body)}",
        question_path(db, question),
        now,
        Category.COMMUNITY,
    )


def tell_of_stage(
    db: Session,
    organization: Organization,
    suggestion: Suggestion,
    actor_id: int | None,
    now: datetime,
) -> int:
    """Queue the suggestion's new status for its author and voters; how many rows."""
    people = set(
        db.exec(
            select(SuggestionVote.user_id).where(SuggestionVote.suggestion_id == suggestion.id)
        ).all()
    )
    if suggestion.user_id is not None:
        people.add(suggestion.user_id)
    if actor_id is not None:
        people.discard(actor_id)
    people = _active(db, people)
    if not people:
        return 0
    label = STAGE_LABELS.get(Stage(suggestion.stage), suggestion.stage).lower()
    body = suggestion.stage_note or f"{organization.name} marked it {label}."
    stamp = int(now.timestamp())
    return notify_people(
        db,
        people,
        f"suggestion:{suggestion.id}:{suggestion.stage}:{stamp}",
        f"{organization.name}: “{snippet(suggestion.title)}” is {label}",
        snippet(body),
        suggestion_path(organization, suggestion),
        now,
        Category.COMMUNITY,
    )
