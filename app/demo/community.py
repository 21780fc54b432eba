"""A lively community for the offline demo: questions on the demo shops' product cards
(most answered by the shop, some by other shoppers, with helpful votes), and ideas on
each organisation's board with votes and every status.

The authors are the demo crowd (:mod:`app.demo.activity`), and the demo consumer has
voted for a few ideas, so its notifications show what became of them. Rows are
written directly with their counts (the texts are Plaza's own, nothing to screen);
idempotent: an organisation that already has questions or ideas is left alone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from app.community.updates import tell_of_stage
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
    answered_update,
    stored_id,
)
from app.notifications.catalog import Category, category_for_kind
from app.partners.orgs import PLAZA_SLUG

SEED = 20261207

# (question, details, the shop's answer or None, a shopper's answer or None)
QUESTIONS: tuple[tuple[str, str, str | None, str | None], ...] = (
    (
        "Does this come in a wide fit?",
        "I usually take a 44 wide.",
        "Yes: the W version comes in 40 to 47; it is in the size menu.",
        "I have wide feet and the regular fit was fine after a day.",
    ),
    (
        "Is it true to size?",
        "",
        "It runs half a size small; most people size up.",
        "Sized up by half and it is perfect.",
    ),
    (
        "Can it go in the dishwasher?",
        "",
        None,
        "Mine has been in the dishwasher for a year, no problem.",
    ),
    ("How heavy is it?", "For a long hike.", "About 780 g in a size M.", None),
    ("Is the colour as dark as in the photo?", "", None, None),
    ("Does it work on induction?", "", "Yes, the base is magnetic steel.", None),
    ("When will it be back in stock?", "", None, "They restocked last month around the 10th."),
)

# (idea, details, status, the shop's note)
IDEAS: tuple[tuple[str, str, Stage, str], ...] = (
    (
        "The same jacket in a wide fit",
        "Broad shoulders need more room.",
        Stage.PLANNED,
        "Coming next season; thank you for the votes.",
    ),
    (
        "The 28 cm pan in 24 cm",
        "For a small kitchen.",
        Stage.AVAILABLE,
        "Now in stock, in both colours.",
    ),
    ("Trail shoes in half sizes", "", Stage.UNDER_REVIEW, "We are talking to the factory."),
    ("A repair service for zips", "Rather than buying new.", Stage.NEW, ""),
    ("Vegan leather boots", "", Stage.DECLINED, "Not this year, sorry; we will look again."),
    ("Refill packs for the coffee beans", "", Stage.NEW, ""),
)


@dataclass
class CommunityReport:
    questions: int = 0
    answers: int = 0
    suggestions: int = 0
    votes: int = 0


def seed_community(db: Session, now: datetime, crowd: list[int]) -> CommunityReport:
    """Questions and ideas for each demo organisation that has none yet; commits."""
    report = CommunityReport()
    if len(crowd) < 8:
        return report
    rng = random.Random(SEED)  # noqa: S311 (a demo's made-up crowd, not a secret)
    consumer = db.exec(select(User.id).where(User.email == "demo@example.com")).first()
    partners = select(Organization).where(Organization.slug != PLAZA_SLUG)  # not Plaza's own
    for organization in db.exec(partners.order_by(col(Organization.id))).all():
        if _has_community(db, organization):
            continue
        members = db.exec(
            select(User.id).where(
                User.organization_id == organization.id, User.role == Role.RETAILER
            )
        ).all()
        cards = _product_cards(db, organization)
        _questions(
            db, rng, organization, cards, crowd, members[0] if members else None, now, report
        )
        _ideas(db, rng, organization, cards, crowd, consumer, now, report)
    db.commit()
    return report


def _product_cards(db: Session, organization: Organization) -> list[Card]:
    """A dozen of the organisation's cards from kinds that notify of new products (the
    kinds people ask about: "does it come in a wide fit?")."""
    providers = [
        p.id
        for p in db.exec(select(Provider).where(Provider.organization_id == organization.id))
        if category_for_kind(p.kind) == Category.PRODUCTS
    ]
    return list(
        db.exec(
            select(Card)
            .where(col(Card.provider_id).in_(providers), col(Card.removed_at).is_(None))
            .order_by(col(Card.id))
            .limit(12)
        ).all()
    )


def _has_community(db: Session, organization: Organization) -> bool:
    return any(
        db.exec(select(model.id).where(model.organization_id == organization.id).limit(1)).first()
        for model in (Question, Suggestion)
    )


def _questions(
    db: Session,
    rng: random.Random,
    organization: Organization,
    cards: list[Card],
    crowd: list[int],
    member: int | None,
    now: datetime,
    report: CommunityReport,
) -> None:
    if not cards:
        return
    for n, (title, body, shop, shopper) in enumerate(rng.sample(QUESTIONS, 4)):
        asked = now - timedelta(days=rng.uniform(0.5, 10))
        asker, helper = rng.sample(crowd, 2)
        question = Question(
            organization_id=stored_id(organization),
            card_id=cards[n % len(cards)].id,
            user_id=asker,
            title=title,
            body=body,
            created_at=asked,
        )
        db.add(question)
        db.flush()
        report.questions += 1
        replies = []
        if shopper:
            replies.append(
                Answer(
                    question_id=stored_id(question),
                    user_id=helper,
                    body=shopper,
                    created_at=asked + timedelta(hours=rng.uniform(1, 20)),
                )
            )
        if shop:
            replies.append(
                Answer(
                    question_id=stored_id(question),
                    user_id=member,
                    body=shop,
                    organization_id=organization.id,
                    created_at=asked + timedelta(hours=rng.uniform(2, 30)),
                )
            )
        db.add_all(replies)
        db.flush()
        report.answers += len(replies)
        for reply in replies:
            if reply.organization_id is not None:
                continue
            voters = [v for v in rng.sample(crowd, rng.randint(1, 5)) if v != reply.user_id]
            db.add_all(
                AnswerVote(answer_id=stored_id(reply), user_id=v, created_at=reply.created_at)
                for v in voters
            )
            reply.helpful_count = len(voters)
            report.votes += len(voters)
        db.execute(answered_update([stored_id(question)]))


def _ideas(
    db: Session,
    rng: random.Random,
    organization: Organization,
    cards: list[Card],
    crowd: list[int],
    consumer: int | None,
    now: datetime,
    report: CommunityReport,
) -> None:
    for title, body, stage, note in rng.sample(IDEAS, 4):
        posted = now - timedelta(days=rng.uniform(2, 13))
        voters = rng.sample(crowd, rng.randint(2, min(len(crowd), 18)))
        if consumer is not None and stage in (Stage.AVAILABLE, Stage.PLANNED):
            voters.append(consumer)  # the demo login hears what became of them
        idea = Suggestion(
            organization_id=stored_id(organization),
            user_id=voters[0],
            title=title,
            body=body,
            created_at=posted,
            vote_count=len(voters),
            card_id=cards[0].id if cards and rng.random() < 0.5 else None,
        )
        db.add(idea)
        db.flush()
        db.add_all(
            SuggestionVote(suggestion_id=stored_id(idea), user_id=v, created_at=posted)
            for v in voters
        )
        report.suggestions += 1
        report.votes += len(voters)
        if stage != Stage.NEW:
            idea.stage, idea.stage_note = stage, note
            idea.stage_changed_at = now - timedelta(hours=rng.uniform(1, 24))
            if stage == Stage.AVAILABLE and cards:
                idea.available_card_id = cards[-1].id
            db.flush()
            tell_of_stage(db, organization, idea, None, idea.stage_changed_at)
