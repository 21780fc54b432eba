"""One person's part of the community (:mod:`app.community`), for their data export and
their account's deletion.

On deletion, votes go and the counts they were part of drop with them, so boards and
threads stay right; what the person wrote (questions, answers, ideas) is removed, or
stays without anything that ties it to them, as they chose on the confirmation page.
Removing a question removes its thread; removing an organisation's answer makes its
question unanswered again if no other answer of the organisation is left.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.models import (
    Answer,
    AnswerVote,
    Card,
    Organization,
    Provider,
    Question,
    Suggestion,
    SuggestionVote,
    answered_update,
)
from cards.community import CommunityKind, post_key, without_posts


def exported(db: Session, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Everything the person wrote and voted for, with where it was."""
    orgs = dict(db.exec(select(Organization.id, Organization.name)).all())

    def state(item: Question | Answer | Suggestion) -> dict[str, Any]:
        return {"status": item.status, "created_at": item.created_at}

    return {
        "questions": [
            {"id": q.id, "to": orgs.get(q.organization_id), "card_id": q.card_id,
             "title": q.title, "body": q.body, **state(q)}
            for q in db.exec(select(Question).where(Question.user_id == user_id)
                             .order_by(col(Question.id)))
        ],
        "answers": [
            {"id": a.id, "question_id": a.question_id, "body": a.body,
             "for_organisation": orgs.get(a.organization_id) if a.organization_id else None,
             **state(a)}
            for a in db.exec(select(Answer).where(Answer.user_id == user_id)
                             .order_by(col(Answer.id)))
        ],
        "suggestions": [
            {"id": s.id, "to": orgs.get(s.organization_id), "card_id": s.card_id,
             "title": s.title, "body": s.body, "votes": s.vote_count, "stage": s.stage,
             **state(s)}
            for s in db.exec(select(Suggestion).where(Suggestion.user_id == user_id)
                             .order_by(col(Suggestion.id)))
        ],
        "votes": [
            {"helpful_answer_id": answer_id, "at": at}
            for answer_id, at in db.exec(
                select(AnswerVote.answer_id, AnswerVote.created_at)
                .where(AnswerVote.user_id == user_id).order_by(col(AnswerVote.answer_id)))
        ] + [
            {"suggestion_id": suggestion_id, "at": at}
            for suggestion_id, at in db.exec(
                select(SuggestionVote.suggestion_id, SuggestionVote.created_at)
                .where(SuggestionVote.user_id == user_id)
                .order_by(col(SuggestionVote.suggestion_id)))
        ],
    }  # fmt: skip


def forget(db: Session, user_id: int, *, keep_writing: bool) -> None:
    """Take the person out of the community before their account goes (no commit)."""
    for answer_id in db.exec(select(AnswerVote.answer_id).where(AnswerVote.user_id == user_id)):
        db.execute(
            update(Answer)
            .where(col(Answer.id) == answer_id)
            .values(helpful_count=col(Answer.helpful_count) - 1)
        )
    db.execute(delete(AnswerVote).where(col(AnswerVote.user_id) == user_id))
    for idea_id in db.exec(
        select(SuggestionVote.suggestion_id).where(SuggestionVote.user_id == user_id)
    ):
        db.execute(
            update(Suggestion)
            .where(col(Suggestion.id) == idea_id)
            .values(vote_count=col(Suggestion.vote_count) - 1)
        )
    db.execute(delete(SuggestionVote).where(col(SuggestionVote.user_id) == user_id))
    models = (Question, Answer, Suggestion)
    if keep_writing:
        for model in models:
            db.execute(update(model).where(col(model.user_id) == user_id).values(user_id=None))
        return
    answered = set(
        db.exec(
            select(Answer.question_id).where(
                Answer.user_id == user_id, col(Answer.organization_id).is_not(None)
            )
        ).all()
    )
    _erase_cards(db, user_id, answered)
    for model in models:
        db.execute(delete(model).where(col(model.user_id) == user_id))
    if answered:
        db.execute(answered_update(sorted(answered)))


def _erase_cards(db: Session, user_id: int, answered: set[int]) -> None:
    """Delete the feed's cards made of the person's texts (:mod:`app.community.feed_posts`),
    and the texts from the community providers' settings: their questions and ideas, and
    the questions they answered for their organisation."""
    questions = set(db.exec(select(Question.id).where(Question.user_id == user_id)).all())
    ideas = db.exec(select(Suggestion.id).where(Suggestion.user_id == user_id)).all()
    keys = [post_key("question", q) for q in questions | answered if q is not None]
    keys += [post_key("idea", idea) for idea in ideas if idea is not None]
    if not keys:
        return
    for provider in db.exec(select(Provider).where(Provider.kind == CommunityKind.name)):
        kept = without_posts(provider.config, keys)
        if kept != provider.config:
            provider.config = kept
            db.add(provider)
    db.execute(
        delete(Card).where(col(Card.kind) == CommunityKind.name, col(Card.external_id).in_(keys))
    )
