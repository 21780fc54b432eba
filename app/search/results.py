"""A page of search results for one shopper: the index's best matches among the cards
the feed may show them, ordered by relevance blended with their tastes.

Of the index's :data:`NEWEST_MATCHES` newest matches, one query keeps the
:data:`MAX_RESULTS` most relevant that the feed's rules let anyone see now
(:func:`app.ranking.candidates.shown_now`: not removed, released, not ended, provider not
suspended) and the shopper did not turn away (muted interests, hidden providers,
dismissed cards). :func:`app.ranking.rank.search_order` orders them with the profile the
feed ranks with, and a page is a slice of that order. Searching writes nothing: no
impression, no event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, select
from sqlmodel import Session, col

from app.models import Card, CardInterest, Provider
from app.ranking.candidates import load_profile, shown_cards, shown_now
from app.ranking.catalog import CARD_COLUMNS, column_candidate, interests_of
from app.ranking.rank import Profile, Reason, search_order
from app.search import spelling
from app.search.index import match
from app.search.query import SearchQuery
from cards.taxonomy import Taxonomy

NEWEST_MATCHES = 2_000  # matching cards ranked by relevance: the newest (app.search.index)
MAX_RESULTS = 200  # the most relevant of them ordered for a shopper; pages go this far
PAGE_SIZE = 20
MAX_PAGES = MAX_RESULTS // PAGE_SIZE


@dataclass
class SearchResults:
    cards: list[tuple[Card, tuple[Reason, ...]]]  # this page's, in order, with their reasons
    interests: dict[int, list[str]]  # of this page's cards
    has_more: bool
    also: list[str]  # known words searched for a misspelt one ("runing": "running")


def search_cards(
    db: Session,
    user_id: int,
    query: SearchQuery,
    taxonomy: Taxonomy,
    *,
    now: datetime,
    page: int,
) -> SearchResults:
    """Page ``page`` (from 1, at most :data:`MAX_PAGES`) of ``query``'s results for
    ``user_id``; the query has words."""
    alternatives = spelling.alternatives(db, query.words)
    profile = load_profile(db, user_id, taxonomy=taxonomy, now=now)
    found = _matches(db, alternatives, profile, taxonomy, now)
    interests = interests_of(db, [row.id for row in found])
    candidates = [
        (
            column_candidate(row._mapping, tuple(interests.get(row.id, ()))),
            row.relevance,
        )
        for row in found
    ]
    start = (page - 1) * PAGE_SIZE
    ordered = search_order(
        profile, candidates, now, taxonomy, explained=slice(start, start + PAGE_SIZE)
    )
    on_page = ordered[start : start + PAGE_SIZE]
    shown = shown_cards(db, [r.candidate.card_id for r in on_page], now)
    return SearchResults(
        cards=[
            (shown[r.candidate.card_id], r.reasons) for r in on_page if r.candidate.card_id in shown
        ],
        interests={r.candidate.card_id: list(r.candidate.interests) for r in on_page},
        has_more=len(ordered) > start + PAGE_SIZE and page < MAX_PAGES,
        also=[  # the words it may have meant, not those it may be the start of
            other
            for word, options in zip(query.words, alternatives, strict=True)
            for other in options[1:]
            if not other.startswith(word)
        ],
    )


def _matches(
    db: Session,
    alternatives: list[tuple[str, ...]],
    profile: Profile,
    taxonomy: Taxonomy,
    now: datetime,
) -> list[Any]:
    """The most relevant matching cards the shopper may be shown: ranking's columns of
    them (:data:`app.ranking.catalog.CARD_COLUMNS`) and their relevance."""
    index = match(db, alternatives, newest=NEWEST_MATCHES)
    relevance = index.relevance.label("relevance")
    query = (
        select(*CARD_COLUMNS, relevance)
        .select_from(index.matched)
        .join(Card, col(Card.id) == index.card_id)
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(*shown_now(now))
        .order_by(relevance.desc(), col(Card.id).desc())
        .limit(MAX_RESULTS)
    )
    if profile.hidden_providers:
        query = query.where(col(Card.provider_id).not_in(profile.hidden_providers))
    if profile.dismissed:
        query = query.where(col(Card.id).not_in(profile.dismissed))
    muted = {slug for muted in profile.muted for slug in taxonomy.descendants(muted)}
    if muted:
        query = query.where(
            ~exists().where(
                col(CardInterest.card_id) == col(Card.id), col(CardInterest.slug).in_(muted)
            )
        )
    return list(db.execute(query).all())
