"""Popularity: how often shoppers open a card when they are shown it, smoothed.

A raw open rate is noise for a card shown five times, so each card's rate is
pulled towards its provider's, and each provider's towards the average
(additive smoothing with a prior worth a number of impressions). A brand-new
card from a provider shoppers like therefore starts ahead of one from a
provider they ignore: that is the cold start. The result is relative to the
average card (1.0), so ranking can use it as a multiplier.

A provider's rate is over all its cards, not only the ones being ranked: a
provider's two cards in someone's feed say less about it than its thousand
cards shown to everyone. The average is over those providers' totals.

Pure: the request path reads the worker's rollup of recent events
(:mod:`app.popularity_counts`); the benchmark counts its simulated events;
both call :func:`popularity_lifts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import NamedTuple

CARD_PRIOR_IMPRESSIONS = 50.0  # a card's own rate outweighs its provider's after 50
PROVIDER_PRIOR_IMPRESSIONS = 200.0
MULTIPLIER_RANGE = (0.5, 2.0)


class Tally(NamedTuple):
    impressions: int = 0
    opens: int = 0


class CardCounts(NamedTuple):
    card_id: int
    provider_id: int
    impressions: int
    opens: int


def provider_totals(cards: Iterable[CardCounts]) -> dict[int, Tally]:
    """Each provider's counts summed over ``cards``: its totals when they are all its cards."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for card in cards:
        total = totals[card.provider_id]
        total[0] += card.impressions
        total[1] += card.opens
    return {provider: Tally(*total) for provider, total in totals.items()}


def popularity_lifts(
    cards: Iterable[CardCounts], providers: Mapping[int, Tally]
) -> dict[int, float]:
    """Card id -> ranking multiplier from its smoothed open rate (1.0 = average).

    ``providers`` holds each provider's totals over all its cards; a provider
    missing from it has shown nothing yet.
    """
    rows = list(cards)
    shown = sum(t.impressions for t in providers.values())
    opened = sum(t.opens for t in providers.values())
    if shown == 0 or opened == 0:
        return {r.card_id: 1.0 for r in rows}
    base = opened / shown
    provider_rate = {
        provider: _smoothed(total.opens, total.impressions, base, PROVIDER_PRIOR_IMPRESSIONS)
        for provider, total in providers.items()
    }
    low, high = MULTIPLIER_RANGE
    return {
        r.card_id: min(max(rate / base, low), high)
        for r in rows
        for rate in (
            _smoothed(
                r.opens,
                r.impressions,
                provider_rate.get(r.provider_id, base),
                CARD_PRIOR_IMPRESSIONS,
            ),
        )
    }


def _smoothed(opens: int, shown: int, prior: float, weight: float) -> float:
    return (opens + prior * weight) / (shown + weight)
