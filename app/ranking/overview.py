"""The catalog snapshot as a whole: how many cards each interest has (onboarding's
counts) and the most popular cards (what fills a feed that has little for a shopper).

Both are worked out from the process's in-memory snapshot
(:mod:`app.ranking.catalog`), once per snapshot: a new snapshot (the catalog moved)
is a new object, and the first page that asks works its figures out again. No request
counts rows of the card table, whatever the catalog's size.

The counts are of the cards the snapshot holds: for each interest, its newest
``depth`` live cards (400). A branch with more than that per interest is counted as
"at least" (:attr:`TopicCount.more`), which is what a shopper choosing topics needs.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import numpy as np

from app.ranking.catalog import ID_BITS, Listing, Snapshot
from app.ranking.pool import CandidatePool
from app.ranking.rank import Profile, Ranked, Reason, Scorer, search_order
from cards.taxonomy import Taxonomy

POPULAR_KEPT = 500  # most popular cards kept per snapshot: many pages more than a fill needs
REPRESENTATIVES = 8  # newest cards of an interest offered to picture it

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class TopicCount:
    """How many current cards an interest (with everything inside it) has."""

    cards: int
    more: bool  # some interest inside it holds as many cards as the snapshot keeps
    newest: tuple[int, ...]  # ids of its newest cards, newest first: to picture it


class _PerSnapshot:
    """One figure per snapshot: worked out for the newest snapshot asked about, kept
    until another is asked about (a process has one current snapshot at a time)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Snapshot, object]] = {}

    def get(self, name: str, snapshot: Snapshot, work: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(name)
        if entry is not None and entry[0] is snapshot:
            return entry[1]  # type: ignore[return-value]
        value = work()
        with self._lock:
            self._entries[name] = (snapshot, value)
        return value


_cache = _PerSnapshot()


class TopicCounts:
    """Interests' counts in one snapshot, each worked out when first asked for and then
    kept with the snapshot: a page asks for a few (onboarding's top-level topics, a
    search's matches), and a top-level one merges a few hundred lists of card ids."""

    def __init__(self, snapshot: Snapshot, taxonomy: Taxonomy, depth: int) -> None:
        self.snapshot = snapshot
        self.taxonomy = taxonomy
        self.depth = depth
        self._counts: dict[str, TopicCount] = {}

    def __getitem__(self, slug: str) -> TopicCount:
        count = self._counts.get(slug)
        if count is None:
            self._counts[slug] = count = self._count(slug)
        return count

    def get(self, slug: str) -> TopicCount | None:
        return self[slug] if slug in self.taxonomy else None

    def _count(self, slug: str) -> TopicCount:
        shelves = self.snapshot.by_slug
        inside = (shelves.get((False, s)) for s in self.taxonomy.descendants(slug))
        lists = [keys for keys in inside if keys is not None and len(keys)]
        if not lists:
            return TopicCount(0, False, ())
        # A card about several of the interests is in several lists: sorted together, its
        # copies sit side by side (a sort and a comparison beat a hashing np.unique).
        merged = np.sort(np.concatenate(lists)) if len(lists) > 1 else lists[0]
        cards = 1 + int(np.count_nonzero(merged[1:] != merged[:-1]))
        # Each card is at most once per list: the first few per list hold the newest few.
        first = np.unique(merged[: REPRESENTATIVES * len(lists)])[:REPRESENTATIVES]
        mask = (1 << ID_BITS) - 1
        newest = tuple(int(-key & mask) for key in first.tolist())
        return TopicCount(cards, any(len(keys) >= self.depth for keys in lists), newest)


def topic_counts(snapshot: Snapshot, taxonomy: Taxonomy, depth: int) -> TopicCounts:
    """The counts of the snapshot's organic cards about each interest or inside it."""
    return _cache.get("topics", snapshot, lambda: TopicCounts(snapshot, taxonomy, depth))


def popular_fill(
    snapshot: Snapshot,
    profile: Profile,
    taxonomy: Taxonomy,
    *,
    as_of: datetime,
    now: datetime,
    skip: Collection[int],
    limit: int,
) -> list[Ranked]:
    """Up to ``limit`` of the catalog's most popular cards for a feed with little in it,
    whatever they are about: visible at ``as_of``, not in ``skip``, and within the
    shopper's hard filters (a muted interest, a hidden source, a dismissed card or an
    answered survey stays out), ordered by popularity and the shopper's tastes the way
    search orders its results. Each says it is popular."""
    if limit <= 0:
        return []
    as_of_ts = as_of.timestamp()
    visible = [
        listing.candidate
        for listing in _popular(snapshot)
        if listing.candidate.card_id not in skip
        and listing.first_seen_ts <= as_of_ts < listing.candidate.shown_until_ts
    ]
    if not visible:
        return []
    # A card the feed wore out for this shopper (shown again and again, never opened)
    # does not come back as a popular one.
    fatigue = Scorer(profile, now, taxonomy).score(CandidatePool(visible)).factors["fatigue"]
    found = [
        (candidate, candidate.popularity)
        for candidate, factor in zip(visible, fatigue.tolist(), strict=True)
        if factor > 0
    ]
    ordered = search_order(profile, found, now, taxonomy)[:limit]
    popular = (Reason("popular"),)
    return [Ranked(r.candidate, r.score, popular, r.signals) for r in ordered]


def _popular(snapshot: Snapshot) -> Sequence[Listing]:
    """The snapshot's organic cards, most popular first (then newest)."""

    def work() -> list[Listing]:
        organic = (
            listing
            for listing in snapshot.listings.values()
            if not listing.candidate.rules.scheduled
        )
        return heapq.nsmallest(
            POPULAR_KEPT,
            organic,
            key=lambda listing: (-listing.candidate.popularity, listing.key),
        )

    return _cache.get("popular", snapshot, work)
