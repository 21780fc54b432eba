"""Ranking: a pure function of (consumer profile, candidates, now).

Nothing here touches the database, the clock or the request, so the same
input always gives the same order; it can be tested with hypothesis and
benchmarked alone. The request path loads the profile and the candidates
through indexed queries and hands them over.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cards.taxonomy import Taxonomy

HALF_LIFE = {
    "product_feed": timedelta(days=4),
    "youtube": timedelta(days=6),
    "pinterest": timedelta(days=10),
}
DEFAULT_HALF_LIFE = timedelta(days=5)
PARTIAL_MATCH = 0.4  # a card about `shoes` for someone who follows `shoes/running`
BADGE_LIFT = {"price_drop": 0.35, "new": 0.1}
MAX_RUN_PER_PROVIDER = 2


@dataclass(frozen=True)
class Candidate:
    card_id: int
    provider_id: int
    kind: str
    interests: tuple[str, ...]
    published_at: datetime
    badge: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class Profile:
    follows: frozenset[str] = frozenset()
    muted: frozenset[str] = frozenset()
    hidden_providers: frozenset[int] = frozenset()
    dismissed: frozenset[int] = frozenset()
    answered: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Reason:
    """Why a card is in the feed, in a form a template can put into words."""

    code: str  # "follow", "related", "sponsored", "price_drop", "new"
    interest: str | None = None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    reasons: tuple[Reason, ...] = field(default=())


def rank(
    profile: Profile, candidates: Sequence[Candidate], now: datetime, taxonomy: Taxonomy
) -> list[Ranked]:
    """Filter, score and order ``candidates`` for one consumer."""
    scored: list[Ranked] = []
    for candidate in candidates:
        if not _eligible(profile, candidate, now, taxonomy):
            continue
        match, interest, partial = _interest_match(profile, candidate, taxonomy)
        if match <= 0:
            continue
        score = match * _freshness(candidate, now) + BADGE_LIFT.get(candidate.badge or "", 0.0)
        scored.append(Ranked(candidate, score, _reasons(candidate, interest, partial)))
    scored.sort(
        key=lambda r: (-r.score, -r.candidate.published_at.timestamp(), -r.candidate.card_id)
    )
    return _limit_provider_runs(scored)


def explain(profile: Profile, candidate: Candidate, taxonomy: Taxonomy) -> tuple[Reason, ...]:
    """Why ``candidate`` matches ``profile``, whether or not it would be shown now
    (a card re-drawn after an action, a saved card)."""
    match, interest, partial = _interest_match(profile, candidate, taxonomy)
    return _reasons(candidate, interest, partial) if match > 0 else ()


def _reasons(candidate: Candidate, interest: str | None, partial: bool) -> tuple[Reason, ...]:
    reasons = [Reason("related" if partial else "follow", interest)]
    if candidate.kind == "promotion":
        reasons.insert(0, Reason("sponsored", interest))
    if candidate.badge == "price_drop":
        reasons.append(Reason("price_drop"))
    return tuple(reasons)


def _eligible(profile: Profile, candidate: Candidate, now: datetime, taxonomy: Taxonomy) -> bool:
    if candidate.provider_id in profile.hidden_providers:
        return False
    if candidate.card_id in profile.dismissed or candidate.card_id in profile.answered:
        return False
    if candidate.starts_at is not None and candidate.starts_at > now:
        return False
    if candidate.ends_at is not None and candidate.ends_at <= now:
        return False
    return not any(_is_muted(profile, slug, taxonomy) for slug in candidate.interests)


def _is_muted(profile: Profile, slug: str, taxonomy: Taxonomy) -> bool:
    return slug in profile.muted or any(a in profile.muted for a in taxonomy.ancestors(slug))


def _interest_match(
    profile: Profile, candidate: Candidate, taxonomy: Taxonomy
) -> tuple[float, str | None, bool]:
    """Best match among the card's interests: (strength, followed interest, partial?)."""
    best: tuple[float, str | None, bool] = (0.0, None, False)
    for slug in candidate.interests:
        if slug in profile.follows:
            return (1.0, slug, False)
        for ancestor in taxonomy.ancestors(slug):
            if ancestor in profile.follows:
                best = max(best, (1.0, ancestor, False), key=lambda t: t[0])
                break
        else:
            followed_child = next(
                (f for f in sorted(profile.follows) if f.startswith(slug + "/")), None
            )
            if followed_child and best[0] < PARTIAL_MATCH:
                best = (PARTIAL_MATCH, followed_child, True)
    return best


def _freshness(candidate: Candidate, now: datetime) -> float:
    if candidate.kind in ("promotion", "survey"):
        return 0.6
    age = max((now - candidate.published_at).total_seconds(), 0.0)
    half_life = HALF_LIFE.get(candidate.kind, DEFAULT_HALF_LIFE).total_seconds()
    return math.pow(0.5, age / half_life)


def _limit_provider_runs(ranked: list[Ranked]) -> list[Ranked]:
    """Reorder so that no more than two cards in a row come from one provider.

    Each position takes the best remaining card that does not extend a run;
    when only one provider is left, its cards follow in order.
    """
    remaining = list(ranked)
    out: list[Ranked] = []
    while remaining:
        pick = 0
        tail = Counter(r.candidate.provider_id for r in out[-MAX_RUN_PER_PROVIDER:])
        last = out[-1].candidate.provider_id if out else None
        if last is not None and tail[last] >= MAX_RUN_PER_PROVIDER:
            pick = next((i for i, r in enumerate(remaining) if r.candidate.provider_id != last), 0)
        out.append(remaining.pop(pick))
    return out
