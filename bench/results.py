"""How fast the portal's results pages read their figures: the results rollup plus the
events since its mark, against counting the raw events as the pages did before.

    .venv/bin/python bench/results.py [--events 1000000] [--cards 1000] [--days 365]
                                      [--tail 500] [--repeat 15]
                                      [--database-url postgresql://...] [--json]

Set-up (not timed): a fresh SQLite database migrated with ``app.migrate.upgrade`` (or the
given throw-away database), one retailer with one provider of ``--cards`` cards, and
``--events`` events of it spread evenly over ``--days`` days up to four minutes ago
(each event's time rises with its id, as the feed writes them), written by one
set-based ``INSERT ... SELECT``: 80% impressions, 10% opens, 5% saves, 5% dismisses,
cards taken round-robin.
Then the results rollup's first run (``roll_up_results``, timed as a job), and
``--tail`` events more in the last four minutes, as the worker's five-minute interval
leaves them.

What is timed (wall clock, one connection, after one untimed warm-up of each, and on
PostgreSQL after ``VACUUM ANALYZE``, as autovacuum would have run it), each way
alternately ``--repeat`` times, p50 and p90 per request:

* **overview page**: the organisation's days and each provider's totals (``daily`` and
  ``per_provider``);
* **provider page**: the provider's days and each card's totals (``daily`` and
  ``per_card``);

each over the pages' default 30 days and over the longest range, 366 days, both ways:

* *raw*: the grouped counts over ``event`` (``ix_event_provider_time``) the pages ran
  before the rollup, kept here as they were;
* *rollup*: :mod:`app.partners.stats` as the pages run it now.

Checked: both ways give the same figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time as clock
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, text
from sqlmodel import Session, col, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import as_date, make_engine, utc_day  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Card, Event, EventKind, Organization, Provider  # noqa: E402
from app.partners import stats  # noqa: E402
from app.partners.rollup import roll_up_results  # noqa: E402
from bench import database  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
TAIL = timedelta(minutes=4)  # events the rollup has not counted yet: its last minutes
RANGES = {"30_days": stats.DEFAULT_DAYS, "366_days": stats.MAX_DAYS}
# Of every 20 events: 16 impressions, 2 opens, a save and a dismiss.
KIND_SQL = (
    "CASE WHEN i % 20 < 16 THEN 'impression' WHEN i % 20 < 18 THEN 'open' "
    "WHEN i % 20 = 18 THEN 'save' ELSE 'dismiss' END"
)
TIMED = (
    "wall clock per request on one connection after a warm-up, the two ways alternately; "
    "overview = daily + per_provider, provider page = daily + per_card; raw = grouped "
    "counts over event as before, rollup = app.partners.stats now"
)


def populate(engine: Engine, cards: int) -> tuple[int, int]:
    """The retailer, its provider and cards; returns (provider id, first card id)."""
    with Session(engine) as db:
        org = Organization(slug="bench", name="Benchmark shop")
        db.add(org)
        db.flush()
        provider = Provider(organization_id=org.id, kind="product_feed", name="Big shop")
        db.add(provider)
        db.flush()
        db.execute(
            insert(Card),
            [
                {"provider_id": provider.id, "kind": "product_feed", "external_id": f"item-{n}",
                 "title": f"Item {n}", "summary": "", "payload": {},
                 "published_at": NOW - timedelta(minutes=n), "first_seen_at": NOW,
                 "updated_at": NOW}
                for n in range(cards)
            ],
        )  # fmt: skip
        db.commit()
        first = db.exec(select(func.min(Card.id))).one()
        return int(provider.id or 0), int(first or 0)


def add_events(
    engine: Engine,
    provider_id: int,
    first_card: int,
    cards: int,
    count: int,
    since: datetime,
    until: datetime,
) -> None:
    """``count`` events evenly from ``since`` to ``until``, in one INSERT ... SELECT."""
    step = (until - since).total_seconds() / count
    params = {"count": count, "provider": provider_id, "first": first_card, "cards": cards,
              "step": step}  # fmt: skip
    columns = "user_id, card_id, provider_id, kind, detail, created_at"
    values = f"NULL, :first + i % :cards, :provider, {KIND_SQL}, '{{}}'"
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text(
                    f"INSERT INTO event ({columns}) SELECT {values}, "
                    "CAST(:since AS timestamptz) + i * :step * interval '1 second' "
                    "FROM generate_series(0, :count - 1) AS i"
                ),
                {**params, "since": since},
            )
        else:  # SQLite keeps UTC as text, as app.models.columns writes it
            connection.execute(
                text(
                    "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n "
                    f"WHERE i < :count - 1) INSERT INTO event ({columns}) SELECT {values}, "
                    "strftime('%Y-%m-%d %H:%M:%S', :since, '+' || CAST(i * :step AS INTEGER) "
                    "|| ' seconds') || '.000000' FROM n"
                ),
                {**params, "since": since.strftime("%Y-%m-%d %H:%M:%S")},
            )


def raw_counts(db: Session, provider_ids: Sequence[int], period: stats.DateRange, by: Any) -> Any:
    """The pages' grouped count over ``event`` before the rollup (one query per view)."""
    return db.exec(
        select(by, Event.kind, func.count())
        .where(
            col(Event.provider_id).in_(provider_ids),
            col(Event.created_at) >= period.since,
            col(Event.created_at) < period.until,
            col(Event.kind).in_(list(stats.METRICS)),
        )
        .group_by(by, col(Event.kind))
    )


def grouped(rows: Any, keyed: Callable[[Any], Any] = lambda key: key) -> dict[Any, dict[str, int]]:
    found: dict[Any, dict[str, int]] = defaultdict(dict)
    for key, kind, count in rows:
        found[keyed(key)][stats.METRICS[EventKind(kind)]] = count
    return dict(found)


def raw_overview(db: Session, ids: list[int], period: stats.DateRange) -> Any:
    day = utc_day(db, Event.created_at)
    return (
        grouped(raw_counts(db, ids, period, day), as_date),
        grouped(raw_counts(db, ids, period, Event.provider_id)),
    )


def raw_provider(db: Session, ids: list[int], period: stats.DateRange) -> Any:
    day = utc_day(db, Event.created_at)
    by_card = grouped(raw_counts(db, ids, period, Event.card_id))
    titles = dict(db.exec(select(Card.id, Card.title).where(col(Card.id).in_(list(by_card)))).all())
    return grouped(raw_counts(db, ids, period, day), as_date), by_card, titles


def figures_of(counts: stats.Counts) -> dict[str, int]:
    return {metric: getattr(counts, metric) for metric in stats.METRICS.values()}


def rollup_overview(db: Session, ids: list[int], period: stats.DateRange) -> Any:
    return stats.daily(db, ids, period), stats.per_provider(db, ids, period)


def rollup_provider(db: Session, ids: list[int], period: stats.DateRange) -> Any:
    return stats.daily(db, ids, period), stats.per_card(db, ids[0], period)


def same_figures(db: Session, ids: list[int], period: stats.DateRange) -> bool:
    """Both ways agree on every day, provider and card."""
    days, providers = rollup_overview(db, ids, period)
    raw_days, raw_providers = raw_overview(db, ids, period)
    _, cards = rollup_provider(db, ids, period)
    _, raw_cards, _ = raw_provider(db, ids, period)

    def dense(found: dict[Any, dict[str, int]]) -> dict[Any, dict[str, int]]:
        return {
            key: {m: row.get(m, 0) for m in stats.METRICS.values()} for key, row in found.items()
        }

    return (
        {d.day: figures_of(d) for d in days if d.impressions or d.opens or d.saves or d.dismisses}
        == dense(raw_days)
        and {p: figures_of(c) for p, c in providers.items()} == dense(raw_providers)
        and {c.card_id: figures_of(c) for c in cards} == dense(raw_cards)
    )


def timed(run: Callable[[], Any]) -> float:
    started = clock.perf_counter()
    run()
    return clock.perf_counter() - started


def side_by_side(db: Session, ids: list[int], repeat: int) -> dict[str, dict[str, list[float]]]:
    """Every page, range and way, alternately, so that all meet the same machine load."""
    today = NOW.date()
    runs: dict[str, Callable[[], Any]] = {}
    for range_name, days in RANGES.items():
        period = stats.DateRange(today - timedelta(days=days - 1), today)
        pages = {"overview": (raw_overview, rollup_overview),
                 "provider": (raw_provider, rollup_provider)}  # fmt: skip
        for page, (raw, rollup) in pages.items():
            runs[f"{page}/{range_name}/raw"] = lambda raw=raw, period=period: raw(db, ids, period)
            runs[f"{page}/{range_name}/rollup"] = lambda r=rollup, period=period: r(db, ids, period)
    for run in runs.values():
        run()  # warm-up: the pages both ways read are in the cache, as on a busy server
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            seconds[name].append(timed(run))
            db.rollback()
    nested: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for name, spent in seconds.items():
        page, range_name, way = name.split("/")
        nested[f"{page}/{range_name}"][way] = spent
    return dict(nested)


def percentiles(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000, 2),
    }


def benchmark(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    upgrade(engine)
    try:
        provider_id, first_card = populate(engine, args.cards)
        started = clock.perf_counter()
        add_events(engine, provider_id, first_card, args.cards, args.events,
                   NOW - timedelta(days=args.days), NOW - TAIL)  # fmt: skip
        seeded = clock.perf_counter() - started
        with Session(engine) as db:
            started = clock.perf_counter()
            job = roll_up_results(db, NOW)
            job_seconds = clock.perf_counter() - started
        if args.tail:
            add_events(engine, provider_id, first_card, args.cards, args.tail,
                       NOW - TAIL, NOW)  # fmt: skip
        database.vacuumed_as_autovacuum_would(engine)
        with Session(engine) as db:
            ids = [provider_id]
            today = NOW.date()
            exact = all(
                same_figures(db, ids, stats.DateRange(today - timedelta(days=d - 1), today))
                for d in RANGES.values()
            )
            seconds = side_by_side(db, ids, args.repeat)
    finally:
        engine.dispose()
    pages: dict[str, Any] = {}
    for name, ways in seconds.items():
        raw, rollup = percentiles(ways["raw"]), percentiles(ways["rollup"])
        pages[name] = {"raw": raw, "rollup": rollup,
                       "raw_over_rollup": round(raw["p50_ms"] / rollup["p50_ms"], 1)}  # fmt: skip
    return {
        "database": engine.url.get_backend_name(),
        "events": args.events + args.tail,
        "tail_events": args.tail,
        "cards": args.cards,
        "days": args.days,
        "timed": TIMED,
        "seeding_seconds": round(seeded, 1),
        "rollup_job": {
            "counted": job.counted,
            "seconds": round(job_seconds, 2),
            "events_per_second": round(job.counted / job_seconds),
        },
        "pages": pages,
        "same_figures": exact,
    }


def report(figures: dict[str, Any]) -> str:
    job = figures["rollup_job"]
    lines = [
        f"Plaza results benchmark: {figures['events']:,} events of one provider over "
        f"{figures['days']} days, {figures['cards']:,} cards, {figures['tail_events']:,} "
        f"after the rollup's mark ({figures['database']})",
        f"timed: {figures['timed']}",
        f"  {'page / range':<22}{'raw p50':>10}{'p90':>9}{'rollup p50':>12}{'p90':>9}"
        f"{'raw/rollup':>12}",
    ]
    for name, page in figures["pages"].items():
        raw, rollup = page["raw"], page["rollup"]
        lines.append(
            f"  {name:<22}{raw['p50_ms']:10.2f}{raw['p90_ms']:9.2f}{rollup['p50_ms']:12.2f}"
            f"{rollup['p90_ms']:9.2f}{page['raw_over_rollup']:11.1f}x"
        )
    lines.append(
        f"rollup job, first run: {job['counted']:,} events in {job['seconds']:.2f} s = "
        f"{job['events_per_second']:,} events/s (seeding took {figures['seeding_seconds']} s)"
    )
    lines.append(f"both ways give the same figures: {figures['same_figures']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events (1,000,000)")
    parser.add_argument("--cards", type=int, default=1_000, help="cards of the provider (1,000)")
    parser.add_argument("--days", type=int, default=365, help="days of events (365)")
    parser.add_argument("--tail", type=int, default=500, help="events after the mark (500)")
    parser.add_argument("--repeat", type=int, default=15, help="timings of each way (15)")
    database.add_options(parser)
    args = parser.parse_args(argv)
    if min(args.events, args.cards, args.days, args.repeat) < 1 or args.tail < 0:
        parser.error("every number must be at least 1 (--tail at least 0)")
    return database.run(args, lambda url: benchmark(args, url), report)


if __name__ == "__main__":
    sys.exit(main())
