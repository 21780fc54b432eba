"""The request path's database side: load a consumer's profile and candidates.

Everything the ranker needs is read here in a handful of indexed queries;
:mod:`app.ranking` then works on plain data. A page of the feed is
(candidates published up to the feed session's start) minus (cards already
served in that session), ranked, first N: new cards arriving mid-scroll wait
for the next refresh, and no card is served twice or skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_
from sqlmodel import Session, col, select

from app.models import (
    Card,
    CardInterest,
    CardState,
    ConsumerInterest,
    Event,
    EventKind,
    InterestState,
    Provider,
    ProviderBlock,
    ProviderStatus,
    SurveyAnswer,
)
from app.ranking import Candidate, Profile, Ranked, rank
from cards.taxonomy import Taxonomy


def load_profile(db: Session, user_id: int) -> Profile:
    interests = db.exec(
        select(ConsumerInterest.slug, ConsumerInterest.state).where(
            ConsumerInterest.user_id == user_id
        )
    ).all()
    hidden = db.exec(select(ProviderBlock.provider_id).where(ProviderBlock.user_id == user_id))
    dismissed = db.exec(
        select(CardState.card_id).where(
            CardState.user_id == user_id, col(CardState.dismissed_at).is_not(None)
        )
    )
    answered = db.exec(select(SurveyAnswer.card_id).where(SurveyAnswer.user_id == user_id))
    return Profile(
        follows=frozenset(s for s, state in interests if state == InterestState.FOLLOW),
        muted=frozenset(s for s, state in interests if state == InterestState.MUTE),
        hidden_providers=frozenset(hidden.all()),
        dismissed=frozenset(dismissed.all()),
        answered=frozenset(answered.all()),
    )


def candidate_slugs(profile: Profile, taxonomy: Taxonomy) -> set[str]:
    """Interests whose cards may match: followed ones, what is below them, and
    their parents (a card about `shoes` partly matches a follower of running shoes)."""
    slugs: set[str] = set()
    for slug in profile.follows:
        slugs.update(taxonomy.descendants(slug))
        slugs.update(taxonomy.ancestors(slug))
    return slugs


def load_candidates(
    db: Session,
    slugs: set[str],
    *,
    as_of: datetime,
    exclude_session: tuple[int, str] | None,
    limit: int,
) -> list[Candidate]:
    if not slugs:
        return []
    matching = select(CardInterest.card_id).where(col(CardInterest.slug).in_(slugs))
    query = (
        select(Card)
        .join(Provider, col(Provider.id) == Card.provider_id)
        .where(
            col(Card.id).in_(matching),
            col(Card.removed_at).is_(None),
            Card.first_seen_at <= as_of,
            Provider.status != ProviderStatus.SUSPENDED,
            or_(col(Card.ends_at).is_(None), col(Card.ends_at) > as_of),
        )
        .order_by(col(Card.published_at).desc(), col(Card.id).desc())
        .limit(limit)
    )
    if exclude_session is not None:
        user_id, feed_session = exclude_session
        served = select(Event.card_id).where(
            Event.user_id == user_id,
            Event.feed_session == feed_session,
            Event.kind == EventKind.IMPRESSION,
        )
        query = query.where(col(Card.id).not_in(served))
    cards = db.exec(query).all()
    interests = _interests_of(db, [c.id for c in cards if c.id is not None])
    return [as_candidate(card, interests.get(card.id or 0, ())) for card in cards]


def as_candidate(card: Card, interests: Iterable[str]) -> Candidate:
    return Candidate(
        card_id=card.id or 0,
        provider_id=card.provider_id,
        kind=card.kind,
        interests=tuple(interests),
        published_at=card.published_at,
        badge=card.badge,
        starts_at=card.starts_at,
        ends_at=card.ends_at,
    )


def _interests_of(db: Session, card_ids: list[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if card_ids:
        rows = db.exec(
            select(CardInterest.card_id, CardInterest.slug)
            .where(col(CardInterest.card_id).in_(card_ids))
            .order_by(CardInterest.card_id, CardInterest.slug)
        )
        for card_id, slug in rows:
            out[card_id].append(slug)
    return out


@dataclass
class FeedPage:
    ranked: list[Ranked]
    cards: dict[int, Card]
    has_more: bool


def build_page(
    db: Session,
    user_id: int,
    taxonomy: Taxonomy,
    *,
    as_of: datetime,
    now: datetime,
    feed_session: str,
    page_size: int,
    candidate_limit: int,
) -> FeedPage:
    profile = load_profile(db, user_id)
    candidates = load_candidates(
        db,
        candidate_slugs(profile, taxonomy),
        as_of=as_of,
        exclude_session=(user_id, feed_session),
        limit=candidate_limit,
    )
    ranked = rank(profile, candidates, now, taxonomy)
    page = ranked[:page_size]
    ids = [r.candidate.card_id for r in page]
    cards = {c.id: c for c in db.exec(select(Card).where(col(Card.id).in_(ids))).all() if c.id}
    return FeedPage(ranked=page, cards=cards, has_more=len(ranked) > page_size)
