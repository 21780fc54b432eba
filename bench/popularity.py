"""How fast a feed page loads popularity: the rollup against the all-time GROUP BY it replaced.

    .venv/bin/python bench/popularity.py [--events 1000000] [--cards 20000] [--candidates 1500]
                                         [--providers 100] [--days 27] [--repeat 15]
                                         [--database-url postgresql://...] [--json]

Set-up (not timed): a fresh SQLite database migrated with ``app.migrate.upgrade`` (or
the given throw-away database), providers, cards and 1,000 consumers, and the events:
impressions, with one open in eight, spread evenly over ``--days`` days (27 by default,
so that every event is inside the rollup's 28-day window and both ways count the same
events). Newer cards are shown more (a card's share falls as 1 / (its rank by age + 10)),
as a feed that leads with new cards makes them; the candidates are the newest
``--candidates`` cards.

What is timed (wall clock, on one connection, after one untimed warm-up of each, and on
PostgreSQL after ``VACUUM ANALYZE``, as autovacuum would have run it):

* **popularity for the candidates**, each way alternately ``--repeat`` times, median:
  - *old*: what the request path did before the rollup: one ``GROUP BY card, kind``
    over every event of the candidates (``ix_event_card_kind``, all time), provider
    totals summed over the candidates, then ``popularity_lifts``;
  - *rollup*: ``app.ranking.rollup.recent_counts`` (the candidates' and their
    providers' window sums, by primary key), then ``popularity_lifts``.
* **the rollup job** (``app.ranking.rollup.roll_up``): its first run over every
  event, from an empty rollup, and a later run over 1% more events (what a worker
  tick meets), in events per second.

Checked: after the runs the rollup's totals equal the events' counts.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time as clock
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import make_engine  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Card, Event, EventKind, Organization, Provider, User  # noqa: E402
from app.models.popularity import CardPopularity, ProviderPopularity  # noqa: E402
from app.ranking.popularity import CardCounts, popularity_lifts, provider_totals  # noqa: E402
from app.ranking.rollup import WINDOW_DAYS, recent_counts, roll_up, window_start  # noqa: E402
from bench import database  # noqa: E402

NOW = datetime.now(UTC)
CONSUMERS = 1_000
OPEN_SHARE = 1 / 8
INSERT_CHUNK = 20_000
SEED = 20261123
TIMED = (
    "wall clock on one connection after a warm-up; popularity = the counts query (old: "
    "GROUP BY card, kind over all events of the candidates; rollup: the candidates' and their "
    "providers' window sums) + popularity_lifts; rollup job = roll_up()"
)


def populate(engine: Engine, providers: int, cards: int) -> list[int]:
    """Providers, cards (ids newest first) and consumers; returns the card ids, newest first."""
    with Session(engine) as db:
        org = Organization(slug="bench", name="Benchmark shops")
        db.add(org)
        db.flush()
        shops = [Provider(organization_id=org.id, kind="product_feed", name=f"Shop {n}")
                 for n in range(providers)]  # fmt: skip
        db.add_all(shops)
        db.flush()
        rng = random.Random(SEED)
        db.execute(
            insert(Card),
            [
                {"provider_id": rng.choice(shops).id, "kind": "product_feed",
                 "external_id": f"item-{n}", "title": f"Item {n}", "summary": "", "payload": {},
                 "published_at": NOW - timedelta(minutes=n), "first_seen_at": NOW,
                 "updated_at": NOW}
                for n in range(cards)
            ],
        )  # fmt: skip
        db.execute(
            insert(User),
            [
                {"email": f"shopper{n}@example.com", "password_hash": "-", "role": "consumer",
                 "display_name": "", "active": True, "created_at": NOW}
                for n in range(CONSUMERS)
            ],
        )  # fmt: skip
        db.commit()
        return list(db.exec(select(Card.id).order_by(col(Card.published_at).desc())).all())


def add_events(engine: Engine, card_ids: Sequence[int], count: int, days: int, seed: int) -> None:
    """``count`` impressions and opens of the cards, newer cards more often."""
    rng = random.Random(seed)
    with Session(engine) as db:
        provider_of = dict(db.exec(select(Card.id, Card.provider_id)).all())
        users = list(db.exec(select(User.id)).all())
        weights = [1 / (rank + 10) for rank in range(len(card_ids))]
        for start in range(0, count, INSERT_CHUNK):
            size = min(INSERT_CHUNK, count - start)
            picks = rng.choices(card_ids, weights, k=size)
            db.execute(
                insert(Event),
                [
                    {"user_id": rng.choice(users), "card_id": card,
                     "provider_id": provider_of[card],
                     "kind": EventKind.OPEN if rng.random() < OPEN_SHARE else EventKind.IMPRESSION,
                     "detail": {}, "created_at": NOW - timedelta(days=rng.uniform(0, days))}
                    for card in picks
                ],
            )  # fmt: skip
            db.commit()


def old_popularity(db: Session, cards: Sequence[Card]) -> dict[int, float]:
    """The request path before the rollup: all-time counts of the candidates' events."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.exec(
        select(Event.card_id, Event.kind, func.count())
        .where(
            col(Event.card_id).in_([c.id for c in cards]),
            col(Event.kind).in_((EventKind.IMPRESSION, EventKind.OPEN)),
        )
        .group_by(Event.card_id, Event.kind)
    )
    for card_id, kind, count in rows:
        counts[card_id or 0][kind] = count
    per_card = [
        CardCounts(
            c.id or 0,
            c.provider_id,
            counts[c.id or 0].get(EventKind.IMPRESSION, 0),
            counts[c.id or 0].get(EventKind.OPEN, 0),
        )
        for c in cards
    ]
    return popularity_lifts(per_card, provider_totals(per_card))


def rollup_popularity(db: Session, cards: Sequence[Card]) -> dict[int, float]:
    return popularity_lifts(*recent_counts(db, [(c.id or 0, c.provider_id) for c in cards]))


def timed(run: Callable[[], Any]) -> float:
    started = clock.perf_counter()
    run()
    return clock.perf_counter() - started


def side_by_side(db: Session, cards: Sequence[Card], repeat: int) -> dict[str, list[float]]:
    """Both ways, alternately, so that both meet the same machine load."""
    ways = {
        "old_all_time_group_by": lambda: old_popularity(db, cards),
        "rollup": lambda: rollup_popularity(db, cards),
    }
    for run in ways.values():
        run()  # warm-up: the pages both ways read are in the cache, as on a busy server
    seconds: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeat):
        for name, run in ways.items():
            seconds[name].append(timed(run))
    return seconds


def job_run(engine: Engine, events: int) -> dict[str, Any]:
    with Session(engine) as db:
        started = clock.perf_counter()
        report = roll_up(db, NOW)
        spent = clock.perf_counter() - started
    return {
        "events": events,
        "counted": report.counted,
        "seconds": round(spent, 3),
        "events_per_second": round(events / spent),
    }


def rows_read(db: Session, cards: Sequence[Card]) -> dict[str, int]:
    """How many rows each way reads for the candidates (what makes the difference)."""
    ids = [c.id for c in cards]
    providers = {c.provider_id for c in cards}
    events = db.exec(
        select(func.count()).where(
            col(Event.card_id).in_(ids), col(Event.kind).in_(("impression", "open"))
        )
    ).one()
    card_sums = db.exec(select(func.count()).where(col(CardPopularity.card_id).in_(ids))).one()
    provider_sums = db.exec(
        select(func.count()).where(col(ProviderPopularity.provider_id).in_(providers))
    ).one()
    return {"old_events": events, "rollup_sums": card_sums + provider_sums}


def rollup_equals_events(db: Session) -> bool:
    """The card sums and the provider sums each add up to the window's events."""
    since = datetime.combine(window_start(NOW), time(), UTC)
    events = db.exec(
        select(func.count()).where(
            col(Event.kind).in_(("impression", "open")), col(Event.created_at) >= since
        )
    ).one()
    return all(
        db.exec(select(func.sum(table.impressions + table.opens))).one() == events
        for table in (CardPopularity, ProviderPopularity)
    )


def milliseconds(seconds: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(seconds) * 1000, 2),
        "min_ms": round(min(seconds) * 1000, 2),
    }


def benchmark(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    """Every figure of one run, as a JSON-ready dict."""
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        card_ids = populate(engine, args.providers, args.cards)
        add_events(engine, card_ids, args.events, args.days, SEED)
        first = job_run(engine, args.events)
        later = max(1, args.events // 100)
        add_events(engine, card_ids, later, 1, SEED + 1)
        incremental = job_run(engine, later)
        database.vacuumed_as_autovacuum_would(engine)
        with Session(engine) as db:
            candidates = list(
                db.exec(select(Card).where(col(Card.id).in_(card_ids[: args.candidates]))).all()
            )
            seconds = side_by_side(db, candidates, args.repeat)
            read = rows_read(db, candidates)
            exact = rollup_equals_events(db)
    finally:
        engine.dispose()
    old, new = (milliseconds(seconds[name]) for name in ("old_all_time_group_by", "rollup"))
    return {
        "database": engine.url.get_backend_name(),
        "events": args.events + later,
        "cards": args.cards,
        "candidates": len(candidates),
        "providers": args.providers,
        "days": args.days,
        "window_days": WINDOW_DAYS,
        "timed": TIMED,
        "popularity": {
            "old_all_time_group_by": old,
            "rollup": new,
            "old_over_rollup": round(old["median_ms"] / new["median_ms"], 1),
        },
        "rows_read": read,
        "rollup_job": {"first_run": first, "incremental_run": incremental},
        "rollup_equals_events": exact,
    }


def report(figures: dict[str, Any]) -> str:
    """The figures for a person reading a terminal."""
    pop, job, read = figures["popularity"], figures["rollup_job"], figures["rows_read"]
    old, new = pop["old_all_time_group_by"], pop["rollup"]
    lines = [
        f"Plaza popularity benchmark: {figures['events']:,} events over {figures['days']} days, "
        f"{figures['cards']:,} cards of {figures['providers']} providers, "
        f"{figures['candidates']:,} candidates ({figures['database']})",
        f"timed: {figures['timed']}",
        f"  {'popularity for the candidates':<34}{'median ms':>10}{'min ms':>9}{'rows read':>11}",
        f"  {'old: all-time GROUP BY on events':<34}{old['median_ms']:10.2f}"
        f"{old['min_ms']:9.2f}{read['old_events']:11,}",
        f"  {'rollup: window sums':<34}{new['median_ms']:10.2f}"
        f"{new['min_ms']:9.2f}{read['rollup_sums']:11,}",
        f"old / rollup: {pop['old_over_rollup']:.1f}x",
    ]
    for name, run in (("first run", job["first_run"]), ("incremental", job["incremental_run"])):
        lines.append(
            f"rollup job, {name}: {run['events']:,} events in {run['seconds']:.2f} s = "
            f"{run['events_per_second']:,} events/s"
        )
    lines.append(f"rollup totals equal the events: {figures['rollup_equals_events']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events (1,000,000)")
    parser.add_argument("--cards", type=int, default=20_000, help="cards (20,000)")
    parser.add_argument("--candidates", type=int, default=1_500, help="newest cards (1,500)")
    parser.add_argument("--providers", type=int, default=100, help="providers (100)")
    parser.add_argument("--days", type=int, default=WINDOW_DAYS - 1, help="days of events (27)")
    parser.add_argument("--repeat", type=int, default=15, help="timings of each way (15)")
    database.add_options(parser)
    args = parser.parse_args(argv)
    if min(args.events, args.cards, args.candidates, args.providers, args.days, args.repeat) < 1:
        parser.error("every number must be at least 1")
    if args.candidates > args.cards:
        parser.error("--candidates cannot exceed --cards")
    return database.run(args, lambda url: benchmark(args, url), report)


if __name__ == "__main__":
    sys.exit(main())
