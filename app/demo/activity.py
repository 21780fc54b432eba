"""A crowd of made-up shoppers and their last two weeks on Plaza, for the offline demo.

``plaza demo`` creates providers and cards, but nobody has seen them yet: the
portal's charts would be flat, the surveys unanswered and every card equally
popular. This adds :data:`SHOPPERS` shoppers, each following a few interests
drawn from one or two :data:`TASTES`, and records what they plausibly did. On
most days each looks at a page of cards, mostly about what they follow; they
open some (cards about their interests far more often, and some cards appeal
to everyone more than others), save a few, dismiss a few (cards outside their
interests more often) and answer the survey questions put to them.

The activity is the crowd's, never the demo consumer's: ranking learns a
consumer's tastes from their own events, so ``demo@example.com`` starts from
the interests it follows and learns only from what its user does, while the
crowd's impressions and opens give every feed its popularity signal. The
shoppers cannot sign in: their password is unusable, and they are inactive,
so no session loads them and notifications of new cards pass them by.

Deterministic for a given catalogue and day (fixed seeds: the crowd's view of
the cards comes from one random stream, each shopper's behaviour from a stream
of their own) and idempotent: shoppers who exist already are left alone, so a
second run adds nothing.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy import select as sqlalchemy_select
from sqlmodel import Session, col, select

from app.accounts.lookalikes import skeleton
from app.accounts.passwords import UNUSABLE_PASSWORD_HASH
from app.models import Card, CardInterest, CardState, Event, EventKind, Role, SurveyAnswer, User
from app.ranking.affinity import lineage
from app.shopper.interests import onboard
from cards.registry import all_kinds, get_kind
from cards.spec import CardKind, Question
from cards.taxonomy import Taxonomy

SHOPPERS = 40
CROWD_DOMAIN = "@demo.plaza.example"  # a reserved domain: mail goes nowhere
SHOPPER_EMAIL = "shopper-{:02d}" + CROWD_DOMAIN
DAYS = 14
SEED = 20261123
# Interests that go together and that the demo catalogues cover; a shopper follows a
# few from one or two of them.
TASTES: tuple[tuple[str, ...], ...] = (
    ("sports/running", "shoes/athletic-shoes/running-shoes", "sports/running/trail-running",
     "apparel/activewear"),
    ("sports/hiking", "sports/camping", "apparel/outerwear", "bags/backpacks"),
    ("home/kitchen", "lifestyle/cooking", "home/kitchen/cookware", "food/coffee"),
    ("garden", "garden/plants", "home/decor", "lifestyle/interior-design"),
    ("apparel", "shoes", "apparel/sweaters", "lifestyle/personal-style"),
    ("electronics", "electronics/audio", "home/lighting", "electronics/smart-home"),
    ("sports/climbing", "sports/winter-sports", "apparel/outerwear/insulated-jackets"),
)  # fmt: skip
FOLLOWS = (2, 4)  # how many interests of their main taste a shopper follows
OTHER_TASTE_CHANCE = 0.4  # that they also follow one interest of another taste
VISIT_CHANCE = (0.3, 0.9)  # a shopper's chance of looking on any one day, drawn per shopper
PAGE_SIZE = (6, 18)  # cards looked at in one visit
OUTSIDE_SHARE = 0.2  # of a visit's cards, those about none of the shopper's interests
VISIT_MINUTES = 15  # a visit's actions follow its impressions within this many minutes
APPEAL_SPREAD = 0.5  # log-normal sigma of a card's appeal to everyone (median 1)
CHOICE_LEAN = (0.2, 1.0)  # how much the crowd favours each choice of a question, drawn once
MAX_CHOICES = 3  # the most choices a shopper ticks on a "multiple" question
ANSWER_CHANCE = 0.5  # of a survey question a shopper is shown


@dataclass(frozen=True)
class Chances:
    """How likely a shopper is to act on a card they are shown."""

    open: float
    save: float
    dismiss: float


ON_TOPIC = Chances(open=0.14, save=0.03, dismiss=0.01)  # about an interest they follow
OFF_TOPIC = Chances(open=0.03, save=0.004, dismiss=0.06)


@dataclass(frozen=True, slots=True)
class CrowdCard:
    """A card as the crowd sees it, in plain values (a simulation reads them thousands
    of times): what it is about, when it is out and how much it appeals to anyone."""

    id: int
    provider_id: int
    kind: str
    url: str | None
    topics: frozenset[str]  # its interests and their ancestors
    out_from: float  # timestamps: from when to when it is shown
    out_until: float
    appeal: float
    payload: dict[str, Any]  # a question card's payload (empty for any other card)
    question: Question | None  # what a question card asks
    choice_lean: tuple[float, ...]  # the crowd's weight for each of the question's choices

    @property
    def rules(self) -> CardKind[Any]:
        return get_kind(self.kind)

    def about(self, follows: frozenset[str]) -> bool:
        return not self.topics.isdisjoint(follows)


@dataclass
class CrowdReport:
    shoppers: int = 0
    events: int = 0
    answers: int = 0


@dataclass
class _Log:
    """What the crowd did, written in one go at the end."""

    events: list[dict[str, Any]] = field(default_factory=list)
    states: list[CardState] = field(default_factory=list)
    answers: list[SurveyAnswer] = field(default_factory=list)


def seed_shoppers(
    db: Session,
    taxonomy: Taxonomy,
    now: datetime,
    written_answers: Mapping[int, Mapping[str, Sequence[str]]],
) -> CrowdReport:
    """Create the shoppers not there yet, with their two weeks of activity (commits).

    ``written_answers`` gives, per survey provider id and question id, the texts
    shoppers may write to that text question (a question without any is left
    unanswered)."""
    emails = {n: SHOPPER_EMAIL.format(n) for n in range(1, SHOPPERS + 1)}
    existing = set(db.exec(select(User.email).where(col(User.email).in_(emails.values()))))
    missing = {n: email for n, email in emails.items() if email not in existing}
    if not missing:
        return CrowdReport()
    cards = _crowd_cards(db)
    tastes = [[slug for slug in taste if slug in taxonomy] for taste in TASTES]
    start = now - timedelta(days=DAYS)
    joined = start - timedelta(days=1)
    shoppers = {
        n: User(email=email, email_skeleton=skeleton(email), role=Role.CONSUMER,
                password_hash=UNUSABLE_PASSWORD_HASH, active=False, created_at=joined)
        for n, email in missing.items()
    }  # fmt: skip
    db.add_all(shoppers.values())
    db.flush()
    log = _Log()
    for n, user in shoppers.items():
        rng = random.Random(SEED + n)  # noqa: S311 (made-up demo behaviour, not secrets)
        shopper = _Shopper(user.id or 0, _follows(rng, tastes), rng, written_answers, log)
        onboard(db, user, shopper.follows, taxonomy, joined)
        shopper.two_weeks(cards, start)
    if log.events:
        db.execute(insert(Event), log.events)
    db.add_all([*log.states, *log.answers])
    db.commit()
    return CrowdReport(len(missing), len(log.events), len(log.answers))


def _crowd_cards(db: Session) -> list[CrowdCard]:
    """Every live card, with an appeal and choice leanings drawn once for the whole crowd."""
    cards = db.execute(
        sqlalchemy_select(col(Card.id), col(Card.provider_id), col(Card.kind), col(Card.url),
               col(Card.published_at), col(Card.starts_at), col(Card.ends_at))
        .where(col(Card.removed_at).is_(None))
        .order_by(col(Card.id))
    )  # fmt: skip
    # Only question cards' payloads are read: decoding every product's would cost more.
    asking = [name for name, kind in all_kinds().items() if kind.asks_questions]
    questions = dict(db.exec(select(Card.id, Card.payload).where(col(Card.kind).in_(asking))).all())
    topics: dict[int, set[str]] = defaultdict(set)
    for card_id, slug in db.exec(select(CardInterest.card_id, CardInterest.slug)):
        topics[card_id].update(lineage(slug))
    rng = random.Random(SEED)  # noqa: S311 (made-up demo behaviour, not secrets)
    crowd_cards = []
    for card_id, provider_id, kind, url, published_at, starts_at, ends_at in cards:
        payload = questions.get(card_id, {})
        question = get_kind(kind).question(payload) if payload else None
        crowd_cards.append(
            CrowdCard(
                id=card_id,
                provider_id=provider_id,
                kind=kind,
                url=url,
                topics=frozenset(topics[card_id]),
                # A promotion or survey is published when the demo stores it: its dates
                # say when it is shown.
                out_from=(starts_at or published_at).timestamp(),
                out_until=ends_at.timestamp() if ends_at else math.inf,
                appeal=rng.lognormvariate(0.0, APPEAL_SPREAD),
                payload=dict(payload),
                question=question,
                choice_lean=tuple(rng.uniform(*CHOICE_LEAN) for _ in question.choices)
                if question
                else (),
            )
        )
    return crowd_cards


def _follows(rng: random.Random, tastes: list[list[str]]) -> frozenset[str]:
    """Two to four interests from one taste, sometimes one more from another."""
    main, other = rng.sample(tastes, 2)
    follows = set(rng.sample(main, min(len(main), rng.randint(*FOLLOWS))))
    if other and rng.random() < OTHER_TASTE_CHANCE:
        follows.add(rng.choice(other))
    return frozenset(follows)


@dataclass
class _Shopper:
    """One made-up shopper, living through their two weeks."""

    id: int
    follows: frozenset[str]
    rng: random.Random
    written_answers: Mapping[int, Mapping[str, Sequence[str]]]
    log: _Log
    settled: set[int] = field(default_factory=set)  # saved, dismissed or answered cards

    def two_weeks(self, cards: list[CrowdCard], start: datetime) -> None:
        """Their visits, day by day: what they were shown and what they did with it."""
        rng = self.rng
        organic = [c for c in cards if not c.rules.scheduled]
        on_topic = [c for c in organic if c.about(self.follows)]
        off_topic = [c for c in organic if not c.about(self.follows)]
        # Promotions and surveys reach only the shoppers they are about: like a feed
        # page, a visit shows each running promotion and at most one survey question.
        promotions = [c for c in cards if c.rules.sponsored and c.about(self.follows)]
        surveys = [c for c in cards if c.question and c.about(self.follows)]
        visit_chance = rng.uniform(*VISIT_CHANCE)
        for day in range(DAYS):
            if rng.random() >= visit_chance:
                continue
            moment = start + timedelta(days=day, minutes=rng.randrange(24 * 60 - VISIT_MINUTES))
            page_size = rng.randint(*PAGE_SIZE)
            outside = sum(rng.random() < OUTSIDE_SHARE for _ in range(page_size))
            shown = [
                card
                for pool, count in (
                    (on_topic, page_size - outside),
                    (off_topic, outside),
                    (promotions, len(promotions)),
                    (surveys, 1),
                )
                for card in self._pick(pool, count, moment)
            ]
            for card in shown:
                self._record(card, EventKind.IMPRESSION, moment)
                acted = moment + timedelta(minutes=rng.randrange(1, VISIT_MINUTES))
                if self._act(card, acted):
                    self.settled.add(card.id)

    def _pick(self, pool: list[CrowdCard], count: int, moment: datetime) -> list[CrowdCard]:
        """Up to ``count`` cards of ``pool`` running at ``moment`` that they are not done with
        (saved, dismissed and answered cards are not shown again)."""
        at = moment.timestamp()
        running = [c for c in pool if c.out_from <= at < c.out_until and c.id not in self.settled]
        return self.rng.sample(running, min(count, len(running)))

    def _act(self, card: CrowdCard, at: datetime) -> bool:
        """What they do with a card they were shown; True when they are done with it."""
        if card.question is not None:
            answer = self._answer(card, card.question)
            if answer is None:
                return False
            self._record(card, EventKind.ANSWER, at)
            self.log.answers.append(
                SurveyAnswer(user_id=self.id, card_id=card.id, answer=answer, created_at=at)
            )
            return True
        chances = ON_TOPIC if card.about(self.follows) else OFF_TOPIC
        rng, states = self.rng, self.log.states
        if card.url and rng.random() < chances.open * card.appeal:
            self._record(card, EventKind.OPEN, at)
        if rng.random() < chances.save * card.appeal:
            self._record(card, EventKind.SAVE, at)
            states.append(CardState(user_id=self.id, card_id=card.id, saved_at=at))
            return True
        if rng.random() < chances.dismiss:
            self._record(card, EventKind.DISMISS, at)
            states.append(CardState(user_id=self.id, card_id=card.id, dismissed_at=at))
            return True
        return False

    def _answer(self, card: CrowdCard, question: Question) -> dict[str, Any] | None:
        """Their answer to a survey question, stored as the answer form stores it (checked
        by the survey kind itself); None when they pass it by."""
        rng = self.rng
        if rng.random() >= ANSWER_CHANCE:
            return None
        if question.type == "text":
            texts = self.written_answers.get(card.provider_id, {}).get(question.id)
            if not texts:
                return None
            form = {"text": [rng.choice(texts)]}
        else:
            choices = [choice_id for choice_id, _ in question.choices]
            lean = list(card.choice_lean)
            wanted = 1 if question.type == "single" else rng.randint(1, MAX_CHOICES)
            picked: list[str] = []
            while choices and len(picked) < wanted:
                (index,) = rng.choices(range(len(choices)), weights=lean)
                picked.append(choices.pop(index))
                lean.pop(index)
            form = {"choice": picked}
        return card.rules.handle_action(card.payload, "answer", form)

    def _record(self, card: CrowdCard, kind: EventKind, at: datetime) -> None:
        self.log.events.append(
            {"user_id": self.id, "card_id": card.id, "provider_id": card.provider_id,
             "kind": kind, "detail": {}, "created_at": at}
        )  # fmt: skip
