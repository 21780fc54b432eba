"""Candidates as columns, so that a ranking scores thousands of cards at once.

Scoring card by card in Python cost about 2 µs a card, most of it reading
attributes and looking values up one at a time; a page over 5,000 candidates
spent three quarters of its time there. Each :class:`~app.ranking.Candidate`
therefore packs its numbers into one row of bytes when it is built (epoch
seconds, rates, and small ids for its kind and its set of interests), and a
pool lays the rows side by side as arrays in one copy. Every signal becomes one
numpy operation over all the cards, and each consumer's preferences are looked
up once per distinct provider, kind or set of interests instead of once per card.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Hashable, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Generic, TypeVar

import numpy as np

if TYPE_CHECKING:
    from app.ranking import Candidate

COLUMNS = (
    "card_id",
    "provider",  # an id from PROVIDERS
    "kind",  # an id from KINDS
    "interests",  # an id from INTEREST_SETS
    "shown_from",
    "shown_until",
    "aged_from",
    "own_decay_rate",  # 0: its kind's
    "lift",  # its badge's
    "lift_until",
    "popularity",
)
_ROW = np.dtype([(name, np.float64) for name in COLUMNS])
_PACK = struct.Struct(f"={len(COLUMNS)}d").pack  # native float64s, as _ROW reads them
_row_of = attrgetter("row")
# Rows joined at a time: about 90 KB, under glibc's 128 KiB threshold above which each
# buffer is a fresh mmap whose page faults cost ten times the copy (measured: 0.8 ms
# against 0.08 ms for 5,000 rows in one piece).
CHUNK = 1024

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
                width = max(matrix.shape[1], *map(len, new))
                rows = np.zeros((len(new), width), dtype=np.intp)
                for row, interests in enumerate(new):
                    rows[row, : len(interests)] = [self.slugs.id(slug) for slug in interests]
                padded = np.pad(matrix, ((0, 0), (0, width - matrix.shape[1])))
                matrix = self._matrix = np.vstack([padded, rows])
        return matrix


PROVIDERS: Interned[int] = Interned()
KINDS: Interned[str] = Interned()
INTEREST_SETS = InternedInterestSets()


def pack_row(
    *,
    card_id: int,
    provider_id: int,
    kind: str,
    interests: tuple[str, ...],
    shown_from: float,
    shown_until: float,
    aged_from: float,
    own_decay_rate: float,
    lift: float,
    lift_until: float,
    popularity: float,
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
        own_decay_rate,
        lift,
        lift_until,
        popularity,
    )


class CandidatePool:
    """``candidates`` as columns: position ``i`` of every array is ``candidates[i]``.

    Codes index small lists: ``providers[provider_code[i]]`` is card i's provider,
    ``kinds[kind_code[i]]`` its kind, ``interests.sets[interest_code[i]]`` its
    interests.
    """

    def __init__(self, candidates: Sequence[Candidate]) -> None:
        self.candidates = list(candidates)
        candidates = self.candidates
        chunks = [
            np.frombuffer(b"".join(map(_row_of, candidates[start : start + CHUNK])), _ROW)
            for start in range(0, len(candidates), CHUNK)
        ] or [np.zeros(0, _ROW)]
        self.numbers = {name: np.concatenate([c[name] for c in chunks]) for name in COLUMNS}
        providers, self.provider_code = _distinct(self.numbers["provider"])
        self.providers = [PROVIDERS.values[p] for p in providers.tolist()]
        kinds, self.kind_code = _distinct(self.numbers["kind"])
        self.kinds = [KINDS.values[k] for k in kinds.tolist()]
        sets, self.interest_code = _distinct(self.numbers["interests"])
        self.interests = InterestSets(sets)

    def __len__(self) -> int:
        return len(self.candidates)

    def where_kind(self, kind: str) -> np.ndarray:
        """A mask of the cards of ``kind``."""
        if kind not in self.kinds:
            return np.zeros(len(self), dtype=bool)
        return self.kind_code == self.kinds.index(kind)


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
