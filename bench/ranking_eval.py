"""Does the feed know what shoppers want? ``.venv/bin/python bench/ranking_eval.py [--quick]``.

A simulated population (default 1,000 shoppers) with hidden true tastes over
interests, kinds and providers declares a noisy subset of those interests,
then visits the feed once a day for several sessions against a catalog
(default 20,000 cards from providers of very uneven size, on the real
taxonomy). On each visit a shopper looks down the first page and opens,
saves, dismisses, mutes a topic, hides a source, answers a survey or ignores
cards according to those hidden tastes. Every method runs its own copy of
the world, so each learns only from what it showed.

Plaza learns through the app's own code: events become affinities through
:func:`app.ranking.affinity.affinities_from_events`, opens become popularity through
:func:`app.ranking.popularity.popularity_lifts`, candidates are chosen with
:func:`app.ranking.rank.candidate_slugs` (as the app's query does, newest first up
to the candidate limit) and ranked by :func:`app.ranking.rank.rank`. Two baselines
get the same candidates and hard filters: newest first, and interest match
only (the declared-interest part of Plaza's score, nothing learned).

Printed per session and method: NDCG@10 and precision@10 against the hidden
tastes, catalog coverage, intra-list diversity, the share of shown cards from
small providers, and promotion impressions against their daily targets.
``--json`` prints every figure as one JSON object. Deterministic for a seed.
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import json
import math
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.ranking.affinity import NO_AFFINITIES, EventRecord, affinities_from_events
from app.ranking.candidate import Candidate, Delivery
from app.ranking.compose import PROMOTION_EVERY
from app.ranking.pool import CandidatePool
from app.ranking.popularity import CardCounts, popularity_lifts, provider_totals, viewer_rate
from app.ranking.rank import Profile, Scorer, candidate_slugs, rank
from cards.taxonomy import Taxonomy, default_taxonomy

START = datetime(2025, 3, 3, tzinfo=UTC)
PAGE_SIZE = 20
CANDIDATE_LIMIT = 1500  # as the app's CANDIDATE_LIMIT
CUTOFF = 10  # NDCG@10, precision@10
ORGANIC_KINDS = {"product_feed": 0.62, "youtube": 0.2, "pinterest": 0.18}
SMALL_PROVIDER = 30  # providers with fewer cards than this are "small"
GRADES = ((1.0, 3), (0.6, 2), (0.3, 1))  # true utility -> relevance grade
RELEVANT = 2  # the grade precision@10 counts as relevant
CLOSENESS_PARENT, CLOSENESS_SIBLING = 0.35, 0.3  # how much a broader / sibling topic appeals


# --- The catalog ---------------------------------------------------------------------


@dataclass
class SimProvider:
    id: int
    kind: str
    quality: float  # how much shoppers like it in general: hidden
    tag: str  # a broad interest on all its cards, as Provider.interests are
    focus: list[str]  # the interests it publishes in
    size: int = 0


@dataclass
class SimCard:
    id: int
    provider: SimProvider
    kind: str
    interests: tuple[str, ...]
    published_at: datetime
    quality: float  # hidden; shows only through how often shoppers open it
    badge: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    daily_cap: int = 0
    history: tuple[int, int] = (0, 0)  # impressions, opens before the simulation

    @property
    def born(self) -> float:
        return self.published_at.timestamp()


@dataclass
class Catalog:
    cards: list[SimCard]
    providers: list[SimProvider]
    by_interest: dict[str, list[int]]  # slug -> card ids, newest first

    def available(self, now: datetime) -> int:
        return sum(1 for c in self.cards if c.published_at <= now and _in_flight(c, now))


def _in_flight(card: SimCard, now: datetime) -> bool:
    starts_ok = card.starts_at is None or card.starts_at <= now
    return starts_ok and (card.ends_at is None or card.ends_at > now)


def build_catalog(rng: random.Random, taxonomy: Taxonomy, size: int, days: int) -> Catalog:
    """Providers of very uneven size (a Zipf law) publishing over the last 40 days
    and during the simulation; promotions and surveys with flights of their own."""
    slugs = [i.slug for i in taxonomy]
    branches = [s for s in slugs if 1 <= s.count("/") <= 2]
    providers: list[SimProvider] = []
    cards: list[SimCard] = []

    def provider(kind: str) -> SimProvider:
        focus = rng.sample(branches, rng.randint(1, 3))
        tag = focus[0].split("/")[0]
        made = SimProvider(len(providers) + 1, kind, rng.lognormvariate(0, 0.25), tag, focus)
        providers.append(made)
        return made

    def card(p: SimProvider, published: datetime, **fields: object) -> SimCard:
        topic = rng.choice(p.focus)
        below = taxonomy.descendants(topic)
        own = {rng.choice(below) for _ in range(rng.choice((1, 1, 2)))}
        made = SimCard(
            id=len(cards) + 1,
            provider=p,
            kind=p.kind,
            interests=tuple(sorted({p.tag, *own})),
            published_at=published,
            quality=rng.lognormvariate(0, 0.35),
            badge="price_drop" if rng.random() < 0.08 else "new",
            **fields,  # type: ignore[arg-type]
        )
        p.size += 1
        cards.append(made)
        return made

    span = timedelta(days=40 + days)
    organic = size - size // 40 - size // 100
    count = max(30, organic // 60)
    kinds = rng.choices(list(ORGANIC_KINDS), list(ORGANIC_KINDS.values()), k=count)
    organic_providers = [provider(kind) for kind in kinds]
    weights = [1 / (n + 1) ** 1.1 for n in range(count)]
    for chosen in rng.choices(organic_providers, weights, k=organic):
        card(chosen, START - timedelta(days=40) + span * rng.random())
    for _ in range(size // 100):  # promotions: one card each, flights of 2 to 6 days
        starts = START + timedelta(days=rng.uniform(-3, days))
        card(
            provider("promotion"),
            starts,
            starts_at=starts,
            ends_at=starts + timedelta(days=rng.uniform(2, 6)),
        )
    for _ in range(size // 40 // 4):  # surveys: four questions each
        p = provider("survey")
        starts = START + timedelta(days=rng.uniform(-5, days))
        ends = starts + timedelta(days=rng.uniform(5, 15))
        for _ in range(4):
            card(p, starts, starts_at=starts, ends_at=ends)
    for c in cards:
        shown = int(rng.expovariate(1 / 80)) if c.published_at < START else 0
        rate = min(0.5, 0.06 * c.quality * c.provider.quality)
        opened = sum(rng.random() < rate for _ in range(shown))
        c.history = (shown, opened)
    by_interest: dict[str, list[int]] = defaultdict(list)
    for c in sorted(cards, key=lambda c: (c.published_at, c.id), reverse=True):
        for slug in c.interests:
            by_interest[slug].append(c.id)
    return Catalog(cards, providers, dict(by_interest))


# --- The shoppers ----------------------------------------------------------------------


@dataclass
class Shopper:
    id: int
    declared: frozenset[str]
    closeness: dict[str, float]  # slug -> how much a card about it appeals (hidden)
    kinds: dict[str, float]  # hidden
    providers: dict[int, float]  # hidden favourites (> 1) and dislikes (< 1)
    hour: float  # when in the day they visit
    ideal: list[tuple[float, int]] = field(default_factory=list)  # (static utility, card)


def build_population(
    rng: random.Random, taxonomy: Taxonomy, catalog: Catalog, size: int
) -> list[Shopper]:
    roots = taxonomy.children(None)
    shoppers = []
    for n in range(size):
        home = rng.sample(roots, rng.choice((1, 2, 2, 3)))
        nodes = [s for root in home for s in taxonomy.descendants(root) if s.count("/") >= 1]
        picked = rng.sample(nodes, min(len(nodes), rng.randint(3, 6)))
        tastes = {slug: rng.uniform(0.5, 1.0) for slug in picked}
        declared = set()
        for slug in tastes:
            draw = rng.random()
            if draw < 0.6:
                declared.add(slug)
            elif draw < 0.8:
                declared.add(slug.rsplit("/", 1)[0])
        anywhere = [i.slug for i in taxonomy if i.slug.count("/") in (1, 2)]
        declared.update(rng.sample(anywhere, rng.randint(1, 2)))  # said, but not meant
        kinds = {k: min(max(rng.lognormvariate(0, 0.6), 0.2), 2.5) for k in ORGANIC_KINDS}
        kinds["promotion"] = min(max(rng.lognormvariate(-0.5, 0.4), 0.2), 1.5)
        kinds["survey"] = min(max(rng.lognormvariate(-0.3, 0.5), 0.2), 1.5)
        shopper = Shopper(
            id=n + 1,
            declared=frozenset(declared),
            closeness=_closeness(taxonomy, tastes),
            kinds=kinds,
            providers={},
            hour=rng.uniform(7, 23),
        )
        touching = _touching(catalog, shopper)
        near = sorted({c.provider.id for c in touching})
        picks = rng.sample(near, min(len(near), 6))
        shopper.providers = {p: 1.8 for p in picks[:3]} | {p: 0.3 for p in picks[3:]}
        shopper.ideal = sorted(
            ((u, c.id) for c in touching if (u := utility(shopper, c)) >= GRADES[-1][0]),
            reverse=True,
        )
        shoppers.append(shopper)
    return shoppers


def _closeness(taxonomy: Taxonomy, tastes: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for slug, strength in tastes.items():
        near = [(s, strength) for s in taxonomy.descendants(slug)]
        near += [(s, strength * CLOSENESS_PARENT) for s in taxonomy.ancestors(slug)]
        parent = taxonomy.ancestors(slug)[:1]
        for sibling in taxonomy.children(parent[0]) if parent else ():
            near += [(s, strength * CLOSENESS_SIBLING) for s in taxonomy.descendants(sibling)]
        for s, value in near:
            out[s] = max(out[s], value)
    return dict(out)


def _touching(catalog: Catalog, shopper: Shopper) -> list[SimCard]:
    ids = {i for slug in shopper.closeness for i in catalog.by_interest.get(slug, ())}
    return [catalog.cards[i - 1] for i in sorted(ids)]


def appeal(shopper: Shopper, card: SimCard) -> float:
    """The closest interest counts fully, the next one by 30%."""
    best = second = 0.0
    for slug in card.interests:
        value = shopper.closeness.get(slug, 0.0)
        if value > best:
            best, second = value, best
        elif value > second:
            second = value
    return best + 0.3 * second


def utility(shopper: Shopper, card: SimCard, now: datetime | None = None) -> float:
    """How much the shopper truly likes the card (hidden from every ranker); without
    ``now``, before freshness (an upper bound, as freshness is at most 1)."""
    value = appeal(shopper, card) * shopper.kinds[card.kind] * card.quality
    value *= shopper.providers.get(card.provider.id, 1.0) * card.provider.quality
    if now is None:
        return value
    born = card.starts_at or card.published_at
    age_days = max((now - born).total_seconds(), 0.0) / 86400
    return value * (0.5 + 0.5 * 0.5 ** (age_days / 10))


def grade(u: float) -> int:
    return next((g for threshold, g in GRADES if u >= threshold), 0)


# --- One method's world ---------------------------------------------------------------


@dataclass
class State:
    """What one shopper did under one method: what the app would have stored."""

    muted: set[str] = field(default_factory=set)
    hidden: set[int] = field(default_factory=set)
    dismissed: set[int] = field(default_factory=set)
    answered: set[int] = field(default_factory=set)
    events: list[EventRecord] = field(default_factory=list)
    seen_today: Counter[int] = field(default_factory=Counter)


Ranker = Callable[[Profile, list[Candidate], datetime, Taxonomy], list[int]]


@dataclass
class Method:
    name: str
    ranker: Ranker
    learns: bool
    states: dict[int, State] = field(default_factory=dict)
    shown: Counter[int] = field(default_factory=Counter)  # impressions in the simulation
    opened: Counter[int] = field(default_factory=Counter)
    expected: Counter[int] = field(default_factory=Counter)  # opens the viewers' rates give
    pages: list[tuple[int, list[int]]] = field(default_factory=list)  # today's, not rolled up
    viewer_shown: Counter[int] = field(default_factory=Counter)  # per shopper
    viewer_opened: Counter[int] = field(default_factory=Counter)
    delivered: Counter[int] = field(default_factory=Counter)  # promotions, today


def plaza(profile: Profile, cands: list[Candidate], now: datetime, tax: Taxonomy) -> list[int]:
    ranked = rank(profile, cands, now, tax, limit=PAGE_SIZE, page_size=PAGE_SIZE)
    return [r.candidate.card_id for r in ranked]


def newest_first(
    profile: Profile, cands: list[Candidate], now: datetime, tax: Taxonomy
) -> list[int]:
    kept = _filtered(Scorer(profile, now, tax), cands)
    kept.sort(key=lambda c: (c.published_ts, c.card_id), reverse=True)
    return [c.card_id for c in kept[:PAGE_SIZE]]


def interest_match(
    profile: Profile, cands: list[Candidate], now: datetime, tax: Taxonomy
) -> list[int]:
    scorer = Scorer(profile, now, tax)
    kept = _filtered(scorer, cands)
    kept.sort(key=lambda c: (scorer.match(c.interests).value, c.published_ts), reverse=True)
    return [c.card_id for c in kept[:PAGE_SIZE]]


def _filtered(scorer: Scorer, cands: list[Candidate]) -> list[Candidate]:
    """The app's hard filters, with nothing else of Plaza's ranking."""
    kept = scorer.score(CandidatePool(cands)).kept
    return [c for c, keep in zip(cands, kept.tolist(), strict=True) if keep]


# --- The simulation ---------------------------------------------------------------------


@dataclass
class Simulation:
    taxonomy: Taxonomy
    catalog: Catalog
    shoppers: list[Shopper]
    seed: int

    def __post_init__(self) -> None:
        self.base_slugs: dict[int, set[str]] = {}
        self.small = {p.id for p in self.catalog.providers if p.size < SMALL_PROVIDER}
        self.flights = {c.id for c in self.catalog.cards if c.ends_at is not None}
        newest = sorted(self.catalog.cards, key=lambda c: (c.published_at, c.id), reverse=True)
        self.recency = {c.id: n for n, c in enumerate(newest)}  # 0 = the newest card
        self.negative_born = {c.id: -c.born for c in self.catalog.cards}  # for bisect
        self.base: dict[int, tuple[list[int], list[int]]] = {}  # shopper -> _newest
        # The history's viewers opened at the history's average rate.
        history = [c.history for c in self.catalog.cards]
        self.history_rate = sum(o for _, o in history) / max(1, sum(i for i, _ in history))

    def session(self, method: Method, day: int) -> dict[str, float]:
        today = START + timedelta(days=day)
        rng = random.Random(f"{self.seed}-{method.name}-{day}")
        candidates = self._candidates(method, today)
        method.delivered.clear()
        ndcg, precision, diversity, small, shown_cards = [], [], [], [], set()
        for shopper in sorted(self.shoppers, key=lambda s: s.hour):
            now = today + timedelta(hours=shopper.hour)
            state = method.states.setdefault(shopper.id, State())
            profile = self._profile(method, shopper, state, now)
            cands = self._retrieve(shopper, profile, candidates, method, state, now)
            page = method.ranker(profile, cands, now, self.taxonomy)
            cards = [self.catalog.cards[i - 1] for i in page]
            ndcg.append(self._ndcg(shopper, cards, now))
            precision.append(
                sum(grade(utility(shopper, c, now)) >= RELEVANT for c in cards[:CUTOFF]) / CUTOFF
            )
            diversity.append(_intra_list_diversity(cards[:CUTOFF]))
            small.extend(c.provider.id in self.small for c in cards)
            shown_cards.update(page)
            self._behave(rng, method, shopper, state, cards, now)
        self._roll_up(method)
        target = self._promotion_target(today)
        delivered = sum(method.delivered.values())
        return {
            "ndcg@10": _mean(ndcg),
            "precision@10": _mean(precision),
            "coverage": len(shown_cards) / max(1, self.catalog.available(today)),
            "diversity": _mean(diversity),
            "small_provider_share": _mean(small),
            "promotion_delivery": delivered / target if target else 0.0,
        }

    def _candidates(self, method: Method, today: datetime) -> dict[int, Candidate]:
        """Every card as a candidate, with popularity from this method's world."""
        counts = [
            CardCounts(
                c.id,
                c.provider.id,
                c.history[0] + method.shown[c.id],
                c.history[1] + method.opened[c.id],
                c.history[0] * self.history_rate + method.expected[c.id],
            )
            for c in self.catalog.cards
        ]
        lifts = popularity_lifts(counts, provider_totals(counts))  # every card: all they show
        return {
            c.id: Candidate(
                card_id=c.id,
                provider_id=c.provider.id,
                kind=c.kind,
                interests=c.interests,
                published_at=c.published_at,
                badge=c.badge,
                starts_at=c.starts_at,
                ends_at=c.ends_at,
                popularity=lifts[c.id],
            )
            for c in self.catalog.cards
        }

    def _roll_up(self, method: Method) -> None:
        """As the app's worker does: each of the day's impressions expects the opens of
        its viewer's usual rate, from their impressions and opens counted so far."""
        for shopper_id, page in method.pages:
            rate = viewer_rate(method.viewer_opened[shopper_id], method.viewer_shown[shopper_id])
            for card_id in page:
                method.expected[card_id] += rate
        method.pages.clear()

    def _profile(self, method: Method, shopper: Shopper, state: State, now: datetime) -> Profile:
        learned = affinities_from_events(state.events, now) if method.learns else NO_AFFINITIES
        return Profile(
            follows=shopper.declared,
            muted=frozenset(state.muted),
            hidden_providers=frozenset(state.hidden),
            dismissed=frozenset(state.dismissed),
            answered=frozenset(state.answered),
            affinities=learned,
        )

    def _retrieve(
        self,
        shopper: Shopper,
        profile: Profile,
        candidates: dict[int, Candidate],
        method: Method,
        state: State,
        now: datetime,
    ) -> list[Candidate]:
        """What the app's candidate query returns: cards about candidate_slugs(profile),
        out by now and not ended, newest first, up to the candidate limit."""
        slugs = candidate_slugs(profile, self.taxonomy)
        if shopper.id not in self.base:
            declared = candidate_slugs(replace(profile, affinities=NO_AFFINITIES), self.taxonomy)
            self.base_slugs[shopper.id] = declared
            self.base[shopper.id] = self._newest(declared)
        organic, flights = self.base[shopper.id]
        if slugs - self.base_slugs[shopper.id]:
            organic, flights = self._newest(slugs)
        cards = self.catalog.cards
        # Newest first: skip what is not out yet in one step. As in the app, the newest
        # ordinary cards up to the limit, and every running promotion and survey.
        first = bisect.bisect_left(organic, -now.timestamp(), key=self.negative_born.__getitem__)
        out = [candidates[i] for i in organic[first : first + CANDIDATE_LIMIT]]
        out += [candidates[i] for i in flights if _in_flight(cards[i - 1], now)]
        return [
            replace(c, delivery=self._delivery(method, state, c.card_id))
            if c.kind == "promotion"
            else c
            for c in out
        ]

    def _delivery(self, method: Method, state: State, card_id: int) -> Delivery:
        cap = self.catalog.cards[card_id - 1].daily_cap
        return Delivery(cap, 2, method.delivered[card_id], state.seen_today[card_id])

    def _newest(self, slugs: set[str]) -> tuple[list[int], list[int]]:
        """(ordinary cards, promotions and surveys) about ``slugs``, newest first."""
        ids = {i for slug in slugs for i in self.catalog.by_interest.get(slug, ())}
        ordered = sorted(ids, key=self.recency.__getitem__)
        return [i for i in ordered if i not in self.flights], [
            i for i in ordered if i in self.flights
        ]

    def _ndcg(self, shopper: Shopper, cards: list[SimCard], now: datetime) -> float:
        gains = [2 ** grade(utility(shopper, c, now)) - 1 for c in cards[:CUTOFF]]
        ideal = self._ideal_gains(shopper, now)
        best = _dcg(ideal)
        return _dcg(gains) / best if best else 0.0

    def _ideal_gains(self, shopper: Shopper, now: datetime) -> list[int]:
        """The best ten cards out now, found without scoring the whole catalog: the
        list is sorted by utility before freshness, which freshness only lowers."""
        top: list[float] = []
        for bound, card_id in shopper.ideal:
            if len(top) == CUTOFF and bound <= top[0]:
                break
            card = self.catalog.cards[card_id - 1]
            if card.published_at > now or not _in_flight(card, now):
                continue
            u = utility(shopper, card, now)
            if len(top) < CUTOFF:
                heapq.heappush(top, u)
            elif u > top[0]:
                heapq.heapreplace(top, u)
        return sorted((2 ** grade(u) - 1 for u in top), reverse=True)

    def _behave(
        self,
        rng: random.Random,
        method: Method,
        shopper: Shopper,
        state: State,
        cards: list[SimCard],
        now: datetime,
    ) -> None:
        """Look down the page, attention fading with position, and act on what appeals."""
        state.seen_today.clear()
        method.pages.append((shopper.id, [card.id for card in cards]))
        method.viewer_shown[shopper.id] += len(cards)
        for position, card in enumerate(cards):
            record = _recorder(state, card, now)
            record("impression")
            method.shown[card.id] += 1
            if card.kind == "promotion":
                method.delivered[card.id] += 1
                state.seen_today[card.id] += 1
            if rng.random() > 0.93**position:
                continue
            u = utility(shopper, card, now)
            if card.kind == "survey" and rng.random() < 0.4 * u:
                state.answered.add(card.id)
                record("answer")
            elif rng.random() < min(0.85, 0.45 * u):
                method.opened[card.id] += 1
                method.viewer_opened[shopper.id] += 1
                record("open")
                if rng.random() < min(0.6, 0.25 * u):
                    record("save")
            elif u < 0.15 and rng.random() < 0.3:
                self._reject(rng, shopper, state, card, record)

    def _reject(
        self,
        rng: random.Random,
        shopper: Shopper,
        state: State,
        card: SimCard,
        record: Callable[..., None],
    ) -> None:
        """Dismiss; or say "not interested" in a topic they truly do not care for; or
        hide a source they dislike."""
        unwanted = [
            s for s in card.interests if shopper.closeness.get(s, 0.0) == 0.0 and s.count("/") >= 1
        ]
        if shopper.providers.get(card.provider.id, 1.0) < 1 and rng.random() < 0.4:
            state.hidden.add(card.provider.id)
            record("hide_provider")
        elif unwanted and rng.random() < 0.3:
            topic = max(unwanted, key=lambda s: (s.count("/"), s))
            state.muted.add(topic)
            record("not_interested", interest=topic)
        else:
            state.dismissed.add(card.id)
            record("dismiss")

    def _promotion_target(self, today: datetime) -> int:
        tomorrow = today + timedelta(days=1)
        return sum(
            c.daily_cap
            for c in self.catalog.cards
            if c.kind == "promotion"
            and c.starts_at is not None
            and c.ends_at is not None
            and c.starts_at < tomorrow
            and c.ends_at > today
        )


def _recorder(state: State, card: SimCard, now: datetime) -> Callable[..., None]:
    def record(kind: str, interest: str | None = None) -> None:
        state.events.append(
            EventRecord(kind, card.id, card.provider.id, card.kind, card.interests, now, interest)
        )

    return record


def set_promotion_caps(
    catalog: Catalog, shoppers: list[Shopper], taxonomy: Taxonomy, days: int
) -> None:
    """Each promotion's daily cap, in proportion to the shoppers its targeting reaches,
    sized so that all running promotions together ask for half the sponsored slots a
    day offers (one in five cards of each shopper's page): a ranker that paces and
    targets well can meet every cap, and one that does not falls short or overshoots."""
    promotions = [c for c in catalog.cards if c.kind == "promotion"]
    audience = {}
    for card in promotions:
        near = {s for slug in card.interests for s in taxonomy.ancestors(slug)}
        near |= {d for slug in card.interests for d in taxonomy.descendants(slug)}
        audience[card.id] = sum(1 for s in shoppers if s.declared & near)
    middays = [START + timedelta(days=d, hours=12) for d in range(days)]
    running = [sum(audience[c.id] for c in promotions if _in_flight(c, t)) for t in middays]
    slots = len(shoppers) * (PAGE_SIZE // PROMOTION_EVERY)
    scale = 0.5 * slots / max(1.0, sum(running) / len(running))
    for card in promotions:
        card.daily_cap = max(3, round(audience[card.id] * scale))


def _dcg(gains: list[int] | list[float]) -> float:
    return sum(g / math.log2(n + 2) for n, g in enumerate(gains))


def _intra_list_diversity(cards: list[SimCard]) -> float:
    pairs = [(a, b) for n, a in enumerate(cards) for b in cards[n + 1 :]]
    if not pairs:
        return 0.0
    distance = 0.0
    for a, b in pairs:
        x, y = set(a.interests), set(b.interests)
        distance += 1 - len(x & y) / len(x | y)
    return distance / len(pairs)


def _mean(values: list[float] | list[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


# --- Running and printing -------------------------------------------------------------

METRICS = (
    ("ndcg@10", "NDCG@10"),
    ("precision@10", "P@10"),
    ("coverage", "coverage"),
    ("diversity", "diversity"),
    ("small_provider_share", "small prov."),
    ("promotion_delivery", "promo/target"),
)


def run(consumers: int, cards: int, sessions: int, seed: int) -> dict[str, object]:
    started = time.perf_counter()
    taxonomy = default_taxonomy()
    rng = random.Random(seed)
    catalog = build_catalog(rng, taxonomy, cards, sessions)
    shoppers = build_population(rng, taxonomy, catalog, consumers)
    set_promotion_caps(catalog, shoppers, taxonomy, sessions)
    simulation = Simulation(taxonomy, catalog, shoppers, seed)
    methods = [
        Method("plaza", plaza, learns=True),
        Method("newest_first", newest_first, learns=False),
        Method("interest_match", interest_match, learns=False),
    ]
    results: dict[str, list[dict[str, float]]] = {m.name: [] for m in methods}
    for day in range(sessions):
        for method in methods:
            results[method.name].append(simulation.session(method, day))
    small_cards = sum(c.provider.id in simulation.small for c in catalog.cards)
    return {
        "config": {"consumers": consumers, "cards": cards, "sessions": sessions, "seed": seed},
        "catalog": {
            "providers": len(catalog.providers),
            "small_providers": len(simulation.small),
            "small_provider_card_share": small_cards / len(catalog.cards),
            "largest_provider_cards": max(p.size for p in catalog.providers),
            "promotions": sum(c.kind == "promotion" for c in catalog.cards),
            "surveys": sum(c.kind == "survey" for c in catalog.cards),
        },
        "sessions": results,
        "seconds": round(time.perf_counter() - started, 1),
    }


def print_report(figures: dict[str, object]) -> None:
    config, catalog = figures["config"], figures["catalog"]
    print(
        f"{config['consumers']:,} shoppers, {config['cards']:,} cards from "
        f"{catalog['providers']} providers ({catalog['small_providers']} small, holding "
        f"{catalog['small_provider_card_share']:.0%} of cards), {config['sessions']} sessions, "
        f"seed {config['seed']}"
    )
    sessions = figures["sessions"]
    for name, rows in sessions.items():
        print(f"\n{name}")
        print("session " + " ".join(f"{label:>12}" for _, label in METRICS))
        for n, row in enumerate(rows, start=1):
            print(f"{n:>7} " + " ".join(f"{row[key]:>12.3f}" for key, _ in METRICS))
    plaza_rows = sessions["plaza"]
    print("\nNDCG@10, first and last session:")
    for name, rows in sessions.items():
        first, last = rows[0]["ndcg@10"], rows[-1]["ndcg@10"]
        lead = first / plaza_rows[0]["ndcg@10"] if name != "plaza" else 1.0
        print(f"  {name:<15} {first:.3f} -> {last:.3f}   (first session at {lead:.0%} of Plaza)")
    print(f"\n{figures['seconds']} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--consumers", type=int, default=1000)
    parser.add_argument("--cards", type=int, default=20_000)
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="200 shoppers, 5,000 cards, 5 days")
    parser.add_argument("--json", action="store_true", help="print all figures as one JSON object")
    args = parser.parse_args()
    if args.quick:
        args.consumers, args.cards, args.sessions = 200, 5_000, 5
    figures = run(args.consumers, args.cards, args.sessions, args.seed)
    if args.json:
        print(json.dumps(figures))
    else:
        print_report(figures)


if __name__ == "__main__":
    main()
