"""Popularity: how often shoppers open a card when they are shown it, smoothed.

A raw open rate is noise for a card shown five times, so each card's rate is
pulled towards its provider's, and each provider's towards the average
(additive smoothing with a prior worth a number of impressions). A brand-new
card from a provider shoppers like therefore starts ahead of one from a
provider they ignore: that is the cold start. The result is relative to the
average card (1.0), so ranking can use it as a multiplier.

Pure: the request path counts impressions and opens with one aggregated,
indexed query; the benchmark counts its simulated events; both call
:func:`popularity_lifts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import NamedTuple

CARD_PRIOR_IMPRESSIONS = 50.0  # a card's own rate outweighs its provider's after 50
PROVIDER_PRIOR_IMPRESSIONS = 200.0
MULTIPLIER_RANGE = (0.5, 2.0)


class CardCounts(NamedTuple):
    card_id: int
    provider_id: int
    impressions: int
    opens: int


def popularity_lifts(counts: Iterable[CardCounts]) -> dict[int, float]:
    """Card id -> ranking multiplier from its smoothed open rate (1.0 = average)."""
    rows = list(counts)
    shown = sum(r.impressions for r in rows)
    opened = sum(r.opens for r in rows)
    if shown == 0 or opened == 0:
        return {r.card_id: 1.0 for r in rows}
    base = opened / shown
    by_provider: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        totals = by_provider[r.provider_id]
        totals[0] += r.impressions
        totals[1] += r.opens
    provider_rate = {
        provider: _smoothed(opens, shown, base, PROVIDER_PRIOR_IMPRESSIONS)
        for provider, (shown, opens) in by_provider.items()
    }
    low, high = MULTIPLIER_RANGE
    return {
        r.card_id: min(max(rate / base, low), high)
        for r in rows
        for rate in (
            _smoothed(r.opens, r.impressions, provider_rate[r.provider_id], CARD_PRIOR_IMPRESSIONS),
        )
    }


def _smoothed(opens: int, shown: int, prior: float, weight: float) -> float:
    return (opens + prior * weight) / (shown + weight)
