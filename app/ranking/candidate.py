"""What ranking knows of a card: a :class:`Candidate`, and the row of numbers it packs.

Everything else in :mod:`app.ranking` imports this module and nothing here imports
them back. A candidate is built once, on the request path, and packs its numbers
into one row of bytes (epoch seconds, rates, and small ids for its provider, its
kind and its set of interests) that :class:`~app.ranking.pool.CandidatePool` lays
side by side with the others' as numpy columns.
"""

from __future__ import annotations

import math
import struct
import threading
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

import numpy as np

from app.config import NEW_BADGE_FOR, PRICE_DROP_BADGE_FOR
from cards.prices import paid_price, stored_price
from cards.registry import UnknownKind, get_kind
from cards.spec import CardKind
from feeds.normalize import as_utc

MIN_FLIGHT_HALF_LIFE = timedelta(days=1)  # scheduled cards age over half their run, within
MAX_FLIGHT_HALF_LIFE = timedelta(days=14)

# A badge lifts a card while what it says is news: "new" for as long as the card shows its
# "New" badge (:func:`new_until_ts`), a price drop while it is one (:func:`price_drop_until`).
NEW_LIFT, PRICE_DROP_LIFT = 1.1, 1.35
NEW_BADGE_SECONDS = NEW_BADGE_FOR.total_seconds()

# What a card offers, as flags, so that a shopper's "only deals" and "only in stock" filter
# thousands of candidates with one numpy operation: it has a price; it is on sale (a sale
# price below its price); its stock is known and short. A price drop is a deal too, for
# as long as it is news: that depends on the time, so it is a column of its own
# (``drop_until``, :func:`price_drop_until`), not a flag.
PRICED, DEAL, UNSTOCKED = 1, 2, 4
IN_STOCK = "in_stock"  # the availability token of a product that can be bought now


def offer_flags(price: str | None, sale_price: str | None, availability: str | None) -> int:
    """A card's offer flags from its payload's ``price``, ``sale_price`` and
    ``availability`` (any kind may carry them; products do). A card that says nothing of
    its stock is not short of it: only a known shortage filters."""
    flags = 0
    amount, sale = stored_price(price), stored_price(sale_price)
    if amount is not None:
        flags |= PRICED
    if amount is not None and sale is not None and sale < amount:
        flags |= DEAL
    if availability is not None and availability != IN_STOCK:
        flags |= UNSTOCKED
    return flags


def price_dropped_at(payload: Mapping[str, Any], changed_at: datetime) -> datetime | None:
    """When the card's price last fell below the price recorded before it, while what a
    shopper pays (the sale price when there is one) still is below that price; None when
    it did not fall or has gone back up. Ingest keeps the record in the payload
    (``previous_price``, ``price_dropped_at``: :mod:`app.ingest.store`); a drop stored
    before its time was recorded counts from the card's last change, ``changed_at``.
    ``payload`` may be a card's payload or a row of those fields."""
    before = stored_price(payload.get("previous_price"))
    paid = paid_price(payload)
    if before is None or paid is None or paid >= before:
        return None
    stamp = payload.get("price_dropped_at")
    if isinstance(stamp, str):
        try:
            return as_utc(datetime.fromisoformat(stamp))
        except ValueError:
            pass
    return as_utc(changed_at)


def offer_fields(fields: Mapping[str, Any], changed_at: datetime) -> dict[str, Any]:
    """A :class:`Candidate`'s offer fields (``offer``, ``price_dropped_at``) from a card's
    payload or a row of those fields of it, and when the card last changed."""
    return {
        "offer": offer_flags(
            fields.get("price"), fields.get("sale_price"), fields.get("availability")
        ),
        "price_dropped_at": price_dropped_at(fields, changed_at),
    }


def price_drop_until(dropped_at: datetime | None) -> float:
    """Until when (epoch seconds) a price drop at ``dropped_at`` is news, and so a price
    drop at all: :data:`PRICE_DROP_BADGE_FOR` after it; -inf without a drop."""
    return (dropped_at + PRICE_DROP_BADGE_FOR).timestamp() if dropped_at else -math.inf


def price_drop_holds(until_ts: Any, now_ts: float) -> Any:
    """Whether a price drop that is news until ``until_ts`` (:func:`price_drop_until`; a
    number or a numpy column of them) is one at ``now_ts``: the one rule for the "Price
    dropped" badge and for the deals of the feed (its filter chip, "only deals") and of
    search."""
    return now_ts < until_ts


def is_price_drop(dropped_at: datetime | None, now: datetime) -> bool:
    """Whether the card whose price fell at ``dropped_at`` has a price drop at ``now``."""
    return bool(price_drop_holds(price_drop_until(dropped_at), now.timestamp()))


def new_until_ts(published_ts: float, first_seen_ts: float | None) -> float:
    """When a card stops being new, in epoch seconds: :data:`NEW_BADGE_FOR` after the
    earlier of when it was published and when Plaza first stored it (None: not stored).
    The one rule for the "New" badge, the feed's "New" chip and ranking's lift: a shop's
    back catalog, stored today but published long ago, is not news, and neither is an
    item whose feed moves its date on later. (A scheduled card, a promotion or a survey,
    is news for as long from when its run begins: it shows no badge.)"""
    start = published_ts if first_seen_ts is None else min(published_ts, first_seen_ts)
    return start + NEW_BADGE_SECONDS


def badge_lift(badge: str | None, new_until: float, drop_until: float) -> tuple[float, float]:
    """A card's lift and until when: a price drop's while it is news, otherwise being new's
    (a card can be both, and the drop says more for longer)."""
    if badge == "price_drop":
        return PRICE_DROP_LIFT, drop_until
    return NEW_LIFT, new_until


def is_new_now(candidate: Candidate, now_ts: float) -> bool:
    """Whether the card is new at ``now_ts`` (:func:`new_until_ts`), as its badge says:
    the feed's "New" filter shows the cards that wear it."""
    return now_ts < candidate.new_until_ts


COLUMNS = (
    "card_id",
    "provider",  # an id from PROVIDERS
    "kind",  # an id from KINDS (the kind's rules)
    "interests",  # an id from INTEREST_SETS
    "shown_from",
    "shown_until",
    "aged_from",
    "decay_rate",  # its freshness halves every log(2) / rate seconds
    "lift",  # its badge's
    "lift_until",
    "popularity",
    "offer",  # flags: PRICED, DEAL, UNSTOCKED
    "drop_until",  # its price drop is news (a deal) before this; -inf: none
)
ROW = np.dtype([(name, np.float64) for name in COLUMNS])
_PACK = struct.Struct(f"={len(COLUMNS)}d").pack  # native float64s, as ROW reads them

Value = TypeVar("Value", bound=Hashable)


class Interned(Generic[Value]):
    """Small, permanent ids for values many candidates share, so that a pool codes
    thousands of them with one numpy call instead of a dictionary lookup each.

    The table only grows, with the distinct values the process meets: a few card
    kinds, its providers, and the combinations of interests its cards carry (bounded by
    what providers publish, a few thousand in practice)."""

    def __init__(self) -> None:
        self._ids: dict[Value, int] = {}
        self.values: list[Value] = []
        self._lock = threading.Lock()

    def id(self, value: Value) -> int:
        found = self._ids.get(value)
        if found is None:
            with self._lock:  # two request threads must not hand out one id twice
                found = self._ids.get(value)
                if found is None:
                    found = self._ids[value] = len(self.values)
                    self.values.append(value)
        return found


class InternedInterestSets(Interned[tuple[str, ...]]):
    """Interned sets of interests, each also kept as a row of slug ids (0 pads the
    shorter rows), so that a pool gets its sets' rows with one numpy index."""

    def __init__(self) -> None:
        super().__init__()
        self.slugs: Interned[str] = Interned()
        self.slugs.id("")  # id 0: the padding
        self._matrix = np.zeros((0, 1), dtype=np.intp)

    def matrix(self) -> np.ndarray:
        """Every set's row so far: the sets interned since the last call are added
        (and the older rows padded if a new set is longer), the rest is kept."""
        matrix = self._matrix
        if len(matrix) < len(self.values):
            with self._lock:
                matrix = self._matrix
                new = self.values[len(matrix) :]
                if not new:  # another thread added them while this one waited for the lock
                    return matrix
                width = max(matrix.shape[1], *map(len, new))
                rows = np.zeros((len(new), width), dtype=np.intp)
                for row, interests in enumerate(new):
                    rows[row, : len(interests)] = [self.slugs.id(slug) for slug in interests]
                padded = np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))
                matrix = self._matrix = np.vstack([padded, rows])
        return matrix


@dataclass(frozen=True, slots=True)
class KindRules:
    """What ranking must know of a card's kind, from the kind's hooks in
    :mod:`cards.spec`, so that ranking never names a kind itself."""

    name: str
    half_life: timedelta = CardKind.freshness_half_life
    scheduled: bool = False
    sponsored: bool = False
    per_page_limit: int | None = None

    @classmethod
    def of(cls, name: str) -> KindRules:
        """The rules of the kind registered as ``name`` (defaults for a kind that is not
        registered any more, whose cards may linger)."""
        try:
            kind = get_kind(name)
        except UnknownKind:
            return cls(name)
        found = _RULES.get(id(kind))
        if found is None or found[0] is not kind:
            rules = cls(
                name,
                kind.freshness_half_life,
                kind.scheduled,
                kind.sponsored,
                kind.per_page_limit,
            )
            found = _RULES[id(kind)] = (kind, rules)
        return found[1]


_RULES: dict[int, tuple[CardKind[Any], KindRules]] = {}  # per registered kind instance

PROVIDERS: Interned[int] = Interned()
KINDS: Interned[KindRules] = Interned()
INTEREST_SETS = InternedInterestSets()


def pack_row(
    *,
    card_id: int,
    provider_id: int,
    kind: KindRules,
    interests: tuple[str, ...],
    shown_from: float,
    shown_until: float,
    aged_from: float,
    decay_rate: float,
    lift: float,
    lift_until: float,
    popularity: float,
    offer: int = 0,
    drop_until: float = -math.inf,
) -> bytes:
    """One candidate's numbers, in :data:`COLUMNS` order."""
    return _PACK(
        card_id,
        PROVIDERS.id(provider_id),
        KINDS.id(kind),
        INTEREST_SETS.id(interests),
        shown_from,
        shown_until,
        aged_from,
        decay_rate,
        lift,
        lift_until,
        popularity,
        offer,
        drop_until,
    )


def _decay_rate(half_life: timedelta) -> float:
    """Per second, for math.exp: exp(-rate * age) halves every ``half_life``."""
    return math.log(2) / half_life.total_seconds()


def _flight_decay_rate(starts_at: datetime, ends_at: datetime | None) -> float:
    """Scheduled cards halve their freshness over half their run."""
    flight = (ends_at - starts_at) / 2 if ends_at else MAX_FLIGHT_HALF_LIFE
    return _decay_rate(min(max(flight, MIN_FLIGHT_HALF_LIFE), MAX_FLIGHT_HALF_LIFE))


@dataclass(frozen=True, slots=True)
class Delivery:
    """A capped provider's impression caps and how much of them today has used (all its
    cards together: every question of a survey)."""

    daily_cap: int
    consumer_cap: int
    delivered_today: int = 0  # to everyone
    seen_today: int = 0  # by this consumer


@dataclass(frozen=True, slots=True)
class Candidate:
    card_id: int
    provider_id: int
    kind: str
    interests: tuple[str, ...]
    published_at: datetime
    badge: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    popularity: float = 1.0  # multiplier from app.ranking.popularity (1.0 = an average card)
    delivery: Delivery | None = None  # for kinds with delivery caps
    offer: int = 0  # flags: PRICED, DEAL, UNSTOCKED (offer_flags)
    price_dropped_at: datetime | None = None  # while its price stays down (price_dropped_at)
    # When Plaza first stored it, in epoch seconds (the catalog's listing holds the same
    # float); None for a card that is not stored, taken as its publication.
    first_seen_ts: float | None = None
    rules: KindRules = field(init=False, repr=False, compare=False)
    # Derived once here, when the request path builds the candidate, so that ranking does
    # float arithmetic only (aware-datetime maths is slow): epoch seconds of published_at
    # and of the shown-from / shown-until window, and the card's row of numbers for a
    # CandidatePool (app.ranking.pool.pack_row).
    published_ts: float = field(init=False, repr=False, compare=False)
    shown_from_ts: float = field(init=False, repr=False, compare=False)
    shown_until_ts: float = field(init=False, repr=False, compare=False)
    new_until_ts: float = field(init=False, repr=False, compare=False)
    drop_until_ts: float = field(init=False, repr=False, compare=False)
    row: bytes = field(init=False, repr=False, compare=False)

    def with_delivery(self, delivery: Delivery) -> Candidate:
        """This candidate with today's use of its caps. A copy of every field but that
        one: the derived numbers do not depend on it, and rebuilding them (as
        ``dataclasses.replace`` does) for every running promotion and survey on every
        page cost a tenth of the ranking."""
        copy = object.__new__(Candidate)
        for name in Candidate.__slots__:
            object.__setattr__(copy, name, getattr(self, name))
        object.__setattr__(copy, "delivery", delivery)
        return copy

    def __post_init__(self) -> None:
        published = self.published_at.timestamp()
        starts = self.starts_at.timestamp() if self.starts_at else -math.inf
        until = self.ends_at.timestamp() if self.ends_at else math.inf
        rules = KindRules.of(self.kind)
        if rules.scheduled and self.starts_at is not None:  # ages over its own run
            aged_from, rate = starts, _flight_decay_rate(self.starts_at, self.ends_at)
            fresh_until = new_until_ts(starts, None)  # news when its run begins
        else:
            aged_from, rate = published, _decay_rate(rules.half_life)
            fresh_until = new_until_ts(published, self.first_seen_ts)
        drop_until = price_drop_until(self.price_dropped_at)
        lift, lift_until = badge_lift(self.badge, fresh_until, drop_until)
        row = pack_row(
            card_id=self.card_id,
            provider_id=self.provider_id,
            kind=rules,
            interests=self.interests,
            shown_from=starts,
            shown_until=until,
            aged_from=aged_from,
            decay_rate=rate,
            lift=lift,
            lift_until=lift_until,
            popularity=self.popularity,
            offer=self.offer,
            drop_until=drop_until,
        )
        for name, value in (
            ("rules", rules),
            ("new_until_ts", fresh_until),
            ("published_ts", published),
            ("shown_from_ts", starts),
            ("shown_until_ts", until),
            ("drop_until_ts", drop_until),
            ("row", row),
        ):
            object.__setattr__(self, name, value)
