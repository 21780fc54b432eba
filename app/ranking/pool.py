"""Candidates as columns, so that a ranking scores thousands of cards at once.

Scoring card by card in Python cost about 2 µs a card, most of it reading
attributes and looking values up one at a time; a page over 5,000 candidates
spent three quarters of its time there. Each :class:`~app.ranking.rank.Candidate`
therefore packs its numbers into one row of bytes when it is built (epoch
seconds, rates, and small ids for its kind and its set of interests), and a
pool lays the rows side by side as arrays in one copy. Every signal becomes one
numpy operation over all the cards, and each consumer's preferences are looked
up once per distinct provider, kind or set of interests instead of once per card.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

import numpy as np

from app.ranking.candidate import (
    COLUMNS,
    INTEREST_SETS,
    KINDS,
    PROVIDERS,
    ROW,
    Candidate,
    KindRules,
)

_row_of = attrgetter("row")
# Rows joined at a time: about 90 KB, under glibc's 128 KiB threshold above which each
# buffer is a fresh mmap whose page faults cost ten times the copy (measured: 0.8 ms
# against 0.08 ms for 5,000 rows in one piece).
CHUNK = 1024


class CandidatePool:
    """``candidates`` as columns: position ``i`` of every array is ``candidates[i]``.

    Codes index small lists: ``providers[provider_code[i]]`` is card i's provider,
    ``kinds[kind_code[i]]`` its kind's rules, ``interests.sets[interest_code[i]]`` its
    interests.
    """

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        candidates = self.candidates
        chunks = [
            np.frombuffer(b"".join(map(_row_of, candidates[start : start + CHUNK])), ROW)
            for start in range(0, len(candidates), CHUNK)
        ] or [np.zeros(0, ROW)]
        self.numbers = {name: np.concatenate([c[name] for c in chunks]) for name in COLUMNS}
        providers, self.provider_code = _distinct(self.numbers["provider"])
        self.providers = [PROVIDERS.values[p] for p in providers.tolist()]
        kinds, self.kind_code = _distinct(self.numbers["kind"])
        self.kinds = [KINDS.values[k] for k in kinds.tolist()]
        sets, self.interest_code = _distinct(self.numbers["interests"])
        self.interests = InterestSets(sets)

    def __len__(self) -> int:
        return len(self.candidates)

    def where_kind(self, test: Callable[[KindRules], bool]) -> np.ndarray:
        """A mask of the cards whose kind passes ``test`` (``lambda k: k.sponsored``)."""
        passing = np.array([test(kind) for kind in self.kinds] or [False], dtype=bool)
        return passing[self.kind_code] if len(self) else np.zeros(0, dtype=bool)


def _distinct(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct interned ``ids``, ascending, and each one's position among them.
    Interned ids are small, so a table of the ids present does it without a sort."""
    ids = ids.astype(np.intp)
    present = np.zeros(ids.max(initial=-1) + 1, dtype=bool)
    present[ids] = True
    return np.flatnonzero(present), (np.cumsum(present) - 1)[ids]


class InterestSets:
    """Distinct sets of interests, and each as a row of 1-based positions in ``slugs``
    (0 pads the shorter rows): a consumer's value for every slug, looked up once,
    then gives every set's value in a few array operations."""

    def __init__(self, ids: np.ndarray) -> None:
        """``ids``: the sets' ids in :data:`INTEREST_SETS`."""
        self.sets = [INTEREST_SETS.values[i] for i in ids.tolist()]
        rows = INTEREST_SETS.matrix()[ids]
        used, positions = _distinct(np.append(rows, 0))  # slug id 0, the padding, comes first
        self.matrix = positions[:-1].reshape(rows.shape)
        self.slugs = [INTEREST_SETS.slugs.values[i] for i in used[1:].tolist()]

    @classmethod
    def of(cls, sets: Sequence[tuple[str, ...]]) -> InterestSets:
        return cls(np.array([INTEREST_SETS.id(interests) for interests in sets], dtype=np.intp))
