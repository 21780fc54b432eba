"""Survey results: how many shoppers picked each choice, and what they wrote.

A survey provider stores each question as a card and each answer as a
:class:`~app.models.SurveyAnswer` of that card. Answers are read without the
answering consumer, so a partner never learns who said what. Shared by the
portal's results page and ``GET /api/v1/surveys/{id}/results``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from app.models import Card, Provider, SurveyAnswer


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


def survey_results(db: Session, provider: Provider) -> list[QuestionResult]:
    """Every question the survey ever asked, in the survey's current order."""
    cards = list(db.exec(select(Card).where(Card.provider_id == provider.id)))
    order = {q.get("id"): n for n, q in enumerate(provider.config.get("questions", []))}
    cards.sort(key=lambda c: (order.get(c.payload.get("question_id"), len(order)), c.id or 0))
    results = {
        card.id: QuestionResult(
            card_id=card.id or 0,
            question_id=str(card.payload.get("question_id", card.external_id)),
            prompt=card.title,
            type=str(card.payload.get("type", "text")),
            choices=[
                ChoiceResult(id=str(c["id"]), label=str(c["label"]))
                for c in card.payload.get("choices", [])
            ],
        )
        for card in cards
    }
    answers = db.exec(
        select(SurveyAnswer.card_id, SurveyAnswer.answer, SurveyAnswer.created_at)
        .where(col(SurveyAnswer.card_id).in_(list(results)))
        .order_by(col(SurveyAnswer.created_at).desc(), col(SurveyAnswer.id).desc())
    )
    for card_id, answer, created_at in answers:
        question = results[card_id]
        question.answers += 1
        chosen = set(answer.get("choices") or [])
        for choice in question.choices:
            choice.count += choice.id in chosen
        if answer.get("text"):
            question.texts.append(TextAnswer(str(answer["text"]), created_at))
    for question in results.values():
        for choice in question.choices:
            choice.answers = question.answers
    return list(results.values())
