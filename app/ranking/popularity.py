"""Popularity: how much more often shoppers open a card than they open cards at all.

A raw open rate mostly says who the card was shown to: the feed shows a card
to the shoppers whose interests it matches, and they open more of everything
than the average shopper. So each impression also counts the opens its viewer
would usually give it (their own open rate, :func:`viewer_rate`), and a card's
quality is its observed opens over those expected opens: above 1, shoppers
open it more than they open cards in general.

That ratio is noise for a card shown five times, so each card's is pulled
towards its provider's, and each provider's towards the average (additive
smoothing with a prior worth a number of expected opens). A brand-new card
from a provider shoppers like therefore starts ahead of one from a provider
they ignore: that is the cold start. The result is relative to the average
card (1.0), so ranking can use it as a multiplier, sharpened by
:data:`STRENGTH`: what a card's own quality is worth against how well it
matches the shopper.

A provider's ratio is over all its cards, not only the ones being ranked: a
provider's two cards in someone's feed say less about it than its thousand
cards shown to everyone. The average is over those providers' totals.

Pure: the request path reads the worker's rollup of recent events
(:mod:`app.ranking.rollup`); the benchmark counts its simulated events;
both call :func:`popularity_lifts`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import NamedTuple

CARD_PRIOR_OPENS = 3.0  # a card's own ratio outweighs its provider's after 3 expected opens
PROVIDER_PRIOR_OPENS = 12.0
STRENGTH = 1.25  # the multiplier is the smoothed ratio to this power
MULTIPLIER_RANGE = (0.4, 2.5)
# A viewer's usual open rate, smoothed towards this rate as if they had already been
# shown this many cards: a new shopper's first open does not make them a heavy opener.
VIEWER_PRIOR_RATE = 0.1
VIEWER_PRIOR_IMPRESSIONS = 20.0


class Tally(NamedTuple):
    impressions: int = 0
    opens: int = 0
    expected_opens: float = 0.0  # the viewers' usual open rates, summed over impressions


class CardCounts(NamedTuple):
    card_id: int
    provider_id: int
    impressions: int
    opens: int
    expected_opens: float = 0.0


def viewer_rate(opens: int, impressions: int) -> float:
    """The opens one impression to this viewer is worth, from their own counts."""
    return (opens + VIEWER_PRIOR_RATE * VIEWER_PRIOR_IMPRESSIONS) / (
        impressions + VIEWER_PRIOR_IMPRESSIONS
    )


def provider_totals(cards: Iterable[CardCounts]) -> dict[int, Tally]:
    """Each provider's counts summed over ``cards``: its totals when they are all its cards."""
    totals: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0])
    for card in cards:
        total = totals[card.provider_id]
        total[0] += card.impressions
        total[1] += card.opens
        total[2] += card.expected_opens
    return {
        provider: Tally(int(shown), int(opened), expected)
        for provider, (shown, opened, expected) in totals.items()
    }


def popularity_lifts(
    cards: Iterable[CardCounts], providers: Mapping[int, Tally]
) -> dict[int, float]:
    """Card id -> ranking multiplier from its smoothed opens over expected opens
    (1.0 = average).

    ``providers`` holds each provider's totals over all its cards; a provider
    missing from it has shown nothing yet.
    """
    rows = list(cards)
    opened = sum(t.opens for t in providers.values())
    expected = sum(t.expected_opens for t in providers.values())
    if opened == 0 or expected <= 0:
        return {r.card_id: 1.0 for r in rows}
    average = opened / expected
    provider_ratio = {
        provider: _smoothed(total.opens, total.expected_opens, average, PROVIDER_PRIOR_OPENS)
        for provider, total in providers.items()
    }
    low, high = MULTIPLIER_RANGE
    return {
        r.card_id: min(max((ratio / average) ** STRENGTH, low), high)
        for r in rows
        for ratio in (
            _smoothed(
                r.opens,
                r.expected_opens,
                provider_ratio.get(r.provider_id, average),
                CARD_PRIOR_OPENS,
            ),
        )
    }


def _smoothed(opens: float, expected: float, prior: float, weight: float) -> float:
    return (opens + prior * weight) / (expected + weight)
