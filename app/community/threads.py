"""What the community's pages show, read in a few queries per page.

Everyone sees visible texts; the author of a held text sees it too, marked "waiting
for review"; removed texts are shown to nobody. The organisation's own answer is
pinned above the others, which are ordered by how many found them helpful.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from app.models import (
    Answer,
    AnswerVote,
    Organization,
    Question,
    Role,
    Stage,
    Suggestion,
    SuggestionVote,
    User,
    Visibility,
)

THREAD_LIMIT = 50  # questions on one card's page
BOARD_LIMIT = 100  # suggestions on one board
INBOX_LIMIT = 100
SORTS = ("votes", "new")


def seen_by(model: Any, viewer_id: int | None) -> Any:
    """The condition for rows of ``model`` that ``viewer_id`` may see."""
    visible = col(model.status) == Visibility.VISIBLE
    if viewer_id is None:
        return visible
    return or_(visible, (col(model.status) == Visibility.HELD) & (col(model.user_id) == viewer_id))


def names(db: Session, user_ids: Iterable[int | None]) -> tuple[dict[int, str], set[int]]:
    """Each author's name, and which authors are staff (whom no page offers to report)."""
    ids = {uid for uid in user_ids if uid is not None}
    if not ids:
        return {}, set()
    rows = db.exec(select(User.id, User.display_name, User.role).where(col(User.id).in_(ids))).all()
    people = {uid: name or "A shopper" for uid, name, _ in rows if uid is not None}
    return people, {uid for uid, _, role in rows if uid is not None and role == Role.STAFF}


def reportable_author(user_id: int | None, viewer_id: int | None, staff: set[int]) -> int | None:
    """The author a viewer may report from a text's author line: a participant who is not
    the viewer and not staff (None: no "Report this person" link)."""
    if user_id is None or user_id == viewer_id or user_id in staff:
        return None
    return user_id


def voted_by(
    db: Session, voted: Any, voter: Any, rows: Sequence[Any], viewer_id: int | None
) -> set[int]:
    """Which of ``rows`` the viewer voted for (``voted`` and ``voter``: the vote table's
    columns naming the row and the person)."""
    if viewer_id is None or not rows:
        return set()
    return set(
        db.exec(select(voted).where(voter == viewer_id, col(voted).in_([r.id for r in rows])))
    )


def author_name(people: dict[int, str], user_id: int | None) -> str:
    return "A former shopper" if user_id is None else people.get(user_id, "A shopper")


@dataclass
class AnswerView:
    answer: Answer
    author: str
    helpful: bool  # the viewer marked it helpful
    mine: bool
    report_author: int | None = None  # the author, when the viewer may report them


@dataclass
class QuestionView:
    question: Question
    author: str
    mine: bool
    report_author: int | None = None  # the author, when the viewer may report them
    pinned: list[AnswerView] = field(default_factory=list)  # the organisation's answers
    others: list[AnswerView] = field(default_factory=list)


def thread(
    db: Session, card_id: int, viewer_id: int | None, organization: Organization
) -> list[QuestionView]:
    """The questions on one card, newest first, with their answers."""
    return _questions(db, col(Question.card_id) == card_id, viewer_id, organization)


def general(db: Session, organization: Organization, viewer_id: int | None) -> list[QuestionView]:
    """The organisation's general questions (asked from its page, about no card), newest
    first, with their answers."""
    about_no_card = and_(
        col(Question.organization_id) == organization.id, col(Question.card_id).is_(None)
    )
    return _questions(db, about_no_card, viewer_id, organization)


def _questions(
    db: Session, where: Any, viewer_id: int | None, organization: Organization
) -> list[QuestionView]:
    questions = db.exec(
        select(Question)
        .where(where, seen_by(Question, viewer_id))
        .order_by(col(Question.created_at).desc(), col(Question.id).desc())
        .limit(THREAD_LIMIT)
    ).all()
    return question_views(db, questions, viewer_id, organization)


def question_views(
    db: Session, questions: Sequence[Question], viewer_id: int | None, organization: Organization
) -> list[QuestionView]:
    ids = [q.id for q in questions]
    answers = db.exec(
        select(Answer)
        .where(col(Answer.question_id).in_(ids), seen_by(Answer, viewer_id))
        .order_by(col(Answer.helpful_count).desc(), col(Answer.created_at), col(Answer.id))
    ).all()
    helpful = voted_by(db, AnswerVote.answer_id, AnswerVote.user_id, answers, viewer_id)
    people, staff = names(db, [q.user_id for q in questions] + [a.user_id for a in answers])
    views = {
        q.id: QuestionView(
            q,
            author_name(people, q.user_id),
            viewer_id is not None and q.user_id == viewer_id,
            reportable_author(q.user_id, viewer_id, staff),
        )
        for q in questions
    }
    for reply in answers:
        view = views[reply.question_id]
        partner = reply.organization_id == organization.id
        shown = AnswerView(
            reply,
            organization.name if partner else author_name(people, reply.user_id),
            reply.id in helpful,
            viewer_id is not None and reply.user_id == viewer_id,
            None if partner else reportable_author(reply.user_id, viewer_id, staff),
        )
        (view.pinned if partner else view.others).append(shown)
    return [views[q.id] for q in questions]


@dataclass
class SuggestionView:
    suggestion: Suggestion
    author: str
    voted: bool
    mine: bool
    report_author: int | None = None  # the author, when the viewer may report them


def board(
    db: Session, organization_id: int, viewer_id: int | None, sort: str = "votes"
) -> list[SuggestionView]:
    """An organisation's ideas, by votes (then newest) or newest first."""
    order = (
        (col(Suggestion.created_at).desc(), col(Suggestion.id).desc())
        if sort == "new"
        else (
            col(Suggestion.vote_count).desc(),
            col(Suggestion.created_at).desc(),
            col(Suggestion.id).desc(),
        )
    )
    ideas = db.exec(
        select(Suggestion)
        .where(Suggestion.organization_id == organization_id, seen_by(Suggestion, viewer_id))
        .order_by(*order)
        .limit(BOARD_LIMIT)
    ).all()
    return suggestion_views(db, ideas, viewer_id)


def suggestion_views(
    db: Session, ideas: Sequence[Suggestion], viewer_id: int | None
) -> list[SuggestionView]:
    voted = voted_by(db, SuggestionVote.suggestion_id, SuggestionVote.user_id, ideas, viewer_id)
    people, staff = names(db, [s.user_id for s in ideas])
    return [
        SuggestionView(
            s,
            author_name(people, s.user_id),
            s.id in voted,
            viewer_id is not None and s.user_id == viewer_id,
            reportable_author(s.user_id, viewer_id, staff),
        )
        for s in ideas
    ]


# --- The portal's inbox ------------------------------------------------------------------------


@dataclass
class Inbox:
    unanswered: list[QuestionView]
    answered: list[QuestionView]
    suggestions: list[SuggestionView]


def inbox(db: Session, organization: Organization) -> Inbox:
    """Unanswered questions oldest first, then answered ones newest first, then ideas by
    votes: what the organisation should look at, in that order."""
    base = select(Question).where(
        Question.organization_id == organization.id, Question.status == Visibility.VISIBLE
    )
    unanswered = db.exec(
        base.where(col(Question.answered_at).is_(None))
        .order_by(col(Question.created_at), col(Question.id))
        .limit(INBOX_LIMIT)
    ).all()
    answered = db.exec(
        base.where(col(Question.answered_at).is_not(None))
        .order_by(col(Question.answered_at).desc())
        .limit(INBOX_LIMIT // 4)
    ).all()
    ideas = db.exec(
        select(Suggestion)
        .where(
            Suggestion.organization_id == organization.id,
            Suggestion.status == Visibility.VISIBLE,
        )
        .order_by(col(Suggestion.vote_count).desc(), col(Suggestion.created_at).desc())
        .limit(INBOX_LIMIT)
    ).all()
    return Inbox(
        question_views(db, unanswered, None, organization),
        question_views(db, answered, None, organization),
        suggestion_views(db, ideas, None),
    )


@dataclass(frozen=True)
class CommunityCounts:
    open_questions: int
    questions: int
    suggestions: int
    votes: int
    by_stage: dict[str, int]


def counts(db: Session, organization_id: int) -> CommunityCounts:
    """The community's numbers for the portal's results page."""
    visible_questions = and_(
        col(Question.organization_id) == organization_id,
        col(Question.status) == Visibility.VISIBLE,
    )
    questions = db.exec(select(func.count()).where(visible_questions)).one()
    open_questions = db.exec(
        select(func.count()).where(visible_questions, col(Question.answered_at).is_(None))
    ).one()
    by_stage: dict[str, int] = defaultdict(int)
    votes = 0
    for stage, number, voted in db.exec(
        select(Suggestion.stage, func.count(), func.coalesce(func.sum(Suggestion.vote_count), 0))
        .where(
            Suggestion.organization_id == organization_id,
            Suggestion.status == Visibility.VISIBLE,
        )
        .group_by(col(Suggestion.stage))
    ).all():
        by_stage[stage] = number
        votes += int(voted)
    return CommunityCounts(
        open_questions,
        questions,
        sum(by_stage.values()),
        votes,
        {s.value: by_stage.get(s.value, 0) for s in Stage},
    )
