"""The catalog snapshot as a whole: onboarding's counts per interest and the popular
cards that fill a thin feed, worked out from the snapshot in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from app.ranking.candidate import Candidate
from app.ranking.catalog import Listing, Snapshot
from app.ranking.overview import popular_fill, topic_counts
from app.ranking.rank import Profile

NOW = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # a daylight-saving night: no matter


def snapshot_of(cards: dict[int, tuple[tuple[str, ...], float, int]]) -> Snapshot:
    """card id -> (interests, popularity, provider id), published an hour apart."""
    snapshot = Snapshot((None, 0))
    shelves: dict[tuple[bool, str], list[int]] = {}
    for card_id, (interests, popularity, provider_id) in cards.items():
        candidate = Candidate(
            card_id=card_id,
            provider_id=provider_id,
            kind="product_feed",
            interests=interests,
            published_at=NOW - timedelta(hours=card_id),
            popularity=popularity,
        )
        listing = Listing(candidate, (NOW - timedelta(days=1)).timestamp(), None)
        snapshot.listings[card_id] = listing
        for slug in interests:
            shelves.setdefault(listing.shelf(slug), []).append(listing.key)
    for shelf, keys in shelves.items():
        snapshot.by_slug[shelf] = np.unique(np.array(keys, dtype=np.int64))
    return snapshot


def test_an_interest_counts_each_card_inside_it_once_newest_first(test_taxonomy):
    snapshot = snapshot_of(
        {
            1: (("shoes/running", "shoes/hiking"), 1.0, 1),  # in two of shoes' interests
            2: (("shoes/running",), 1.0, 1),
            3: (("shoes",), 1.0, 1),
            4: (("home/kitchen",), 1.0, 1),
        }
    )
    counts = topic_counts(snapshot, test_taxonomy, depth=400)
    # Kept with the snapshot: asked again, the same counts (worked out once each).
    assert topic_counts(snapshot, test_taxonomy, depth=400) is counts
    assert counts["shoes"].cards == 3 and not counts["shoes"].more
    assert counts["shoes"].newest == (1, 2, 3)
    assert counts["shoes/running"].cards == 2
    assert counts["home"].cards == 1
    assert counts["apparel"].cards == 0 and counts["apparel"].newest == ()
    assert counts.get("no/such/interest") is None
    # As many as the snapshot keeps of one interest: "at least".
    assert topic_counts(snapshot_of({1: (("shoes",), 1.0, 1)}), test_taxonomy, 1)["shoes"].more


def test_popular_cards_respect_what_the_shopper_turned_away(test_taxonomy):
    snapshot = snapshot_of(
        {
            1: (("home/kitchen",), 2.0, 1),
            2: (("home/kitchen",), 1.5, 2),  # a hidden source
            3: (("shoes/running",), 1.2, 1),  # muted
            4: (("home/kitchen",), 1.1, 1),  # dismissed
            5: (("home/kitchen",), 0.9, 1),
            6: (("home/kitchen",), 0.8, 1),  # already on the page
        }
    )
    profile = Profile(
        muted=frozenset({"shoes"}), hidden_providers=frozenset({2}), dismissed=frozenset({4})
    )
    fill = popular_fill(snapshot, profile, test_taxonomy, as_of=NOW, now=NOW, skip={6}, limit=5)
    assert [r.candidate.card_id for r in fill] == [1, 5]
    assert all(r.reasons[0].code == "popular" for r in fill)
    assert (
        popular_fill(snapshot, profile, test_taxonomy, as_of=NOW, now=NOW, skip=(), limit=0) == []
    )
