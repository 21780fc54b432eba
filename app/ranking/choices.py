"""What a shopper asked of their feed (``/settings/feed``), as ranking applies it.

More or less of a card kind multiplies that kind's factor by a named constant, so
the shopper's own behaviour still counts within it; "none" is a hard filter, like a
muted interest. Sponsored kinds (promotions) may only be lowered, never removed:
they pay for the feed, and stay labelled. "Only in stock" and "only deals" are hard
filters on the cards that carry a price or a stock (products); other cards stay, and
the kinds above decide those.

Nothing here reads the database or the clock; :mod:`app.ranking.rank` calls it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from app.ranking.candidate import (
    DEAL,
    PRICED,
    UNSTOCKED,
    Candidate,
    KindRules,
    is_new_now,
    price_drop_holds,
)
from cards.registry import all_kinds

MORE, AS_IS, LESS, NONE = "more", "as_is", "less", "none"
KIND_CHOICES = (MORE, AS_IS, LESS, NONE)
SPONSORED_CHOICES = (AS_IS, LESS)  # promotions pay for the feed: lower, never gone
COMPACT, COMFORTABLE = "compact", "comfortable"
DENSITIES = (COMPACT, COMFORTABLE)

# A kind the shopper wants more of climbs past cards about as relevant (a learned kind
# affinity spans x0.37 to x2.7); one they want less of sinks as far the other way.
MORE_FACTOR = 1.8
LESS_FACTOR = 0.5
# Lowered promotions still fill their slots (paced delivery is not optional), but only
# a very relevant one keeps an early slot (app.ranking.compose._promotion_fits).
PROMOTIONS_LESS_FACTOR = 0.25

FACTORS = {MORE: MORE_FACTOR, LESS: LESS_FACTOR}


@dataclass(frozen=True)
class FeedChoices:
    """One shopper's feed settings; the defaults change nothing."""

    kinds: Mapping[str, str] = field(default_factory=dict)  # kind name -> more/less/none
    in_stock_only: bool = False
    deals_only: bool = False
    density: str = COMPACT  # how the pages draw cards; ranking ignores it

    def choice(self, kind: str) -> str:
        return self.kinds.get(kind, AS_IS)

    def kind_factor(self, rules: KindRules) -> float:
        """The multiplier of the kind's cards: 0 removes them (none)."""
        choice = self.choice(rules.name)
        if rules.sponsored:
            return PROMOTIONS_LESS_FACTOR if choice == LESS else 1.0
        return 0.0 if choice == NONE else FACTORS.get(choice, 1.0)

    def turned_off(self, kinds: frozenset[str]) -> bool:
        """Whether the shopper asked for none of every one of ``kinds`` (and there are some)."""
        return bool(kinds) and all(self.choice(kind) == NONE for kind in kinds)

    def offer_mask(self, numbers: Mapping[str, np.ndarray], now_ts: float) -> np.ndarray:
        """Which cards of a pool (its ``numbers``: offer flags, price drops) the standing
        filters keep at ``now_ts``."""
        offer = numbers["offer"]
        kept = np.ones(len(offer), dtype=bool)
        if not (self.in_stock_only or self.deals_only):
            return kept
        flags = offer.astype(np.int64)
        if self.in_stock_only:
            kept &= (flags & UNSTOCKED) == 0
        if self.deals_only:
            deal = ((flags & DEAL) != 0) | price_drop_holds(numbers["drop_until"], now_ts)
            kept &= ((flags & PRICED) == 0) | deal
        return kept

    def reason_code(self, candidate: Candidate) -> str | None:
        """A reason's code when the shopper's choice moved the card: ``more:<kind>`` or
        ``less:<kind>`` (put into words by :mod:`app.shopper.feed_settings`)."""
        choice = self.choice(candidate.kind)
        if choice in FACTORS and not (candidate.rules.sponsored and choice == MORE):
            return f"{choice}:{candidate.kind}"
        return None


NO_CHOICES = FeedChoices()


# The feed's filter chips (``/?only=deals``), after "All": each narrows a feed session
# to some of its cards. Videos and boards are the kinds whose cards are news of that
# category (``notification_category``), so a plugin kind of videos joins the chip.
FILTERS = {"deals": "Deals", "new": "New", "videos": "Videos", "boards": "Boards"}


def narrowing(only: str, now: datetime) -> Callable[[Candidate], bool]:
    """Which cards the filter ``only`` (a key of :data:`FILTERS`) keeps at ``now``."""
    now_ts = now.timestamp()
    if only == "deals":
        return lambda candidate: (
            bool(candidate.offer & DEAL) or bool(price_drop_holds(candidate.drop_until_ts, now_ts))
        )
    if only == "new":
        return lambda candidate: is_new_now(candidate, now_ts)
    kinds = filter_kinds(only)
    return lambda candidate: candidate.kind in kinds


def filter_kinds(only: str) -> frozenset[str]:
    """The kinds a filter of kinds (videos, boards) shows; empty for the others."""
    if only not in FILTERS:
        raise ValueError(f"no feed filter {only!r}")
    return frozenset(
        name for name, kind in all_kinds().items() if kind.notification_category == only
    )
