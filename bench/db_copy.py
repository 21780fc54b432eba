"""How fast ``plaza db copy`` moves a SQLite Plaza into PostgreSQL, and in how much memory.

    .venv/bin/python bench/db_copy.py --to postgresql://.../empty_db [--cards 1000000]
                                      [--batch 2000] [--json]

Set-up (not timed): a fresh SQLite file migrated with ``app.migrate.upgrade``, one
organisation, 100 providers and ``--cards`` cards, each with two interests and a JSON
payload, written 20,000 rows a statement. ``--to`` must name an empty, throw-away
PostgreSQL database: the copy migrates it and fills it.

What is measured: the wall-clock time of ``app.db_copy.copy_database`` (migrating the
target, copying, resetting the sequences, counting both sides, committing), the rows
it copied per second, and the process's resident memory before the copy and at its
highest during it (sampled every 20 ms), the figure that shows whether the copy
streams (it should not grow with ``--cards``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
from sqlalchemy import Engine, insert
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import make_engine  # noqa: E402
from app.db_copy import BATCH_ROWS, copy_database  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Card, CardInterest, Organization, Provider  # noqa: E402
from cards.taxonomy import default_taxonomy  # noqa: E402

NOW = datetime.now(UTC)
PROVIDERS = 100
INSERT_CHUNK = 20_000
INTERESTS = ("shoes/running", "sports/camping", "home/kitchen", "electronics/audio")


def populate(engine: Engine, cards: int) -> None:
    with Session(engine) as db:
        org = Organization(slug="bench", name="Benchmark shops")
        db.add(org)
        db.flush()
        shops = [Provider(organization_id=org.id, kind="product_feed", name=f"Shop {n}")
                 for n in range(PROVIDERS)]  # fmt: skip
        db.add_all(shops)
        db.commit()
        shop_ids = [shop.id for shop in shops]
    with engine.begin() as connection:
        for start in range(0, cards, INSERT_CHUNK):
            numbers = range(start, min(start + INSERT_CHUNK, cards))
            connection.execute(
                insert(Card),
                [
                    {"id": n + 1, "provider_id": shop_ids[n % PROVIDERS], "kind": "product_feed",
                     "external_id": f"item-{n}", "title": f"Item {n} — Laufschuh «Trail»",
                     "summary": "", "payload": {"price": f"{n % 200}.99", "currency": "EUR"},
                     "published_at": NOW - timedelta(minutes=n), "first_seen_at": NOW,
                     "updated_at": NOW}
                    for n in numbers
                ],
            )  # fmt: skip
            connection.execute(
                insert(CardInterest),
                [
                    {"card_id": n + 1, "slug": slug, "published_at": NOW - timedelta(minutes=n)}
                    for n in numbers
                    for slug in (INTERESTS[n % 4], INTERESTS[(n + 1) % 4])
                ],
            )


class PeakMemory:
    """The highest resident memory of this process while it runs, sampled by a thread."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.before = self.peak = self.process.memory_info().rss
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="plaza-bench-") as folder:
        source = make_engine(f"sqlite:///{folder}/source.sqlite3")
        target = make_engine(args.to)
        try:
            upgrade(source)
            populate(source, args.cards)
            with PeakMemory() as memory:
                started = time.perf_counter()
                copied = copy_database(source, target, default_taxonomy(), force=False,
                                       say=lambda _: None, batch=args.batch)  # fmt: skip
                seconds = time.perf_counter() - started
        finally:
            source.dispose()
            target.dispose()
    rows = sum(copied.values())
    return {
        "cards": copied["card"],
        "rows": rows,
        "batch": args.batch,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "rss_before_mib": round(memory.before / 2**20, 1),
        "rss_peak_mib": round(memory.peak / 2**20, 1),
        "rss_growth_mib": round((memory.peak - memory.before) / 2**20, 1),
    }


def report(figures: dict[str, Any]) -> str:
    return (
        f"copied {figures['rows']:,} rows ({figures['cards']:,} cards) in "
        f"{figures['seconds']:.2f} s = {figures['rows_per_second']:,} rows/s, "
        f"{figures['batch']:,} rows a batch\n"
        f"resident memory: {figures['rss_before_mib']} MiB before, "
        f"{figures['rss_peak_mib']} MiB at most during the copy "
        f"(+{figures['rss_growth_mib']} MiB)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--to", required=True, help="an empty, throw-away PostgreSQL database")
    parser.add_argument("--cards", type=int, default=1_000_000, help="cards (1,000,000)")
    parser.add_argument("--batch", type=int, default=BATCH_ROWS, help="rows a batch")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if min(args.cards, args.batch) < 1:
        parser.error("every number must be at least 1")
    figures = benchmark(args)
    print(json.dumps(figures) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
