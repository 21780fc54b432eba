"""How fast the ranker lays out a page: ``.venv/bin/python bench/ranking_speed.py [--json]``.

One consumer with 20 followed interests, a few muted ones and hidden
providers, and 500 past events (turned into affinities by the app's own
:func:`app.ranking.affinity.affinities_from_events`), ranks candidates drawn from the
interests the app's candidate query would fetch for them (the real taxonomy),
from 300 providers of every kind, with promotions and surveys among them.

What is timed is what the request path does: ``rank(..., limit=page_size + 1)``.
Printed: median and p99 for 5,000 candidates and, side by side, for the
cheapest page that looks at every card (newest first, a heap over the dates)
with Plaza's ratio to it; how that grows for 500, 1,500
(the app's candidate limit), 5,000 and 50,000; how much of the 5,000 is laying
the candidates out as columns (:class:`app.ranking.pool.CandidatePool`, inside
``rank``); the time to build the profile from the events, and a full ordering of
5,000 candidates (``rank`` without a limit, which is not on the request path).
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.ranking.affinity import EventRecord, affinities_from_events
from app.ranking.candidate import Candidate, Delivery
from app.ranking.pool import CandidatePool
from app.ranking.rank import Profile, candidate_slugs, rank
from cards.taxonomy import Taxonomy, default_taxonomy

NOW = datetime(2025, 6, 15, 15, 0, tzinfo=UTC)
PAGE_SIZE = 20
SIZES = (500, 1_500, 5_000, 50_000)  # 1,500: the app's CANDIDATE_LIMIT
# Provider kinds by share of providers; a few promotions and surveys, as in life.
KINDS = ("product_feed",) * 60 + ("youtube",) * 18 + ("pinterest",) * 16 + ("promotion",) * 3
KINDS += ("survey",) * 3
EVENT_KINDS = ("impression",) * 14 + ("open",) * 3 + ("save", "dismiss") + ("not_interested",)


def make_profile(rng: random.Random, taxonomy: Taxonomy, providers: int) -> Profile:
    slugs = sorted(i.slug for i in taxonomy if i.depth >= 1)
    follows = frozenset(rng.sample(slugs, 20))
    muted = frozenset(rng.sample(sorted(set(slugs) - follows), 3))
    return Profile(
        follows=follows,
        muted=muted,
        hidden_providers=frozenset(rng.sample(range(providers), 5)),
    )


def make_candidates(
    rng: random.Random, taxonomy: Taxonomy, profile: Profile, count: int, providers: int
) -> list[Candidate]:
    """Cards about what the candidate query would fetch for ``profile``, newest first.

    As in the app, a card's interests are its own category plus its provider's
    interests, and each provider publishes in a handful of categories; a few
    providers are big, most are small."""
    pool = sorted(candidate_slugs(profile, taxonomy))
    kinds = [rng.choice(KINDS) for _ in range(providers)]
    tags = [taxonomy.ancestors(slug)[-1:] or [slug] for slug in rng.choices(pool, k=providers)]
    categories = [rng.sample(pool, rng.randint(4, 15)) for _ in range(providers)]
    weights = [1 / (p + 1) for p in range(providers)]
    out = []
    for card_id in range(1, count + 1):
        provider = rng.choices(range(providers), weights)[0]
        kind = kinds[provider]
        topics = rng.sample(categories[provider], rng.choice((1, 1, 1, 2)))
        published = NOW - timedelta(hours=rng.expovariate(1 / 72))
        flight = kind in ("promotion", "survey")
        out.append(
            Candidate(
                card_id=card_id,
                provider_id=provider,
                kind=kind,
                interests=tuple(sorted({*tags[provider], *topics})),
                published_at=published,
                badge=rng.choice(("new", "new", None, "price_drop")),
                starts_at=published if flight else None,
                ends_at=published + timedelta(days=rng.randint(2, 20)) if flight else None,
                popularity=min(max(rng.lognormvariate(0, 0.3), 0.6), 1.6),
                delivery=Delivery(10_000, 3, rng.randint(0, 4_000), rng.randint(0, 3))
                if kind == "promotion"
                else None,
            )
        )
    out.sort(key=lambda c: c.published_at, reverse=True)
    return out


def make_events(rng: random.Random, candidates: list[Candidate], count: int) -> list[EventRecord]:
    shown = rng.sample(candidates, min(len(candidates), count // 3))
    return [
        EventRecord(
            kind=(kind := rng.choice(EVENT_KINDS)),
            card_id=card.card_id,
            provider_id=card.provider_id,
            card_kind=card.kind,
            interests=card.interests,
            at=NOW - timedelta(hours=rng.uniform(0, 30 * 24)),
            interest=card.interests[0] if kind == "not_interested" else None,
        )
        for card in (rng.choice(shown) for _ in range(count))
    ]


def timings(run: Callable[[], object], repeat: int) -> list[float]:
    """Milliseconds per call, after one warm-up call."""
    run()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(p99, 3),
        "runs": len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=200, help="timed runs for 5,000 candidates")
    parser.add_argument("--json", action="store_true", help="print all figures as one JSON object")
    args = parser.parse_args()

    taxonomy = default_taxonomy()
    rng = random.Random(args.seed)
    providers = 300
    base = make_profile(rng, taxonomy, providers)
    pools = {n: make_candidates(rng, taxonomy, base, n, providers) for n in SIZES}
    events = make_events(rng, pools[5_000], 500)
    profile = replace(
        base,
        affinities=affinities_from_events(events, NOW),
        dismissed=frozenset(e.card_id for e in events if e.kind == "dismiss"),
    )

    def page(n: int) -> Callable[[], object]:
        return lambda: rank(profile, pools[n], NOW, taxonomy, limit=PAGE_SIZE + 1)

    def newest(n: int) -> Callable[[], object]:
        """The floor, run side by side: a page by date alone (heapq over every card)."""
        return lambda: heapq.nlargest(PAGE_SIZE + 1, pools[n], key=lambda c: c.published_ts)

    load_before = os.getloadavg()[0]
    growth = {str(n): summary(timings(page(n), max(10, args.repeat * 5_000 // n))) for n in SIZES}
    floor = summary(timings(newest(5_000), args.repeat))
    figures: dict[str, object] = {
        "machine": {"python": sys.version.split()[0], "cpus": os.cpu_count()},
        "consumer": {"follows": len(profile.follows), "events": len(events)},
        "page_5000": growth["5000"],
        "newest_first_5000": floor,
        "ratio_to_newest_first_5000": round(growth["5000"]["median_ms"] / floor["median_ms"], 1),
        "growth": growth,
        "columns_5000": summary(timings(lambda: CandidatePool(pools[5_000]), args.repeat)),
        "profile_from_500_events": summary(
            timings(lambda: affinities_from_events(events, NOW), 50)
        ),
        "full_order_5000": summary(timings(lambda: rank(profile, pools[5_000], NOW, taxonomy), 5)),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    if args.json:
        print(json.dumps(figures))
        return
    print("Ranking one page (limit = page + 1) for 20 interests and 500 past events")
    print(f"  5,000 candidates: {_line(figures['page_5000'])}")
    print(
        f"  newest first, 5,000 (the floor): {_line(figures['newest_first_5000'])}"
        f"   Plaza / floor: {figures['ratio_to_newest_first_5000']}x"
    )
    print(f"  of which columns, 5,000: {_line(figures['columns_5000'])}")
    print("  growth:")
    for n, row in figures["growth"].items():
        print(f"    {int(n):>6,} candidates: {_line(row)}")
    print(f"  profile from 500 events: {_line(figures['profile_from_500_events'])}")
    print(f"  full ordering of 5,000 (no limit): {_line(figures['full_order_5000'])}")
    before, after = figures["load_average"]
    print(f"  (load average {before} before, {after} after, on {os.cpu_count()} CPUs)")


def _line(row: dict[str, float]) -> str:
    return f"median {row['median_ms']:8.2f} ms   p99 {row['p99_ms']:8.2f} ms"


if __name__ == "__main__":
    main()
