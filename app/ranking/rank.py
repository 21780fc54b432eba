"""Ranking: a pure function of (consumer profile, candidates, now).

Nothing here touches the database, the clock or the request, so the same
input always gives the same order, in any process; it can be tested with
hypothesis and benchmarked alone. The request path
(:mod:`app.ranking.candidates`) loads the profile and the candidates through indexed
queries and hands them over.

A card's score is a product of factors, each near 1 when it knows nothing:

- **interest**: the consumer's followed interests through the taxonomy
  (following `shoes` matches `shoes/running` fully, its parent or a sibling
  partly) plus what their behaviour taught (:mod:`app.ranking.affinity`); several
  matching interests add up with diminishing returns;
- **kind** and **provider**: learned affinities; a provider of an organisation the
  consumer follows is lifted too;
- **freshness**: a half-life per kind; promotions and surveys age from the
  start of their own flight; new products and price drops are lifted;
- **popularity**: smoothed opens over the opens the card's viewers usually
  give (:mod:`app.ranking.popularity`);
- **fatigue**: a card shown again and again without an open sinks, then leaves.

Hard filters (muted interests, hidden providers, dismissed cards, answered
surveys, cards outside their dates, promotions and surveys beyond their caps
or ahead of their pacing) come first and are absolute. :mod:`app.ranking.compose`
then lays the scored cards out as pages (diversity, promotion and exploration
slots, one survey per page).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np

from app.ranking.affinity import ANCESTOR_SHARE, NO_AFFINITIES, Affinities, lineage
from app.ranking.candidate import (
    Candidate,
)
from app.ranking.choices import NO_CHOICES, FeedChoices
from app.ranking.compose import Scored, compose
from app.ranking.pool import CandidatePool, InterestSets
from cards.taxonomy import Taxonomy

FRESHNESS_FLOOR = 0.4  # an old card still relevant to you beats a fresh one that is not
FRESHNESS_SPAN = 1 - FRESHNESS_FLOOR

FULL_MATCH = 1.0  # the card is about something you follow, or something below it
PARENT_MATCH = 0.4  # a card about `shoes` for someone who follows `shoes/running`
SIBLING_MATCH = 0.25  # a card about `shoes/hiking` for the same person
LEARNED_WEIGHT = 1.0  # how much a learned interest affinity (in [-1, 1]) adds to a match
DIMINISHING = 0.5  # the second matching interest counts half, the third a quarter...
# Below this, a learned affinity alone does not make a card worth showing: an open
# of a running shoe lifts `apparel` a little, but not every dress with it.
MIN_LEARNED = 0.15

POPULAR_REASON = 1.5  # a popularity multiplier worth naming
# A followed partner's cards: as much as popularity worth naming, below a strong learned
# provider affinity (up to e = 2.7), so what the consumer does still counts for more.
FOLLOWED_PARTNER_LIFT = 1.5
LIKED_SOURCE_REASON = 0.25  # a provider affinity worth naming
# "You often open cards from X" is said only after this many of X's cards were opened,
# saved or answered: one save is not "often".
LIKED_SOURCE_MIN_CARDS = 3

FATIGUE_STEP = 0.75  # each impression beyond the first without an open
FATIGUE_LIMIT = 5  # impressions without an open after which a card leaves

SORTED_AHEAD = 512  # cards sorted before composition starts; a page reads a few hundred
PACING_BURST = 0.02  # share of the daily cap a promotion or survey may run ahead of pacing


@dataclass(frozen=True)
class Profile:
    follows: frozenset[str] = frozenset()
    muted: frozenset[str] = frozenset()
    hidden_providers: frozenset[int] = frozenset()
    # Providers of the organisations the consumer follows (app.shopper.follows).
    followed_providers: frozenset[int] = frozenset()
    dismissed: frozenset[int] = frozenset()
    answered: frozenset[int] = frozenset()
    affinities: Affinities = NO_AFFINITIES
    feed: FeedChoices = NO_CHOICES  # /settings/feed (app.ranking.choices)


@dataclass(frozen=True)
class Reason:
    """Why a card is in the feed, in a form a template can put into words.

    Codes: ``follow``, ``related`` (a followed interest, fully or partly
    matched), ``saved_similar``, ``opened_similar`` (a learned interest),
    ``liked_source`` (a learned provider), ``followed_partner`` (the provider's
    organisation is followed), ``sponsored``, ``explore``, ``popular``,
    ``price_drop``, ``new``.

    A learned reason says how much happened, so that its words claim no more:
    ``count`` cards about ``interest`` saved (or engaged with), and when it was a
    single saved card, which one (``card_id``).
    """

    code: str
    interest: str | None = None
    provider_id: int | None = None
    count: int = 0
    card_id: int | None = None


@dataclass(frozen=True)
class Ranked:
    candidate: Candidate
    score: float
    reasons: tuple[Reason, ...] = field(default=())
    # Each factor of the score (1.0 = neutral; "interest" is the match itself), for a
    # "Why this card?" panel: interest, kind, provider, freshness, popularity, badge, fatigue.
    signals: dict[str, float] = field(default_factory=dict)


def rank(
    profile: Profile,
    candidates: Sequence[Candidate],
    now: datetime,
    taxonomy: Taxonomy,
    *,
    limit: int | None = None,
    page_size: int = 20,
) -> list[Ranked]:
    """Filter, score and lay out ``candidates`` for one consumer.

    ``limit`` stops after that many cards (the request path asks for one page
    and one more card, to know whether there is a next page); the layout is
    built position by position, so the first N cards are the same whatever
    the limit.
    """
    scorer = Scorer(profile, now, taxonomy)
    scores = scorer.score(CandidatePool(candidates))
    promotions = scorer.promotions(scores)
    placed = compose(
        scores.best_first(), promotions, limit=limit, page_size=page_size, is_new=scorer.is_new
    )
    ranked = []
    for scored, via in placed:
        signals = scores.signals(scored.position)
        reasons = scorer.reasons(scored.candidate, via, signals)
        ranked.append(Ranked(scored.candidate, scored.score, reasons, signals))
    return ranked


def feed_scores(
    profile: Profile, pool: CandidatePool, now: datetime, taxonomy: Taxonomy
) -> dict[int, float]:
    """Card id -> score, for the cards in ``pool`` the feed would show this consumer at
    all (the hard filters, and a promotion's targeting and caps), without laying out
    a page: notifications rank one pool of news for thousands of consumers."""
    scorer = Scorer(profile, now, taxonomy)
    scores = scorer.score(pool)
    shown = {scored.candidate.card_id: scored.score for scored in scorer.promotions(scores)}
    positions = scores.organic().tolist()
    card_ids = (pool.candidates[position].card_id for position in positions)
    shown.update(zip(card_ids, scores.score[positions].tolist(), strict=True))
    return shown


SEARCH_TASTE = 0.5  # how far a shopper's tastes move a search result: x0.5 to x2


def search_order(
    profile: Profile,
    found: Sequence[tuple[Candidate, float]],
    now: datetime,
    taxonomy: Taxonomy,
    *,
    explained: slice = slice(None),
) -> list[Ranked]:
    """Search results for one consumer, best first, with their reasons: each card's
    relevance to the search (any positive scale) blended with what the feed knows of
    their tastes.

    The feed's hard filters hold (a card about a muted interest, from a hidden provider,
    dismissed or an answered survey is left out, and so are the kinds and offers the
    shopper's feed settings leave out), but a card about nothing the consumer
    follows stays: a search finds what was asked for, tastes only order it. Relevance is
    taken as a share of the best one's; tastes multiply it by the learned provider and
    kind affinities, a lift of up to 2x for followed and learned interests (down to 0.5x
    for disliked ones), and half the feed's freshness. Reasons are drawn up for the
    ``explained`` part of the order alone (the page shown): a search orders 200 cards and
    shows 20, and explaining the rest cost a twentieth of a search."""
    if not found:
        return []
    scorer = Scorer(profile, now, taxonomy)
    scores = scorer.score(CandidatePool([candidate for candidate, _ in found]))
    factors = scores.factors
    relevance = np.array([max(value, 0.0) for _, value in found])
    relevance /= max(relevance.max(), 1e-9)
    interest = factors["interest"]
    muted = np.isneginf(interest)
    lift = 1.0 + SEARCH_TASTE * np.clip(np.where(muted, 0.0, interest), -1.0, 2.0)
    score = relevance * lift * factors["provider"] * factors["kind"]
    score *= np.sqrt(factors["freshness"])
    removed = profile.dismissed | profile.answered
    offers = profile.feed.offer_mask(scores.pool.numbers, now.timestamp()).tolist()
    ordered = sorted(
        (
            (-value, -candidate.card_id, position)
            for position, (candidate, value, is_muted, offered) in enumerate(
                zip(scores.pool.candidates, score.tolist(), muted.tolist(), offers, strict=True)
            )
            if not is_muted and value > 0 and candidate.card_id not in removed and offered
        ),
    )
    shown = range(len(ordered))[explained]
    return [
        Ranked(
            scores.pool.candidates[position],
            -value,
            _explained(scorer, scores, position) if place in shown else (),
        )
        for place, (value, _, position) in enumerate(ordered)
    ]


def explain(
    profile: Profile, candidate: Candidate, taxonomy: Taxonomy, now: datetime
) -> tuple[Reason, ...]:
    """Why ``candidate`` matches ``profile``, whether or not it would be shown now
    (a card re-drawn after an action, a saved card)."""
    scorer = Scorer(profile, now, taxonomy)
    return _explained(scorer, scorer.score(CandidatePool([candidate])), 0)


def _explained(scorer: Scorer, scores: Scores, position: int) -> tuple[Reason, ...]:
    """Why the card at ``position`` matches the scorer's consumer: none when it does not
    (its frame then says where it is from)."""
    candidate = scores.pool.candidates[position]
    if scorer.match(candidate.interests).value <= 0:
        return ()
    return scorer.reasons(candidate, None, scores.signals(position))


def candidate_slugs(profile: Profile, taxonomy: Taxonomy) -> set[str]:
    """Interests whose cards may score above zero, for the candidate query: followed
    ones and what is below them, their parents and siblings' subtrees (partial
    matches), and the subtrees of interests the consumer's behaviour lifted."""
    slugs: set[str] = set()
    for slug in profile.follows:
        slugs.update(taxonomy.descendants(slug))
        ancestors = taxonomy.ancestors(slug)
        slugs.update(ancestors)
        if ancestors:
            for sibling in taxonomy.children(ancestors[0]):
                slugs.update(taxonomy.descendants(sibling))
    for slug, affinity in profile.affinities.interests.items():
        if affinity * LEARNED_WEIGHT >= MIN_LEARNED:
            slugs.update(taxonomy.descendants(slug))
    return slugs


@dataclass(frozen=True, slots=True)
class Match:
    """What a card's interests are worth to one consumer, and which one says why."""

    value: float  # > 0: the card may be shown
    declared: float  # the best declared (followed) match alone, for promotion targeting
    code: str  # the reason's code
    interest: str | None  # the reason's interest
    count: int = 0  # a learned reason's cards (Reason.count)
    card_id: int | None = None  # a learned reason's one saved card (Reason.card_id)


class _SlugValue(NamedTuple):
    value: float
    declared: float
    code: str
    interest: str | None
    cards: int = 0
    card_id: int | None = None


NO_MATCH = Match(0.0, 0.0, "follow", None)


class Scores:
    """A ranking's view of a pool: every card's factors and score, and the cards the
    hard filters keep (promotions before their targeting and pacing)."""

    def __init__(
        self,
        pool: CandidatePool,
        score: np.ndarray,
        factors: dict[str, np.ndarray],
        kept: np.ndarray,
    ) -> None:
        self.pool = pool
        self.score = score
        self.factors = factors
        self.kept = kept
        self._sponsored = pool.where_kind(lambda kind: kind.sponsored)

    def at(self, position: int) -> Scored:
        return Scored(self.pool.candidates[position], self.score[position].item(), position)

    def promoted(self) -> np.ndarray:
        """Positions of the kept promotions."""
        return np.flatnonzero(self.kept & self._sponsored)

    def organic(self) -> np.ndarray:
        """Positions of the kept ordinary cards and surveys."""
        return np.flatnonzero(self.kept & ~self._sponsored)

    def best_first(self) -> BestFirst:
        """The kept ordinary cards and surveys, best first."""
        return BestFirst(self, self.organic())

    def signals(self, position: int) -> dict[str, float]:
        """Each factor of the card's score (empty if a hard filter removes it)."""
        if not self.kept[position]:
            return {}
        return {name: values[position].item() for name, values in self.factors.items()}


class BestFirst:
    """Cards by score, best first (ties: the newer card id, then input order), sorted
    as far as composition reads: the best :data:`SORTED_AHEAD` at once, the rest only
    if composition goes past them. A card becomes a :class:`Scored` when it is read."""

    def __init__(self, scores: Scores, positions: np.ndarray) -> None:
        self._scores = scores
        self._count = len(positions)
        self._rest = positions[:0]
        if self._count > SORTED_AHEAD:
            values = scores.score[positions]
            threshold = np.partition(values, self._count - SORTED_AHEAD)[-SORTED_AHEAD]
            ahead = values >= threshold  # ties with the threshold come along
            positions, self._rest = positions[ahead], positions[~ahead]
        self._order = self._sorted(positions)

    def _sorted(self, positions: np.ndarray) -> list[int]:
        card_ids = self._scores.pool.numbers["card_id"][positions]
        order = np.lexsort((positions, -card_ids, -self._scores.score[positions]))
        ordered: list[int] = positions[order].tolist()
        return ordered

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, rank: int) -> Scored:
        if rank >= len(self._order) and len(self._rest):
            self._order += self._sorted(self._rest)
            self._rest = self._rest[:0]
        return self._scores.at(self._order[rank])


class Scorer:
    """One consumer's preferences, prepared once per ranking as lookup tables: every
    taxonomy walk happens once per distinct interest, never once per candidate, and
    each signal costs the hot loop one dictionary lookup."""

    def __init__(self, profile: Profile, now: datetime, taxonomy: Taxonomy) -> None:
        self.profile = profile
        self.now = now
        self.taxonomy = taxonomy
        self._now_ts = now.timestamp()
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        self._today = (day.timestamp(), (day + timedelta(days=1)).timestamp())
        affinities = profile.affinities
        # Card -> multiplier: 0 removes it (dismissed, answered, worn out), < 1 is fatigue.
        self._card_factor = {
            card: 0.0 if n >= FATIGUE_LIMIT else FATIGUE_STEP ** (n - 1)
            for card, n in affinities.ignored.items()
            if n > 1
        }
        self._card_factor.update(dict.fromkeys(profile.dismissed | profile.answered, 0.0))
        # Provider -> multiplier: 0 removes it (hidden), otherwise the learned affinity,
        # lifted for a followed partner's.
        self._provider_factor = {p: math.exp(a) for p, a in affinities.providers.items()}
        for followed in profile.followed_providers:
            lifted = self._provider_factor.get(followed, 1.0) * FOLLOWED_PARTNER_LIFT
            self._provider_factor[followed] = lifted
        self._provider_factor.update(dict.fromkeys(profile.hidden_providers, 0.0))
        # Kind -> learned multiplier.
        self._kinds = {kind: math.exp(affinity) for kind, affinity in affinities.kinds.items()}
        self._follow_below: dict[str, str] = {}  # an ancestor of a followed interest -> it
        self._sibling_of: dict[str, str] = {}  # a followed interest's sibling -> it
        for slug in sorted(profile.follows):
            ancestors = lineage(slug)[1:]
            for ancestor in ancestors:
                self._follow_below.setdefault(ancestor, slug)
            for sibling in taxonomy.children(ancestors[0]) if ancestors else ():
                if sibling not in profile.follows:
                    self._sibling_of.setdefault(sibling, slug)
        self._slugs: dict[str, _SlugValue] = {}
        self._slug_values: dict[str, float] = {}  # the hot path: values alone
        self._values: dict[tuple[str, ...], float] = {}
        self._matches: dict[tuple[str, ...], Match] = {}

    def score(self, pool: CandidatePool) -> Scores:
        """Every candidate's factors and score, and which of them pass the hard filters.

        The one place a score is computed, over all the cards at once: each of this
        consumer's preferences is looked up once per distinct provider, kind or set
        of interests, then spread over the cards by their codes."""
        numbers, now = pool.numbers, self._now_ts
        interest = self._interest_values(pool.interests)[pool.interest_code]
        provider = np.array([self._provider_factor.get(p, 1.0) for p in pool.providers])
        provider = provider[pool.provider_code]
        feed = self.profile.feed
        kinds = [self._kinds.get(k.name, 1.0) * feed.kind_factor(k) for k in pool.kinds]
        kind = np.array(kinds, dtype=np.float64).reshape(-1)[pool.kind_code]
        fatigue = self._card_factors(numbers["card_id"])
        rate = numbers["decay_rate"]
        age = now - numbers["aged_from"]
        decayed = FRESHNESS_FLOOR + FRESHNESS_SPAN * np.exp(-rate * np.maximum(age, 0.0))
        freshness = np.where(age > 0, decayed, 1.0)
        badge = np.where(now < numbers["lift_until"], numbers["lift"], 1.0)  # as the badge says
        popularity = numbers["popularity"]
        factors = {
            "interest": interest,
            "kind": kind,
            "provider": provider,
            "fatigue": fatigue,
            "popularity": popularity,
            "freshness": freshness,
            "badge": badge,
        }
        score = np.maximum(interest, 0.0) * fatigue * provider * kind * popularity
        score *= freshness * badge
        kept = (interest > 0) & (fatigue > 0) & (provider > 0) & (kind > 0)
        kept &= feed.offer_mask(numbers, now)
        kept &= (numbers["shown_from"] <= now) & (numbers["shown_until"] > now)
        # Capped cards outside the sponsored slots (survey questions) keep their caps and
        # pace here; sponsored ones in promotions().
        organic_capped = kept & ~pool.where_kind(lambda kind: kind.sponsored)
        for position in np.flatnonzero(organic_capped).tolist():
            candidate = pool.candidates[position]
            if candidate.delivery is not None and self._pacing(candidate) is None:
                kept[position] = False
        return Scores(pool, score, factors, kept)

    def _interest_values(self, interests: InterestSets) -> np.ndarray:
        """What each set of interests is worth: nothing if any is muted, otherwise the
        best one, each further positive one by a shrinking share, plus the strongest
        dislike. Remembered for :meth:`match`."""
        own = np.array([0.0, *map(self._slug_value, interests.slugs)])  # 0: the padding
        values = np.sort(own[interests.matrix], axis=1)[:, ::-1]  # best first
        shares = DIMINISHING ** np.arange(values.shape[1])
        liked = (np.maximum(values, 0.0) * shares).sum(axis=1)
        totals = liked + np.minimum(values[:, -1], 0.0)  # -inf for a muted interest
        self._values.update(zip(interests.sets, totals.tolist(), strict=True))
        return np.asarray(totals, dtype=np.float64)

    def _card_factors(self, card_ids: np.ndarray) -> np.ndarray:
        """Each card's own multiplier: 0 removes it (dismissed, answered, worn out),
        below 1 is fatigue, 1 for the cards this consumer has nothing against."""
        if not self._card_factor:
            return np.ones(len(card_ids))
        ordered = sorted(self._card_factor.items())
        known = np.array([card for card, _ in ordered], dtype=np.float64)
        factor = np.array([value for _, value in ordered])
        at = np.searchsorted(known, card_ids).clip(0, len(known) - 1)
        return np.where(known[at] == card_ids, factor[at], 1.0)

    def match(self, interests: tuple[str, ...]) -> Match:
        """The card's value with the interest that best explains it."""
        found = self._matches.get(interests)
        if found is None:
            value = self._value(interests)
            if value <= 0:
                found = NO_MATCH
            else:
                slugs = [self._slug(slug) for slug in interests]
                best = max(slugs, key=lambda v: v.value)
                declared = max(v.declared for v in slugs)
                found = Match(value, declared, best.code, best.interest, best.cards, best.card_id)
            self._matches[interests] = found
        return found

    def is_new(self, scored: Scored) -> bool:
        """Outside the consumer's known preferences: it is here for an adjacent
        interest, or its provider was never shown to them (once they have a history)."""
        seen = self.profile.affinities.seen_providers
        provider = scored.candidate.provider_id
        return self.match(scored.candidate.interests).code == "related" or bool(
            seen and provider not in seen
        )

    def promotions(self, scores: Scores) -> list[Scored]:
        """The promotions this consumer may see now, most urgent first: only those
        whose targeting names them (a followed interest, or one below or above it),
        within both caps and even pacing; behind-pace ones get ahead."""
        paced = []
        for position in scores.promoted().tolist():
            scored = scores.at(position)
            candidate = scored.candidate
            if self.match(candidate.interests).declared < PARENT_MATCH:
                continue
            urgency = self._pacing(candidate)
            if urgency is not None:
                paced.append((-scored.score * urgency, -candidate.card_id, scored))
        paced.sort(key=lambda t: t[:2])
        return [scored for _, _, scored in paced]

    def reasons(
        self, candidate: Candidate, via: str | None, signals: dict[str, float]
    ) -> tuple[Reason, ...]:
        match = self.match(candidate.interests)
        reasons = []
        if candidate.rules.sponsored:
            targeted = match.interest if match.declared >= PARENT_MATCH else None
            reasons.append(Reason("sponsored", targeted))
        if candidate.provider_id in self.profile.followed_providers:
            reasons.append(Reason("followed_partner", provider_id=candidate.provider_id))
        if via == "explore":
            reasons.append(Reason("explore"))
        reasons.append(Reason(match.code, match.interest, count=match.count, card_id=match.card_id))
        if asked := self.profile.feed.reason_code(candidate):
            reasons.append(Reason(asked))
        affinities = self.profile.affinities
        provider = affinities.providers.get(candidate.provider_id, 0.0)
        engaged = affinities.provider_engagements.get(candidate.provider_id, 0)
        if provider >= LIKED_SOURCE_REASON and engaged >= LIKED_SOURCE_MIN_CARDS:
            reasons.append(Reason("liked_source", provider_id=candidate.provider_id))
        if candidate.popularity >= POPULAR_REASON:
            reasons.append(Reason("popular"))
        if signals.get("badge", 1.0) > 1.0:  # badge_lift's: a price drop's, else being new's
            reasons.append(Reason("price_drop" if candidate.badge == "price_drop" else "new"))
        return tuple(reasons)

    def _value(self, interests: tuple[str, ...]) -> float:
        found = self._values.get(interests)
        if found is None:
            found = self._interest_values(InterestSets.of([interests]))[0].item()
        return found

    def _slug(self, slug: str) -> _SlugValue:
        """The interest's value with the reason it gives: for explanations, so only the
        few cards placed on a page come here."""
        found = self._slugs.get(slug)
        if found is None:
            line = lineage(slug)
            declared, code, interest = self._declared(slug, line)
            learned = self._learned(line, declared)
            if learned > declared:
                found = _SlugValue(declared + learned, declared, *self._learned_reason(line))
            else:
                found = _SlugValue(declared + learned, declared, code, interest)
            self._slugs[slug] = found
        return found

    def _learned_reason(self, line: tuple[str, ...]) -> tuple[str, str, int, int | None]:
        """What the consumer did that lifted an interest, as precisely as it happened:
        the nearest interest of ``line`` with cards they saved (naming the card when it
        was one), else the nearest with cards they opened."""
        affinities = self.profile.affinities
        for slug in line:
            saved = affinities.saved.get(slug)
            if saved:
                return "saved_similar", slug, len(saved), saved[0] if len(saved) == 1 else None
        for slug in line:
            engaged = affinities.engaged.get(slug, 0)
            if engaged:
                return "opened_similar", slug, engaged, None
        return "opened_similar", line[0], 0, None

    def _slug_value(self, slug: str) -> float:
        """The interest's value alone, for scoring: -inf when it or a broader interest
        is muted, which makes every card about it worthless, whatever else it is about."""
        found = self._slug_values.get(slug)
        if found is None:
            line = lineage(slug)
            if self.profile.muted.isdisjoint(line):
                declared = self._declared(slug, line)[0]
                found = declared + self._learned(line, declared)
            else:
                found = -math.inf
            self._slug_values[slug] = found
        return found

    def _learned(self, line: tuple[str, ...], declared: float) -> float:
        """What behaviour taught about the interest (its ancestors by a shrinking share);
        alone, below MIN_LEARNED, it does not make a card worth showing."""
        interests = self.profile.affinities.interests
        learned, share = 0.0, 1.0
        for s in line:
            learned += interests.get(s, 0.0) * share
            share *= ANCESTOR_SHARE
        learned = LEARNED_WEIGHT * max(-1.0, min(1.0, learned))
        if declared == 0 and learned < MIN_LEARNED:
            learned = min(learned, 0.0)
        return learned

    def _declared(self, slug: str, line: tuple[str, ...]) -> tuple[float, str, str | None]:
        for s in line:
            if s in self.profile.follows:
                return FULL_MATCH, "follow", s
        if slug in self._follow_below:
            return PARENT_MATCH, "related", self._follow_below[slug]
        for s in line:
            if s in self._sibling_of:
                return SIBLING_MATCH, "related", self._sibling_of[s]
        return 0.0, "follow", None

    def _pacing(self, candidate: Candidate) -> float | None:
        """None when the promotion or survey may not be shown now; otherwise how far
        behind even pacing over today's part of its flight it is (1.0 = on pace, up to
        2.0)."""
        delivery = candidate.delivery
        if delivery is None:
            return 1.0
        if delivery.seen_today >= delivery.consumer_cap:
            return None
        if delivery.delivered_today >= delivery.daily_cap:
            return None
        day_starts, day_ends = self._today
        start = max(day_starts, candidate.shown_from_ts)
        end = min(day_ends, candidate.shown_until_ts)
        elapsed = (self._now_ts - start) / (end - start) if end > start else 1.0
        allowed = delivery.daily_cap * (min(max(elapsed, 0.0), 1.0) + PACING_BURST)
        if delivery.delivered_today >= max(allowed, 1.0):
            return None
        return 1.0 + (allowed - delivery.delivered_today) / delivery.daily_cap
