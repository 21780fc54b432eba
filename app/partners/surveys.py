"""Survey results: how many shoppers picked each choice, and what they wrote.

A provider whose kind asks questions (``CardKind.asks_questions``, the survey)
stores each question as a card and each answer as a
:class:`~app.models.SurveyAnswer` of that card; the kind says what each card
asks (``CardKind.question``). Answers are read without the answering consumer,
so a partner never learns who said what. Shared by the portal's results page
and ``GET /api/v1/surveys/{id}/results``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.db import as_date, utc_day
from app.models import Card, Provider, SurveyAnswer, stored_id
from app.partners.stats import DateRange
from cards.registry import UnknownKind, get_kind


@dataclass
class ChoiceResult:
    id: str
    label: str
    count: int = 0
    answers: int = 0  # of the whole question, for the share

    @property
    def share(self) -> float:
        """Share of the question's answers that picked this choice (several may add to >1)."""
        return self.count / self.answers if self.answers else 0.0


@dataclass
class TextAnswer:
    text: str
    answered_at: datetime


@dataclass
class QuestionResult:
    card_id: int
    question_id: str
    prompt: str
    type: str
    answers: int = 0
    choices: list[ChoiceResult] = field(default_factory=list)
    texts: list[TextAnswer] = field(default_factory=list)


def asks_questions(provider: Provider) -> bool:
    """Whether shoppers answer this provider's cards, so it has answers to show."""
    try:
        return get_kind(provider.kind).asks_questions
    except UnknownKind:
        return False


def survey_results(db: Session, provider: Provider) -> list[QuestionResult]:
    """Every question the survey ever asked, in the survey's current order."""
    kind = get_kind(provider.kind)
    asked = [
        (question, card)
        for card in db.exec(select(Card).where(Card.provider_id == provider.id))
        if (question := kind.question(card.payload)) is not None
    ]
    asked.sort(key=lambda pair: (pair[0].position, pair[1].id or 0))
    results = {
        stored_id(card): QuestionResult(
            card_id=stored_id(card),
            question_id=question.id or card.external_id,
            prompt=card.title,
            type=question.type,
            choices=[ChoiceResult(id=id, label=label) for id, label in question.choices],
        )
        for question, card in asked
    }
    answers = db.exec(
        select(SurveyAnswer.card_id, SurveyAnswer.answer, SurveyAnswer.created_at)
        .where(col(SurveyAnswer.card_id).in_(list(results)))
        .order_by(col(SurveyAnswer.created_at).desc(), col(SurveyAnswer.id).desc())
    )
    for card_id, answer, created_at in answers:
        result = results[card_id]
        result.answers += 1
        chosen = set(answer.get("choices") or [])
        for choice in result.choices:
            choice.count += choice.id in chosen
        if answer.get("text"):
            result.texts.append(TextAnswer(str(answer["text"]), created_at))
    for result in results.values():
        for choice in result.choices:
            choice.answers = result.answers
    return list(results.values())


def answers_in(
    db: Session,
    provider_ids: Sequence[int],
    period: DateRange,
    by: Literal["day", "provider", "card"],
    card_id: int | None = None,
) -> dict[Any, int]:
    """How many answers the providers' questions (or one question) got in ``period``,
    per UTC day, provider or question: a survey's results count answers where other
    cards count opens, since a question is answered on the feed, never opened."""
    if not provider_ids:
        return {}
    key = {
        "day": utc_day(db, SurveyAnswer.created_at),
        "provider": col(Card.provider_id),
        "card": col(SurveyAnswer.card_id),
    }[by]
    query = (
        select(key, func.count())
        .select_from(SurveyAnswer)
        .join(Card, col(Card.id) == col(SurveyAnswer.card_id))
        .where(
            col(Card.provider_id).in_(provider_ids),
            col(SurveyAnswer.created_at) >= period.since,
            col(SurveyAnswer.created_at) < period.until,
        )
        .group_by(key)
    )
    if card_id is not None:
        query = query.where(col(SurveyAnswer.card_id) == card_id)
    counts = db.exec(query).all()
    return {as_date(k) if by == "day" else k: int(n) for k, n in counts}
