"""What a consumer's behaviour says about their tastes: a pure function of (events, now).

The request path (:func:`app.ranking.candidates.load_profile`) and the ranking
benchmark's simulated shoppers both turn their event logs into affinities
through :func:`affinities_from_events`, so what the benchmark measures is what
the app does.

Every affinity is bounded (a ``tanh`` of the evidence) so that no signal runs
away however much a consumer clicks, and every event's weight halves every
:data:`HALF_LIFE`, so old habits fade.

Affinities answer in proportion to the evidence: a liking learned from one card is
worth half of one learned from many (:data:`CARDS_PRIOR`), so one save nudges the
feed and a habit moves it. What one card says about the broader interests above its
own reaches them only by a shrinking share, and a whole top-level interest ("Home",
"Electronics") by a small one (:data:`TOP_LEVEL_SHARE`).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from app.ranking.popularity import VIEWER_PRIOR_RATE, viewer_rate

HALF_LIFE = timedelta(days=21)
# Evidence at which an affinity reaches tanh(1), about three quarters of its bound:
# a few opens or two saves. Not sooner, so that an interest opened twice and one
# opened twenty times still differ after weeks of use.
EVIDENCE_SCALE = 3.0
INTEREST_BOUND = 1.0
KIND_BOUND = 0.7
PROVIDER_BOUND = 1.0
# An event about `shoes/running/trail` says a little about `shoes/running` and
# less about `shoes`: each step up the tree keeps this share.
ANCESTOR_SHARE = 0.5
# A top-level interest ("Home", "Electronics") covers hundreds of kinds of things, and
# every card of a retailer tagged with its broad interest carries it: a saved pair of
# headphones says almost nothing about wall clocks. It takes at most this share of a
# card's evidence, however the card is tagged.
TOP_LEVEL_SHARE = 0.1
# Shrinkage towards "no evidence": the positive evidence of explicit actions (saves,
# answers) is scaled by n / (n + CARDS_PRIOR), n being the (decayed, share-weighted)
# number of distinct cards engaged with. One saved card counts half, five count 5/6:
# one action moves the feed a little, repeated behaviour moves it more. Engagement
# rates have their own prior (RATE_PRIOR_ENGAGEMENTS) and are not shrunk again; dislikes
# are not shrunk at all: a "not interested" or a dismiss should be felt at once.
# (A prior of 2 lowered the ranking benchmark's sessions 3-5 by 0.01-0.03 NDCG@10 on
# its quick world; see bench/RANKING.md.)
CARDS_PRIOR = 1.0
NOT_INTERESTED_TOPIC = -3.0  # extra, on the very interest the consumer named
ENGAGEMENTS = frozenset({"open", "save", "answer"})
# Engagement rates. Beyond explicit actions, what a consumer scrolls past says the
# most: an interest whose cards they open more often than their cards in general is
# one they care for, and one they are shown again and again and never open (even a
# declared one) is not. Evidence = RATE_WEIGHT * log((engagements + PRIOR) /
# (expected + PRIOR)), where "expected" is the interest's impressions times the
# consumer's own engagement rate; the same for kinds and providers. Relative to the
# consumer, so someone who never opens anything learns nothing from it, and
# logarithmic, so an interest opened twice as often as usual and one opened five
# times as often still differ however long the history.
RATE_WEIGHT = 1.5
RATE_PRIOR_ENGAGEMENTS = 2.0  # a rate speaks once a couple of engagements were expected

K = TypeVar("K")


@dataclass(frozen=True)
class Weights:
    """How much one event moves the affinity of the card's interests, kind and provider."""

    interest: float
    kind: float
    provider: float


EVENT_WEIGHTS: Mapping[str, Weights] = {
    "open": Weights(0.0, 0.0, 0.0),  # opens count through engagement rates (below)
    "save": Weights(2.0, 1.5, 2.0),
    "unsave": Weights(-1.5, -1.0, -1.5),  # takes back most of the save
    "dismiss": Weights(-1.0, -0.5, -1.0),
    "undismiss": Weights(1.0, 0.5, 1.0),  # takes back the dismiss
    "not_interested": Weights(-1.0, -0.3, -0.5),
    "show_less": Weights(-1.5, -0.5, -1.0),  # "show less like this", from Why this card?
    "hide_provider": Weights(0.0, -0.3, -4.0),
    "answer": Weights(0.5, 1.0, 0.5),
}


@dataclass(frozen=True, slots=True)
class EventRecord:
    """One logged event with what ranking needs to know about its card."""

    kind: str
    card_id: int
    provider_id: int
    card_kind: str
    interests: tuple[str, ...]
    at: datetime
    interest: str | None = None  # the topic named by a "not interested"


@dataclass(frozen=True)
class Affinities:
    """Bounded per-consumer preferences in [-bound, bound]; 0 means "no evidence"."""

    interests: Mapping[str, float] = field(default_factory=dict)
    kinds: Mapping[str, float] = field(default_factory=dict)
    providers: Mapping[int, float] = field(default_factory=dict)
    # Interest (and its ancestors) -> the cards about it the consumer saved and kept
    # saved, most recent first: lets a reason say "Similar to the Trail Runner 2 you
    # saved" or "You saved 3 cards about Audio" rather than "You opened ...".
    saved: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    # Interest (and its ancestors) -> distinct cards about it the consumer engaged with.
    engaged: Mapping[str, int] = field(default_factory=dict)
    # Provider -> distinct cards of it the consumer engaged with (opened, saved, answered).
    provider_engagements: Mapping[int, int] = field(default_factory=dict)
    # Card -> impressions of a card the consumer never engaged with (fatigue).
    ignored: Mapping[int, int] = field(default_factory=dict)
    # Providers the consumer has been shown at all: anything else is new to them.
    seen_providers: frozenset[int] = frozenset()
    # The opens one impression to this consumer usually brings (app.ranking.popularity.viewer_rate),
    # written on the impressions of their feed for the popularity rollup.
    usual_open_rate: float = VIEWER_PRIOR_RATE

    @property
    def saved_interests(self) -> frozenset[str]:
        """Interests (and their ancestors) of cards the consumer keeps saved."""
        return frozenset(self.saved)


NO_AFFINITIES = Affinities()
COUNT_ONCE = Weights(1.0, 1.0, 1.0)  # impressions and engagements, for the rates


def affinities_from_events(events: Iterable[EventRecord], now: datetime) -> Affinities:
    """Fold an event log (any order) into bounded, time-decayed affinities."""
    explicit = _Evidence()
    shown, engaged = _Evidence(), _Evidence()
    saves: dict[int, EventRecord] = {}  # card -> its save, while it stays saved
    impressions: Counter[int] = Counter()
    last_seen: dict[int, EventRecord] = {}
    first_engaged: dict[int, EventRecord] = {}
    opens = 0
    for event in events:
        opens += event.kind == "open"
        if event.kind == "impression":
            impressions[event.card_id] += 1
            shown.credit(event, COUNT_ONCE, _decay(event.at, now))
            if event.card_id not in last_seen or last_seen[event.card_id].at < event.at:
                last_seen[event.card_id] = event
            continue
        if event.kind in ENGAGEMENTS:
            earlier = first_engaged.get(event.card_id)
            if earlier is None or event.at < earlier.at:
                first_engaged[event.card_id] = event
        weights = EVENT_WEIGHTS.get(event.kind)
        if weights is None:
            continue
        decay = _decay(event.at, now)
        explicit.credit(event, weights, decay)
        if event.kind == "not_interested" and event.interest:
            explicit.interests[event.interest] += NOT_INTERESTED_TOPIC * decay
        if event.kind == "save":
            if event.card_id not in saves or saves[event.card_id].at < event.at:
                saves[event.card_id] = event
        elif event.kind == "unsave":
            kept = saves.get(event.card_id)
            if kept is not None and kept.at <= event.at:
                del saves[event.card_id]
    for card_id, event in first_engaged.items():  # one per card, however many actions
        decay = _decay(event.at, now)
        engaged.credit(event, COUNT_ONCE, decay)
        if card_id not in impressions:  # seen elsewhere: a notification, the Saved page
            shown.credit(event, COUNT_ONCE, decay)
    explicit.shrink(engaged)
    explicit.add_rates(shown, engaged)
    # What reasons may name: a card counts as "about" its own interests and their
    # parents, never a grandparent or a whole top-level interest.
    saved: dict[str, list[int]] = defaultdict(list)
    for save in sorted(saves.values(), key=lambda e: (e.at, e.card_id), reverse=True):
        for slug in _named_interests(save.interests):
            saved[slug].append(save.card_id)
    engaged_cards: Counter[str] = Counter()
    for event in first_engaged.values():
        engaged_cards.update(_named_interests(event.interests))
    return Affinities(
        interests=_bounded(explicit.interests, INTEREST_BOUND),
        kinds=_bounded(explicit.kinds, KIND_BOUND),
        providers=_bounded(explicit.providers, PROVIDER_BOUND),
        saved={slug: tuple(cards) for slug, cards in saved.items()},
        engaged=dict(engaged_cards),
        provider_engagements=dict(Counter(e.provider_id for e in first_engaged.values())),
        ignored={card: n for card, n in impressions.items() if card not in first_engaged},
        seen_providers=frozenset(e.provider_id for e in last_seen.values()),
        usual_open_rate=viewer_rate(opens, impressions.total()),
    )


class _Evidence:
    """Decayed sums per interest (the card's, and its ancestors by a shrinking share),
    kind and provider."""

    def __init__(self) -> None:
        self.interests: dict[str, float] = defaultdict(float)
        self.kinds: dict[str, float] = defaultdict(float)
        self.providers: dict[int, float] = defaultdict(float)

    def credit(self, event: EventRecord, weights: Weights, decay: float) -> None:
        for slug, share in _lineage_shares(event.interests).items():
            self.interests[slug] += weights.interest * share * decay
        self.kinds[event.card_kind] += weights.kind * decay
        self.providers[event.provider_id] += weights.provider * decay

    def shrink(self, cards: _Evidence) -> None:
        """Scale each positive sum by n / (n + CARDS_PRIOR), n from ``cards``."""
        sides: tuple[tuple[dict[Any, float], dict[Any, float]], ...] = (
            (self.interests, cards.interests),
            (self.kinds, cards.kinds),
            (self.providers, cards.providers),
        )
        for mine, counted in sides:
            for key, value in mine.items():
                if value > 0:
                    n = counted.get(key, 0.0)
                    mine[key] = value * n / (n + CARDS_PRIOR)

    def add_rates(self, shown: _Evidence, engaged: _Evidence) -> None:
        """Add each interest's, kind's and provider's engagement-rate evidence."""
        total_shown = sum(shown.kinds.values())
        own_rate = sum(engaged.kinds.values()) / total_shown if total_shown else 0.0
        prior = RATE_PRIOR_ENGAGEMENTS
        sides: tuple[tuple[dict[Any, float], dict[Any, float], dict[Any, float]], ...] = (
            (self.interests, shown.interests, engaged.interests),
            (self.kinds, shown.kinds, engaged.kinds),
            (self.providers, shown.providers, engaged.providers),
        )
        for mine, seen, took in sides:
            for key, count in seen.items():
                expected = count * own_rate
                mine[key] += RATE_WEIGHT * math.log(
                    (took.get(key, 0.0) + prior) / (expected + prior)
                )


@lru_cache(maxsize=4096)
def lineage(slug: str) -> tuple[str, ...]:
    """The interest and its ancestors, nearest first (`a/b/c`, `a/b`, `a`): in the
    taxonomy a slug's parent is its path minus the last segment (cards.taxonomy).
    Cached: ranking asks for the same few hundred interests all day."""
    out = [slug]
    while "/" in slug:
        slug = slug.rpartition("/")[0]
        out.append(slug)
    return tuple(out)


@lru_cache(maxsize=8192)
def _lineage_shares(slugs: tuple[str, ...]) -> dict[str, float]:
    """What one card says about each interest: its most specific interests in full,
    their ancestors by a shrinking share (a card's categories often list the whole path,
    `electronics`, `electronics/audio`, `electronics/audio/headphones`: the broad ones
    are where the card sits, not what it is about), a top-level interest by at most
    :data:`TOP_LEVEL_SHARE`; an interest reached twice counts once, at its largest share.
    Cached (callers must not change the result): the same few hundred tuples come by for
    every event."""
    on_card = set(slugs)
    specific = [
        slug for slug in slugs if not any(other.startswith(slug + "/") for other in on_card)
    ]
    shares: dict[str, float] = {}
    for slug in specific:
        for depth, ancestor in enumerate(lineage(slug)):
            share = ANCESTOR_SHARE**depth
            if "/" not in ancestor:
                share = min(share, TOP_LEVEL_SHARE)
            if shares.get(ancestor, 0.0) < share:
                shares[ancestor] = share
    return shares


def _named_interests(slugs: tuple[str, ...]) -> list[str]:
    """The interests a reason may say a card is about (its own and their parents)."""
    return [slug for slug, share in _lineage_shares(slugs).items() if share >= ANCESTOR_SHARE]


def _decay(at: datetime, now: datetime) -> float:
    age = max((now - at).total_seconds(), 0.0)
    return math.pow(0.5, age / HALF_LIFE.total_seconds())


def _bounded(raw: Mapping[K, float], bound: float) -> dict[K, float]:
    return {key: bound * math.tanh(value / EVIDENCE_SCALE) for key, value in raw.items() if value}
