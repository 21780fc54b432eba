"""What the benchmarks that fill a database of their own share: its options, a fresh
SQLite file unless a throw-away database is given, PostgreSQL's statistics before timing,
and printing the figures for people or as one JSON object."""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, text


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", help="a throw-away database to use instead of a fresh SQLite file"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(
    args: argparse.Namespace,
    benchmark: Callable[[str], dict[str, Any]],
    report: Callable[[dict[str, Any]], str],
) -> int:
    """Run ``benchmark`` on the database the options name and print its figures."""
    with tempfile.TemporaryDirectory(prefix="plaza-bench-") as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        figures = benchmark(url)
    print(json.dumps(figures) if args.json else report(figures))
    return 0


def vacuumed_as_autovacuum_would(engine: Engine) -> None:
    """After bulk changes like these, autovacuum gathers PostgreSQL's planner statistics
    and its visibility map (which index-only scans need); doing it now keeps every way
    from being timed on guesses, or while autovacuum runs beside them."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
