"""What shoppers and partners say to each other: questions on cards and their answers,
suggestions to an organisation, the votes on both, and the staff's screening rules.

Every text carries the screener's outcome (:mod:`app.community.screening`): ``status``
says who sees it (everyone, only its author while it waits for review, nobody) and
``flagged_reason`` why the screener or a rule pointed staff at it. Authors are
optional: a deleted account's texts stay without it when the person chose so.
Vote counts are kept on the voted row, so a board or a thread sorts without counting.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Update, func, select, text, update
from sqlmodel import Field, SQLModel, col

from app.models.columns import created_column, time_column


class Visibility(StrEnum):
    VISIBLE = "visible"
    HELD = "held"  # only its author sees it, "waiting for review"
    REMOVED = "removed"


class Stage(StrEnum):
    """Where an organisation says a suggestion stands."""

    NEW = "new"
    UNDER_REVIEW = "under_review"
    PLANNED = "planned"
    AVAILABLE = "available"
    DECLINED = "declined"


class RuleAction(StrEnum):
    REFUSE = "refuse"  # refused at submit, with a message
    HOLD = "hold"  # kept for staff to approve
    FLAG = "flag"  # shown, and listed for staff


# The texts that wait for staff (app.community.screening.waiting_for_review, written the
# same way so the planner sees it is this): a partial index each, a handful of rows
# however many texts there are, read oldest first by the staff's queue.
WAITING = (
    "status = 'held' OR (status = 'visible' AND flagged_reason IS NOT NULL AND reviewed_at IS NULL)"
)


def waiting_index(table: str) -> Index:
    return Index(
        f"ix_{table}_waiting",
        "created_at",
        "id",
        sqlite_where=text(WAITING),
        postgresql_where=text(WAITING),
    )


class Posted(SQLModel):
    """What every text of the community carries: its author (none once they left, if
    they chose to leave their texts), who may see it, and the screener's and staff's
    say on it (:mod:`app.community.screening`)."""

    user_id: int | None = Field(
        default=None, foreign_key="user.id", index=True, ondelete="SET NULL"
    )
    status: str = Field(default=Visibility.VISIBLE, max_length=10)
    flagged_reason: str | None = Field(default=None, max_length=200)
    reviewed_at: datetime | None = time_column()
    review_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = created_column()


class Question(Posted, table=True):
    """A shopper's question to an organisation about one of its cards."""

    __table_args__ = (
        Index("ix_question_org_time", "organization_id", "created_at"),
        waiting_index("question"),
    )
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", ondelete="CASCADE")
    card_id: int | None = Field(
        default=None, foreign_key="card.id", index=True, ondelete="SET NULL"
    )
    title: str = Field(max_length=200)
    body: str = ""
    answered_at: datetime | None = time_column()  # the organisation's first answer


class Answer(Posted, table=True):
    """An answer under a question; ``organization_id`` is set when a member of the
    question's organisation wrote it (shown pinned, as the partner's answer)."""

    __table_args__ = (waiting_index("answer"),)
    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(foreign_key="question.id", index=True, ondelete="CASCADE")
    organization_id: int | None = Field(
        default=None, foreign_key="organization.id", ondelete="SET NULL"
    )
    body: str
    helpful_count: int = 0


class AnswerVote(SQLModel, table=True):
    """One person found one answer helpful."""

    __tablename__ = "answer_vote"
    answer_id: int = Field(foreign_key="answer.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = created_column()


class Suggestion(Posted, table=True):
    """A shopper's idea for an organisation, which the organisation gives a stage."""

    __table_args__ = (
        Index("ix_suggestion_org_votes", "organization_id", "vote_count"),
        waiting_index("suggestion"),
    )
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", ondelete="CASCADE")
    card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="SET NULL")
    title: str = Field(max_length=200)
    body: str = ""
    stage: str = Field(default=Stage.NEW, max_length=20)
    stage_note: str = ""
    stage_changed_at: datetime | None = time_column()
    # Where an *available* suggestion can be had: a card or a provider of the organisation.
    available_card_id: int | None = Field(default=None, foreign_key="card.id", ondelete="SET NULL")
    available_provider_id: int | None = Field(
        default=None, foreign_key="provider.id", ondelete="SET NULL"
    )
    vote_count: int = 0


class SuggestionVote(SQLModel, table=True):
    __tablename__ = "suggestion_vote"
    suggestion_id: int = Field(foreign_key="suggestion.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user.id", primary_key=True, index=True, ondelete="CASCADE")
    created_at: datetime = created_column()


class ScreeningRule(SQLModel, table=True):
    """A staff rule: a word (whole word, any case) or a regular expression, and what
    happens to a text that matches it. Rules are added and removed, never changed in
    place: each process notices a change by their count, newest id and newest time
    (:func:`app.community.screening.read_rules_mark`)."""

    __tablename__ = "screening_rule"
    id: int | None = Field(default=None, primary_key=True)
    pattern: str = Field(max_length=500)
    is_regex: bool = False
    action: str = Field(default=RuleAction.FLAG, max_length=10)
    note: str = Field(default="", max_length=200)  # why; shown with a refusal when set
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_column()


def answered_update(question_ids: list[int]) -> Update:
    """The statement that sets each question's ``answered_at`` to the organisation's first
    visible answer (none: unanswered), for whoever changed its answers."""
    first = (
        select(func.min(col(Answer.created_at)))
        .where(
            col(Answer.question_id) == col(Question.id),
            col(Answer.organization_id).is_not(None),
            col(Answer.status) == Visibility.VISIBLE,
        )
        .scalar_subquery()
    )
    return (
        update(Question)
        .where(col(Question.id).in_(question_ids))
        .values(answered_at=first)
        .execution_options(synchronize_session=False)
    )
