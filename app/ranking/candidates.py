"""The request path's database side: load a consumer's profile and candidates.

Everything the ranker needs is read here in a handful of indexed, aggregated
queries (popularity from the worker's day totals, not from the event log);
:mod:`app.ranking.rank` then works on plain data. A page of the feed is
(candidates published up to the feed session's start) minus (cards already
served in that session), ranked, first N: new cards arriving mid-scroll wait
for the next refresh, and no card is served twice or skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, or_
from sqlmodel import Session, col, select

from app.models import (
    Card,
    CardState,
    ConsumerInterest,
    Event,
    EventKind,
    FeedPreference,
    InterestState,
    Organization,
    PartnerFollow,
    Provider,
    ProviderBlock,
    ProviderStatus,
    SurveyAnswer,
    stored_id,
)
from app.ranking.affinity import (
    NO_AFFINITIES,
    EventRecord,
    affinities_from_events,
)
from app.ranking.candidate import Candidate, offer_fields
from app.ranking.catalog import Catalog, Snapshot, interests_of, with_deliveries
from app.ranking.choices import NO_CHOICES, FeedChoices
from app.ranking.plans import PAGES_AHEAD, FeedPlans, Plan
from app.ranking.pool import CandidatePool
from app.ranking.rank import Profile, Ranked, candidate_slugs, feed_scores, rank
from app.ranking.rollup import delivered_today
from cards.taxonomy import Taxonomy

# Events older than this weigh under 6% (four affinity half-lives): not worth reading.
EVENT_HORIZON = timedelta(days=90)
MAX_EVENTS = 2000  # the most recent ones, through ix_event_user_time
MAX_FLIGHTS = 200  # running promotions and surveys considered for one page
MAX_RECHECKS = 3  # pages ranked again when cards turn out to be gone

Keep = Callable[[Candidate], bool]  # which cards a narrowed feed session shows


def load_profile(
    db: Session, user_id: int, *, taxonomy: Taxonomy, now: datetime, learned: bool = True
) -> Profile:
    """One consumer's profile, for a page of their feed."""
    return load_profiles(db, [user_id], taxonomy=taxonomy, now=now, learned=learned)[user_id]


def load_profiles(
    db: Session,
    user_ids: Iterable[int],
    *,
    taxonomy: Taxonomy,
    now: datetime,
    learned: bool = True,
) -> dict[int, Profile]:
    """Each consumer's profile, in the same eight queries however many consumers there
    are: the notification job ranks news for thousands of them at a time. The queries
    list the ids, so callers pass a few hundred at most. Without ``learned``, what the
    consumer chose and did alone (no affinities, and no history read)."""
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
    followed_providers = select(PartnerFollow.user_id, Provider.id).join(
        Provider, col(Provider.organization_id) == PartnerFollow.organization_id
    )
    followed = _per_user(db, followed_providers, PartnerFollow.user_id, ids)
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
    chosen = _feed_choices(db, ids)
    events = _recent_events(db, ids, now) if learned else {}
    return {
        user_id: Profile(
            follows=frozenset(follows[user_id]),
            muted=frozenset(muted[user_id]),
            hidden_providers=frozenset(hidden[user_id]),
            followed_providers=frozenset(followed[user_id]),
            dismissed=frozenset(dismissed[user_id]),
            answered=frozenset(answered[user_id]),
            feed=chosen.get(user_id, NO_CHOICES),
            affinities=affinities_from_events(events[user_id], now) if learned else NO_AFFINITIES,
        )
        for user_id in ids
    }


def _feed_choices(db: Session, ids: list[int]) -> dict[int, FeedChoices]:
    """The feed settings of those of ``ids`` who changed any (``/settings/feed``)."""
    rows = db.exec(select(FeedPreference).where(col(FeedPreference.user_id).in_(ids)))
    return {row.user_id: feed_choices(row) for row in rows}


def feed_choices(row: FeedPreference | None) -> FeedChoices:
    """A stored row of feed settings as ranking reads it; no row is every default."""
    if row is None:
        return NO_CHOICES
    return FeedChoices(
        kinds=dict(row.kinds or {}),
        in_stock_only=row.in_stock_only,
        deals_only=row.deals_only,
        density=row.density,
    )


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


def as_candidate(card: Card, interests: Iterable[str]) -> Candidate:
    """A stored card as ranking sees it, to explain or score it outside the feed."""
    return Candidate(
        card_id=card.id or 0,
        provider_id=card.provider_id,
        kind=card.kind,
        interests=tuple(interests),
        published_at=card.published_at,
        badge=card.badge,
        starts_at=card.starts_at,
        ends_at=card.ends_at,
        first_seen_ts=card.first_seen_at.timestamp(),
        **offer_fields(card.payload, card.updated_at),
    )


@dataclass
class FeedPage:
    ranked: list[Ranked]
    cards: dict[int, Card]
    interests: dict[int, list[str]]  # of the page's cards, as the candidates were read
    has_more: bool
    viewer_rate: float  # the consumer's usual open rate, for the page's impressions
    # The profile the page was ranked with (its feed settings too): what the page does
    # next with the shopper's tastes (a thin page's popular cards) reuses it, not a
    # second read of the same eight tables.
    profile: Profile
    planned: bool = False  # taken from a plan ranked ahead, not ranked while the shopper waited
    # "Since your last visit": the best cards stored since, above the page (its cards
    # are in ``cards`` too, and not among ``ranked``).
    caught_up: list[Ranked] = field(default_factory=list)


def build_page(
    db: Session,
    user_id: int,
    taxonomy: Taxonomy,
    catalog: Catalog,
    *,
    as_of: datetime,
    now: datetime,
    feed_session: str,
    page_size: int,
    candidate_limit: int,
    plans: FeedPlans | None = None,
    keep: Keep | None = None,
    new_since: datetime | None = None,
    catch_up: int = 0,
) -> FeedPage:
    """A page of ``user_id``'s feed: the catalog snapshot's candidates about their
    interests, minus what this feed session served, ranked against their profile.

    The page's cards are then read to be shown; one the snapshot could not know was
    gone (deleted, or its provider suspended or removed) is left out with the rest
    of its provider's cards, and the page ranked again without them. With ``plans``,
    a visit's second page ranks the next few pages at once, and the pages after it
    come from that plan (see :mod:`app.ranking.plans`).

    ``keep`` narrows the session to some cards (a filter chip, :mod:`app.ranking.choices`).
    With ``new_since``, a first page also picks up to ``catch_up`` of the best cards stored
    since then ("Since your last visit"), and the page is ranked without them."""
    served: set[int] = set(
        db.scalars(
            select(col(Event.card_id)).where(
                Event.user_id == user_id,
                Event.feed_session == feed_session,
                Event.kind == EventKind.IMPRESSION,
            )
        )
    )
    # A visit's first page has a plan only when the worker prepared it (app.ranking.prepared).
    plan = plans.get(user_id, feed_session) if plans is not None else None
    if plan is not None:
        planned = _page_from_plan(db, plan, served, user_id, taxonomy, now, page_size)
        if planned is not None:
            return planned
    planning = plans if served else None  # a visit's first page plans nothing
    profile = load_profile(db, user_id, taxonomy=taxonomy, now=now)
    # One card more than is laid out tells whether there is a next page.
    limit = page_size * (PAGES_AHEAD if planning is not None else 1) + 1
    shown = rank_shown(
        db,
        user_id,
        profile,
        catalog.current(db, now),
        taxonomy,
        as_of=as_of,
        now=now,
        served=served,
        limit=limit,
        page_size=page_size,
        candidate_limit=candidate_limit,
        keep=keep,
        new_since=None if served else new_since,
        catch_up=catch_up,
    )
    ranked = shown.ranked
    if planning is not None:
        ahead = Plan.of(ranked[page_size:], profile.affinities, complete=len(ranked) < limit)
        planning.put(user_id, feed_session, ahead)
    return _feed_page(
        shown.page, shown.cards, profile, has_more=len(ranked) > page_size, caught_up=shown.new
    )


class Shown(NamedTuple):
    """A ranking of what a shopper may be shown (:func:`rank_shown`)."""

    ranked: list[Ranked]  # up to the limit asked for
    page: list[Ranked]  # its first page, of the cards still there
    cards: dict[int, Card]  # the page's cards and the new ones', by id
    new: list[Ranked]  # the best cards stored since a moment, when asked for


def rank_shown(
    db: Session,
    user_id: int,
    profile: Profile,
    snapshot: Snapshot,
    taxonomy: Taxonomy,
    *,
    as_of: datetime,
    now: datetime,
    served: set[int],
    limit: int,
    page_size: int,
    candidate_limit: int,
    keep: Keep | None = None,
    new_since: datetime | None = None,
    catch_up: int = 0,
) -> Shown:
    """``user_id``'s ranking of the snapshot's candidates up to ``limit`` cards, its first
    page of cards that can still be shown, and those cards: a feed page's, or the first
    pages the worker prepares (:mod:`app.ranking.prepared`). A card of the first page the
    snapshot could not know was gone is left out with the rest of its provider's cards,
    and the ranking run again without them.

    Only the cards ``keep`` keeps are ranked. With ``new_since``, the best ``catch_up``
    ordinary cards first stored after it are ranked apart (promotions keep their slots
    in the page) and the rest without them."""
    listings = snapshot.candidates(
        candidate_slugs(profile, taxonomy),
        as_of=as_of,
        skip=served,
        limit=candidate_limit,
        max_flights=MAX_FLIGHTS,
    )
    if keep is not None:
        listings = [listing for listing in listings if keep(listing.candidate)]
    candidates = with_deliveries(
        listings, lambda provider_ids: delivered_today(db, provider_ids, user_id, now)
    )
    new: list[Ranked] = []
    if new_since is not None and catch_up > 0:
        since = new_since.timestamp()
        fresh = [
            candidate
            for candidate, listing in zip(candidates, listings, strict=True)
            if listing.first_seen_ts > since and not candidate.rules.sponsored
        ]
        new = rank(profile, fresh, now, taxonomy, limit=catch_up, page_size=catch_up)
        taken = {r.candidate.card_id for r in new}
        candidates = [c for c in candidates if c.card_id not in taken]
    for _ in range(MAX_RECHECKS):
        ranked = rank(profile, candidates, now, taxonomy, limit=limit, page_size=page_size)
        page = ranked[:page_size]
        wanted = [r.candidate.card_id for r in (*new, *page)]
        cards = shown_cards(db, wanted, now)
        gone = set(wanted) - cards.keys()
        if not gone:
            break
        closed = _closed_providers(
            db, {r.candidate.provider_id for r in page if r.candidate.card_id in gone}
        )
        candidates = [
            c
            for c in candidates
            if c.card_id not in gone and (c.provider_id not in closed or c.card_id in cards)
        ]
    kept = [r for r in page if r.candidate.card_id in cards]
    return Shown(ranked, kept, cards, [r for r in new if r.candidate.card_id in cards])


def _page_from_plan(
    db: Session,
    plan: Plan,
    served: set[int],
    user_id: int,
    taxonomy: Taxonomy,
    now: datetime,
    page_size: int,
) -> FeedPage | None:
    """The next page of ``plan``, after what the shopper chose and did since; None when
    the plan cannot make a full page (or a card of it is gone): rank again then."""
    left = [p for p in plan.cards if p.candidate.card_id not in served]
    chosen = load_profile(db, user_id, taxonomy=taxonomy, now=now, learned=False)
    profile = replace(chosen, affinities=plan.affinities)
    kept = feed_scores(profile, CandidatePool([p.candidate for p in left]), now, taxonomy)
    left = [p for p in left if p.candidate.card_id in kept]
    if len(left) <= page_size and not plan.complete:
        return None
    page = [Ranked(p.candidate, p.score, p.reasons) for p in left[:page_size]]
    cards = shown_cards(db, [r.candidate.card_id for r in page], now)
    if len(cards) < len(page):
        return None
    return _feed_page(page, cards, profile, has_more=len(left) > page_size, planned=True)


def _feed_page(
    page: list[Ranked],
    cards: dict[int, Card],
    profile: Profile,
    *,
    has_more: bool,
    planned: bool = False,
    caught_up: list[Ranked] | None = None,
) -> FeedPage:
    return FeedPage(
        ranked=page,
        cards=cards,
        interests={
            r.candidate.card_id: list(r.candidate.interests) for r in [*(caught_up or []), *page]
        },
        has_more=has_more,
        viewer_rate=profile.affinities.usual_open_rate,
        profile=profile,
        planned=planned,
        caught_up=caught_up or [],
    )


def _closed_providers(db: Session, provider_ids: set[int]) -> set[int]:
    """Those of ``provider_ids`` whose cards cannot be shown: suspended (alone or with
    their organisation), or removed."""
    open_ = db.exec(select(Provider.id).where(col(Provider.id).in_(provider_ids), *_open())).all()
    return provider_ids - set(open_)


def _open() -> tuple[ColumnElement[bool], ...]:
    """The rules for a provider whose cards may be shown: neither it nor its organisation
    suspended by staff (an organisation's suspension covers providers registered since)."""
    suspended = select(Organization.id).where(col(Organization.suspended_at).is_not(None))
    return (
        col(Provider.status) != ProviderStatus.SUSPENDED,
        col(Provider.organization_id).not_in(suspended),
    )


def shown_now(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The feed's rules for a card anyone may see at ``now`` (with ``Provider`` joined):
    not removed, released (``starts_at``), not ended (``ends_at``), and neither its
    provider nor its organisation suspended. A provider that was removed took its cards
    with it."""
    return (
        col(Card.removed_at).is_(None),
        or_(col(Card.starts_at).is_(None), col(Card.starts_at) <= now),
        or_(col(Card.ends_at).is_(None), col(Card.ends_at) > now),
        *_open(),
    )


def shown_cards(db: Session, card_ids: Sequence[int], now: datetime) -> dict[int, Card]:
    """Those of ``card_ids`` that the feed may show at ``now``, by id: a feed page's, a
    card page's, a digest's."""
    if not card_ids:
        return {}
    found = db.exec(
        select(Card)
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(col(Card.id).in_(list(card_ids)), *shown_now(now))
    )
    return {stored_id(card): card for card in found}
