"""Page composition: turn scored cards into a feed a person wants to scroll.

Cards are placed one position at a time, and each choice depends only on the
cards already placed, so the first N cards are the same however many are
asked for (the request path asks for one page and one card more):

- **promotions** take fixed slots only (one position in every
  :data:`PROMOTION_EVERY`), so at most one card in any run of that many is
  sponsored; an empty slot goes to an ordinary card;
- **exploration** slots (one in :data:`EXPLORE_EVERY`) take the best card that
  is new to the consumer: an adjacent interest or a provider never shown;
- every other position takes, among the best :data:`POOL` remaining cards,
  the one with the highest relevance minus its similarity to the last few
  cards placed (maximal marginal relevance on interest overlap, kind and
  provider), so similar cards spread out;
- and always: never a third card in a row from one provider, never more cards
  of a kind on a page than the kind allows (one survey question), as long as
  other cards remain that keep those rules; and no kind over
  :data:`MAX_KIND_SHARE` of a page while another kind is among the best
  :data:`KIND_MIX_DEPTH` remaining cards.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from app.ranking.candidate import Candidate

PROMOTION_EVERY, PROMOTION_AT = 5, 4  # positions 4, 9, 14, ...: never the first cards
PROMOTION_RELEVANCE = 0.5  # share of the best ordinary card's score an early slot asks
EXPLORE_EVERY, EXPLORE_AT = 10, 7  # positions 7, 17, 27, ...
MAX_RUN_PER_PROVIDER = 2
MAX_KIND_SHARE = 0.6
POOL = 24
EXPLORE_DEPTH = 100  # exploration looks this far down the ranking for something new
KIND_MIX_DEPTH = 200  # how far down another kind is looked for when a page has enough
SIMILARITY_WINDOW = 4  # how many of the last placed cards a new one is compared with
DIVERSITY = 0.35  # how much similarity costs against relevance (relative to the best card)
SIMILARITY_WEIGHTS = (0.6, 0.25, 0.15)  # shared interests, same kind, same provider


class Scored:
    """A card composition looks at: its score, its interests as a set, and its
    position among the candidates (where its factors are)."""

    __slots__ = ("_similar", "candidate", "position", "score", "topics")

    def __init__(self, candidate: Candidate, score: float, position: int) -> None:
        self.candidate = candidate
        self.score = score
        self.topics = frozenset(candidate.interests)
        self.position = position
        self._similar: dict[int, float] = {}

    def similarity(self, other: Scored) -> float:
        """How alike the two cards are, remembered: a card stays among the candidates
        for a position through several placements while the recent cards shift by one."""
        found = self._similar.get(other.position)
        if found is None:
            found = self._similar[other.position] = _similarity(self, other)
        return found


class Order(Protocol):
    """Cards best first: composition reads a few hundred of thousands, so an order
    may sort and make :class:`Scored` cards only as far as it is read."""

    def __len__(self) -> int: ...

    def __getitem__(self, rank: int) -> Scored: ...


@dataclass
class _Page:
    """The cards placed so far, and what the rules forbid for the next position
    (worked out once per placement, as every candidate looked at is checked)."""

    page_size: int
    placed: list[tuple[Scored, str | None]] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    run_provider: int | None = None  # a third card in a row from it would break the run rule
    full_kinds: set[str] = field(default_factory=set)
    limited: set[str] = field(default_factory=set)  # kinds at their own limit for the page

    @property
    def position(self) -> int:
        return len(self.placed)

    def place(self, scored: Scored, via: str | None) -> None:
        self.placed.append((scored, via))
        rules = scored.candidate.rules
        self.kinds[rules.name] += 1
        if self.position % self.page_size == 0:  # the next card starts a new page
            self.kinds.clear()
            self.limited.clear()
        elif rules.per_page_limit is not None and self.kinds[rules.name] >= rules.per_page_limit:
            self.limited.add(rules.name)  # never bent, unlike the kind mix
        cap = math.ceil(MAX_KIND_SHARE * self.page_size)
        self.full_kinds = {k for k, n in self.kinds.items() if n >= cap} | self.limited
        tail = {s.candidate.provider_id for s, _ in self.placed[-MAX_RUN_PER_PROVIDER:]}
        full_run = len(self.placed) >= MAX_RUN_PER_PROVIDER and len(tail) == 1
        self.run_provider = tail.pop() if full_run else None

    def within_kind_limit(self, scored: Scored) -> bool:
        return scored.candidate.kind not in self.limited

    def extends_run(self, scored: Scored) -> bool:
        return scored.candidate.provider_id == self.run_provider

    def keeps_rules(self, scored: Scored) -> bool:
        candidate = scored.candidate
        return candidate.provider_id != self.run_provider and candidate.kind not in self.full_kinds

    def recent(self) -> list[Scored]:
        return [s for s, _ in self.placed[-SIMILARITY_WINDOW:]]


def compose(
    organic: Order,
    promotions: list[Scored],
    *,
    limit: int | None,
    page_size: int,
    is_new: Callable[[Scored], bool],
) -> list[tuple[Scored, str | None]]:
    """Lay out ``organic`` (best first) with ``promotions`` (most urgent first) in
    their slots; each placed card comes with how it got there: ``"sponsored"``,
    ``"explore"`` or None."""
    page = _Page(page_size)
    remaining = _Remaining(organic)
    promos = list(promotions)
    while limit is None or page.position < limit:
        position = page.position
        if position % PROMOTION_EVERY == PROMOTION_AT:
            index = next((i for i, p in enumerate(promos) if not page.extends_run(p)), None)
            if index is not None and _promotion_fits(
                promos[index], len(promos), position, page, remaining
            ):
                page.place(promos.pop(index), "sponsored")
                continue
        via = None
        pick = None
        if position % EXPLORE_EVERY == EXPLORE_AT:
            pick = remaining.first(lambda s: is_new(s) and page.keeps_rules(s), EXPLORE_DEPTH)
            via = "explore" if pick is not None else None
        if pick is None:
            pick = _most_relevant_and_different(remaining, page)
        if pick is None:
            pick = _fallback(remaining, page)
        if pick is None:
            break
        page.place(remaining.take(pick), via)
    return page.placed


class _Remaining:
    """The cards not placed yet, best first, with cheap removal; a card is read from
    the order (and made a :class:`Scored`) once, when composition first looks at it."""

    def __init__(self, order: Order) -> None:
        self._order = order
        self._count = len(order)
        self._scored: dict[int, Scored] = {}
        self._taken: set[int] = set()
        self._head = 0

    def indexed(self) -> Iterator[tuple[int, Scored]]:
        index = self._head
        while index < self._count:
            if index not in self._taken:
                scored = self._scored.get(index)
                if scored is None:
                    scored = self._scored[index] = self._order[index]
                yield index, scored
            index += 1

    def first(self, test: Callable[[Scored], bool], depth: int | None = None) -> int | None:
        """The position of the best remaining card that passes ``test``, looking at no
        more than ``depth`` cards."""
        for n, (index, scored) in enumerate(self.indexed()):
            if depth is not None and n >= depth:
                return None
            if test(scored):
                return index
        return None

    def take(self, index: int) -> Scored:
        self._taken.add(index)
        while self._head in self._taken:
            self._head += 1
        return self._scored[index]


def _promotion_fits(
    promotion: Scored, waiting: int, position: int, page: _Page, remaining: _Remaining
) -> bool:
    """A promotion takes an early slot only when it is nearly as relevant as the best
    ordinary card it would push down, or when the page has no later slot to spare for
    the ``waiting`` promotions (their delivery is paced, not optional): a page shows as
    many promotions as before, the less relevant ones further down."""
    slots_left = (page.page_size - 1 - position % page.page_size) // PROMOTION_EVERY + 1
    best = next(remaining.indexed(), None)
    return (
        waiting >= slots_left
        or best is None
        or promotion.score >= PROMOTION_RELEVANCE * best[1].score
    )


def _most_relevant_and_different(remaining: _Remaining, page: _Page) -> int | None:
    """Maximal marginal relevance among the best :data:`POOL` cards that keep the rules."""
    recent = page.recent()
    run_provider, full_kinds = page.run_provider, page.full_kinds
    best, best_value, top = None, -math.inf, 0.0
    for n, (index, scored) in enumerate(remaining.indexed()):
        if n >= POOL:
            break
        top = top or scored.score
        candidate = scored.candidate
        if candidate.provider_id == run_provider or candidate.kind in full_kinds:
            continue
        similarity = 0.0
        for other in recent:
            alike = scored.similarity(other)
            if alike > similarity:
                similarity = alike
        value = scored.score / top - DIVERSITY * similarity
        if value > best_value:
            best, best_value = index, value
    return best


def _fallback(remaining: _Remaining, page: _Page) -> int | None:
    """Beyond the pool, or bending the rules in order when nothing else is left: the
    kind mix first (looked for no deeper than :data:`KIND_MIX_DEPTH`, so a page of one
    kind's cards costs no full scan per position), then provider runs. Cards of a kind
    at its limit for the page (a second survey question) wait for the next page."""
    bent: list[int | None] = [None, None]  # first keeping the run rule, first at all
    for n, (index, scored) in enumerate(remaining.indexed()):
        if n >= KIND_MIX_DEPTH and bent[0] is not None:
            break
        if not page.within_kind_limit(scored):
            continue
        if not page.extends_run(scored):
            if page.keeps_rules(scored):
                return index
            bent[0] = index if bent[0] is None else bent[0]
        bent[1] = index if bent[1] is None else bent[1]
    return bent[0] if bent[0] is not None else bent[1]


def _similarity(a: Scored, b: Scored) -> float:
    interests, kind, provider = SIMILARITY_WEIGHTS
    x, y = a.topics, b.topics
    overlap = len(x & y) / len(x | y) if x and y else 0.0
    same_kind = a.candidate.kind == b.candidate.kind
    same_provider = a.candidate.provider_id == b.candidate.provider_id
    return interests * overlap + kind * same_kind + provider * same_provider
