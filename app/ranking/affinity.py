"""What a consumer's behaviour says about their tastes: a pure function of (events, now).

The request path (:func:`app.ranking.candidates.load_profile`) and the ranking
benchmark's simulated shoppers both turn their event logs into affinities
through :func:`affinities_from_events`, so what the benchmark measures is what
the app does.

Every affinity is bounded (a ``tanh`` of the evidence) so that no signal runs
away however much a consumer clicks, and every event's weight halves every
:data:`HALF_LIFE`, so old habits fade.
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
    # Interests (and their ancestors) of cards the consumer saved and kept saved:
    # lets a reason say "You saved similar ..." rather than "You opened ...".
    saved_interests: frozenset[str] = frozenset()
    # Card -> impressions of a card the consumer never engaged with (fatigue).
    ignored: Mapping[int, int] = field(default_factory=dict)
    # Providers the consumer has been shown at all: anything else is new to them.
    seen_providers: frozenset[int] = frozenset()
    # The opens one impression to this consumer usually brings (app.ranking.popularity.viewer_rate),
    # written on the impressions of their feed for the popularity rollup.
    usual_open_rate: float = VIEWER_PRIOR_RATE


NO_AFFINITIES = Affinities()
COUNT_ONCE = Weights(1.0, 1.0, 1.0)  # impressions and engagements, for the rates


def affinities_from_events(events: Iterable[EventRecord], now: datetime) -> Affinities:
    """Fold an event log (any order) into bounded, time-decayed affinities."""
    explicit = _Evidence()
    shown, engaged = _Evidence(), _Evidence()
    saves: Counter[str] = Counter()
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
        if event.kind in ("save", "unsave"):
            step = 1 if event.kind == "save" else -1
            for slug in _lineage_shares(event.interests):
                saves[slug] += step
    for card_id, event in first_engaged.items():  # one per card, however many actions
        decay = _decay(event.at, now)
        engaged.credit(event, COUNT_ONCE, decay)
        if card_id not in impressions:  # seen elsewhere: a notification, the Saved page
            shown.credit(event, COUNT_ONCE, decay)
    explicit.add_rates(shown, engaged)
    return Affinities(
        interests=_bounded(explicit.interests, INTEREST_BOUND),
        kinds=_bounded(explicit.kinds, KIND_BOUND),
        providers=_bounded(explicit.providers, PROVIDER_BOUND),
        saved_interests=frozenset(slug for slug, n in saves.items() if n > 0),
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
    """Each of the card's interests in full, their ancestors by a shrinking share;
    an interest reached twice counts once, at its largest share. Cached (callers
    must not change the result): the same few hundred tuples come by for every event."""
    shares: dict[str, float] = {}
    for slug in slugs:
        for depth, ancestor in enumerate(lineage(slug)):
            share = ANCESTOR_SHARE**depth
            if shares.get(ancestor, 0.0) < share:
                shares[ancestor] = share
    return shares


def _decay(at: datetime, now: datetime) -> float:
    age = max((now - at).total_seconds(), 0.0)
    return math.pow(0.5, age / HALF_LIFE.total_seconds())


def _bounded(raw: Mapping[K, float], bound: float) -> dict[K, float]:
    return {key: bound * math.tanh(value / EVIDENCE_SCALE) for key, value in raw.items() if value}
