"""The pages of a feed visit ranked ahead, so that scrolling does not rank again.

A visit's second page used to cost what its first did: read the shopper's history,
gather candidates, score and lay out a page, about two thirds of the page's time.
Yet nothing a next page needs changed since the previous one: the visit's cards
are those published up to its start, and the shopper's tastes move by a page of
impressions. So the second page ranks :data:`PAGES_AHEAD` pages at once (a ranking
lays cards out position by position, so its pages are the pages the shopper would
have got one at a time), and the pages after it are taken from that plan.

What the shopper did since is not ignored: each page taken from a plan reads their
follows, mutes, hidden providers, dismissals and answers afresh, and the plan's
cards go through the same hard filters as a ranking (:func:`app.ranking.rank.feed_scores`),
so a provider hidden a moment ago is gone from the next page. A "Why this card?"
control that changes the ranking forgets the plan (:meth:`FeedPlans.forget`).

Plans live in the process that ranked them, for :data:`PLAN_TTL`; a next page that
lands on another process, or finds its plan used up, ranks again and plans anew.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from cachetools import TTLCache

from app.ranking.affinity import Affinities
from app.ranking.candidate import Candidate
from app.ranking.rank import Ranked, Reason

PAGES_AHEAD = 3  # pages ranked at once from a visit's second page on
PLAN_TTL = timedelta(minutes=15)  # a tab left open longer ranks again
MAX_PLANS = 2_000  # visits kept per process: about 10 KB each


@dataclass(frozen=True, slots=True)
class Planned:
    """One card of a plan, with what its page needs: the score and reasons it got."""

    candidate: Candidate
    score: float
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Plan:
    """The cards ranked for the rest of a visit, best first."""

    cards: tuple[Planned, ...]
    complete: bool  # the ranking ran out of cards: nothing comes after these
    affinities: Affinities  # the shopper's tastes the plan was ranked with

    @classmethod
    def of(cls, ranked: Sequence[Ranked], affinities: Affinities, *, complete: bool) -> Plan:
        """The plan of the cards ``ranked``."""
        return cls(
            tuple(Planned(r.candidate, r.score, r.reasons) for r in ranked), complete, affinities
        )


class FeedPlans:
    """Plans by (shopper, feed session), for one process's request threads."""

    def __init__(self, size: int = MAX_PLANS, ttl: timedelta = PLAN_TTL) -> None:
        self._plans: TTLCache[tuple[int, str], Plan] = TTLCache(
            maxsize=size, ttl=ttl.total_seconds(), timer=time.monotonic
        )
        self._lock = threading.Lock()  # TTLCache is not safe across request threads

    def get(self, user_id: int, feed_session: str) -> Plan | None:
        with self._lock:
            return self._plans.get((user_id, feed_session))

    def put(self, user_id: int, feed_session: str, plan: Plan) -> None:
        with self._lock:
            self._plans[(user_id, feed_session)] = plan

    def forget(self, user_id: int, feed_session: str) -> None:
        with self._lock:
            self._plans.pop((user_id, feed_session), None)
