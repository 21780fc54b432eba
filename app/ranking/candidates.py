"""The request path's database side: load a consumer's profile and candidates.

Everything the ranker needs is read here in a handful of indexed, aggregated
queries (popularity from the worker's day totals, not from the event log);
:mod:`app.ranking.rank` then works on plain data. A page of the feed is
(candidates published up to the feed session's start) minus (cards already
served in that session), ranked, first N: new cards arriving mid-scroll wait
for the next refresh, and no card is served twice or skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_
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
from app.ranking.affinity import EventRecord, affinities_from_events
from app.ranking.candidate import Candidate, Delivery
from app.ranking.popularity import popularity_lifts
from app.ranking.rank import Profile, Ranked, candidate_slugs, rank
from app.ranking.rollup import recent_counts
from cards.registry import UnknownKind, all_kinds, get_kind
from cards.spec import DeliveryCaps
from cards.taxonomy import Taxonomy

# Events older than this weigh under 6% (four affinity half-lives): not worth reading.
EVENT_HORIZON = timedelta(days=90)
MAX_EVENTS = 2000  # the most recent ones, through ix_event_user_time
MAX_FLIGHTS = 200  # running promotions and surveys considered for one page


def load_profile(db: Session, user_id: int, *, taxonomy: Taxonomy, now: datetime) -> Profile:
    """One consumer's profile, for a page of their feed."""
    return load_profiles(db, [user_id], taxonomy=taxonomy, now=now)[user_id]


def load_profiles(
    db: Session, user_ids: Iterable[int], *, taxonomy: Taxonomy, now: datetime
) -> dict[int, Profile]:
    """Each consumer's profile, in the same six queries however many consumers there
    are: the notification job ranks news for thousands of them at a time. The queries
    list the ids, so callers pass a few hundred at most."""
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    follows, muted = _empty_sets(ids), _empty_sets(ids)
    interests = select(ConsumerInterest.user_id, ConsumerInterest.slug, ConsumerInterest.state)
    for user_id, slug, state in db.exec(interests.where(col(ConsumerInterest.user_id).in_(ids))):
        if state == InterestState.FOLLOW:
            follows[user_id].add(slug)
        elif state == InterestState.MUTE:
            muted[user_id].add(slug)
    hidden = _per_user(
        db, select(ProviderBlock.user_id, ProviderBlock.provider_id), ProviderBlock.user_id, ids
    )
    dismissed = _per_user(
        db,
        select(CardState.user_id, CardState.card_id).where(
            col(CardState.dismissed_at).is_not(None)
        ),
        CardState.user_id,
        ids,
    )
    answered = _per_user(
        db, select(SurveyAnswer.user_id, SurveyAnswer.card_id), SurveyAnswer.user_id, ids
    )
    events = _recent_events(db, ids, now)
    return {
        user_id: Profile(
            follows=frozenset(follows[user_id]),
            muted=frozenset(muted[user_id]),
            hidden_providers=frozenset(hidden[user_id]),
            dismissed=frozenset(dismissed[user_id]),
            answered=frozenset(answered[user_id]),
            affinities=affinities_from_events(events[user_id], now),
        )
        for user_id in ids
    }


def _empty_sets(ids: list[int]) -> dict[int, set[Any]]:
    return {user_id: set() for user_id in ids}


def _per_user(db: Session, query: Any, user_column: Any, ids: list[int]) -> dict[int, set[Any]]:
    """(user id, value) rows of ``query`` for ``ids``, as each consumer's set of values."""
    found = _empty_sets(ids)
    for user_id, value in db.exec(query.where(col(user_column).in_(ids))):
        found[user_id].add(value)
    return found


def _recent_events(db: Session, user_ids: list[int], now: datetime) -> dict[int, list[EventRecord]]:
    """Each consumer's latest events, newest first, with their cards' kind and interests."""
    columns: tuple[Any, ...] = (
        col(Event.user_id),
        col(Event.kind),
        col(Event.card_id),
        col(Card.provider_id),
        col(Card.kind).label("card_kind"),
        col(Event.created_at),
        col(Event.detail),
    )
    newest = (col(Event.created_at).desc(), col(Event.id).desc())
    recent = (
        select(*columns)
        .join(Card, col(Card.id) == Event.card_id)
        .where(col(Event.user_id).in_(user_ids), Event.created_at >= now - EVENT_HORIZON)
    )
    if len(user_ids) == 1:
        # One consumer (a feed page): the walk down ix_event_user_time stops at the limit.
        query = recent.order_by(*newest).limit(MAX_EVENTS)
    else:
        # The newest MAX_EVENTS of each consumer, numbered in the same order.
        numbered = recent.add_columns(
            col(Event.id).label("event_id"),
            func.row_number().over(partition_by=col(Event.user_id), order_by=newest).label("n"),
        ).subquery()
        query = (
            select(*list(numbered.c)[: len(columns)])
            .where(numbered.c.n <= MAX_EVENTS)
            .order_by(numbered.c.user_id, numbered.c.created_at.desc(), numbered.c.event_id.desc())
        )
    rows = db.execute(query).all()
    interests = interests_of(db, list({row[2] for row in rows}))
    events: dict[int, list[EventRecord]] = {user_id: [] for user_id in user_ids}
    for user_id, kind, card_id, provider_id, card_kind, at, detail in rows:
        events[user_id].append(
            EventRecord(
                kind=kind,
                card_id=card_id,
                provider_id=provider_id,
                card_kind=card_kind,
                interests=tuple(interests.get(card_id, ())),
                at=at,
                interest=(detail or {}).get("interest"),
            )
        )
    return events


@dataclass
class CandidateRead:
    """Candidates, with the card rows and interests they were built from, so that a
    page's cards are not read from the database a second time to be shown."""

    candidates: list[Candidate]
    cards: dict[int, Card]
    interests: dict[int, list[str]]


def read_candidates(
    db: Session,
    slugs: set[str],
    *,
    user_id: int,
    as_of: datetime,
    feed_session: str | None,
    limit: int,
) -> CandidateRead:
    """Cards about ``slugs`` that may be shown at ``as_of``: the newest ``limit``
    ones and the running scheduled ones (promotions, surveys), with their popularity
    and, for capped ones, how much of their caps today has used."""
    if not slugs:
        return CandidateRead([], {}, {})
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
    )
    if feed_session is not None:
        served = select(Event.card_id).where(
            Event.user_id == user_id,
            Event.feed_session == feed_session,
            Event.kind == EventKind.IMPRESSION,
        )
        query = query.where(col(Card.id).not_in(served))
    newest = col(Card.published_at).desc(), col(Card.id).desc()
    flight_kinds = scheduled_kinds()
    organic = query.where(col(Card.kind).not_in(flight_kinds)).order_by(*newest).limit(limit)
    # Scheduled cards (promotions, surveys) run for days: a newest-first window would drop
    # those that started a while ago, so the running ones come on their own (there are few).
    flights = query.where(col(Card.kind).in_(flight_kinds)).order_by(*newest).limit(MAX_FLIGHTS)
    cards = [c for q in (organic, flights) for c in db.exec(q).all() if c.id is not None]
    ids = [c.id for c in cards if c.id is not None]
    interests = interests_of(db, ids)
    lifts = popularity_lifts(*recent_counts(db, cards))
    deliveries = _deliveries(db, cards, user_id, as_of)
    candidates = [
        as_candidate(
            card,
            interests.get(card.id or 0, ()),
            popularity=lifts.get(card.id or 0, 1.0),
            delivery=deliveries.get(card.id or 0),
        )
        for card in cards
    ]
    return CandidateRead(candidates, {card.id or 0: card for card in cards}, interests)


def as_candidate(
    card: Card,
    interests: Iterable[str],
    *,
    popularity: float = 1.0,
    delivery: Delivery | None = None,
) -> Candidate:
    return Candidate(
        card_id=card.id or 0,
        provider_id=card.provider_id,
        kind=card.kind,
        interests=tuple(interests),
        published_at=card.published_at,
        badge=card.badge,
        starts_at=card.starts_at,
        ends_at=card.ends_at,
        popularity=popularity,
        delivery=delivery,
    )


def interests_of(db: Session, card_ids: list[int]) -> dict[int, list[str]]:
    """Each card's interests, in slug order, in one query."""
    out: dict[int, list[str]] = defaultdict(list)
    if card_ids:
        rows = db.exec(
            select(CardInterest.card_id, CardInterest.slug)
            .where(col(CardInterest.card_id).in_(card_ids))
            .order_by(col(CardInterest.card_id), col(CardInterest.slug))
        )
        for card_id, slug in rows:
            out[card_id].append(slug)
    return out


def scheduled_kinds() -> list[str]:
    """The registered kinds whose cards run between dates (see ``CardKind.scheduled``)."""
    return [name for name, kind in all_kinds().items() if kind.scheduled]


def _delivery_caps(card: Card) -> DeliveryCaps | None:
    try:
        return get_kind(card.kind).delivery_caps(card.payload)
    except UnknownKind:
        return None


def _deliveries(db: Session, cards: list[Card], user_id: int, now: datetime) -> dict[int, Delivery]:
    """The caps of each card whose kind has them (promotions, surveys), and today's
    impressions of its provider's cards to everyone and to this consumer. Counted per
    provider: every question of a survey is a card of its own, and together they use
    the survey's caps (a promotion is one card)."""
    caps = {card.id or 0: found for card in cards if (found := _delivery_caps(card)) is not None}
    flights = [card for card in cards if card.id in caps]
    if not flights:
        return {}
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    mine = case((col(Event.user_id) == user_id, 1), else_=0)
    rows = db.exec(
        select(Card.provider_id, func.count(), func.sum(mine))
        .select_from(Event)
        .join(Card, col(Card.id) == Event.card_id)
        .where(
            col(Card.provider_id).in_(sorted({c.provider_id for c in flights})),
            Event.kind == EventKind.IMPRESSION,
            Event.created_at >= day,
        )
        .group_by(col(Card.provider_id))
    )
    used = {provider_id: (total, int(own or 0)) for provider_id, total, own in rows}
    deliveries: dict[int, Delivery] = {}
    for card in flights:
        limits = caps[card.id or 0]
        delivered, seen = used.get(card.provider_id, (0, 0))
        deliveries[card.id or 0] = Delivery(
            daily_cap=limits.daily_impression_cap,
            consumer_cap=limits.per_consumer_cap,
            delivered_today=delivered,
            seen_today=seen,
        )
    return deliveries


@dataclass
class FeedPage:
    ranked: list[Ranked]
    cards: dict[int, Card]
    interests: dict[int, list[str]]  # of the page's cards, as the candidates were read
    has_more: bool
    viewer_rate: float  # the consumer's usual open rate, for the page's impressions


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
    profile = load_profile(db, user_id, taxonomy=taxonomy, now=now)
    read = read_candidates(
        db,
        candidate_slugs(profile, taxonomy),
        user_id=user_id,
        as_of=as_of,
        feed_session=feed_session,
        limit=candidate_limit,
    )
    # One card more than a page tells whether there is a next one.
    ranked = rank(profile, read.candidates, now, taxonomy, limit=page_size + 1, page_size=page_size)
    page = ranked[:page_size]
    ids = [r.candidate.card_id for r in page]
    return FeedPage(
        ranked=page,
        cards={card_id: read.cards[card_id] for card_id in ids},
        interests={card_id: read.interests.get(card_id, []) for card_id in ids},
        has_more=len(ranked) > page_size,
        viewer_rate=profile.affinities.usual_open_rate,
    )
