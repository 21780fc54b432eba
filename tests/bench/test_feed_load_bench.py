"""bench/feed_load.py runs end to end at a tiny size: real shoppers signed in, real pages
served to wrk, and every figure it promises in its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ("--consumers", "60", "--cards", "300,600", "--connections", "1,2", "--duration", "1",
        "--signed-in", "8")  # fmt: skip


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "feed_load.py"), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip


def test_every_route_serves_pages_at_every_size_and_connection_count(database_url):
    done = run_bench(*TINY, "--json", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["database"] == database_url.split(":")[0].split("+")[0]
    assert (figures["consumers"], figures["signed_in"]) == (60, 8)
    assert figures["events"] > 0
    assert list(figures["catalogs"]) == ["300", "600"]
    for catalog in figures["catalogs"].values():
        assert catalog["page"]["status"] == 200 and catalog["page"]["cards"] > 0
        assert catalog["server_memory_mb"] > 0
        assert list(catalog["connections"]) == ["1", "2"]
        for row in catalog["connections"].values():
            for route in ("first_page", "next_page", "trivial"):
                measured = row[route]
                assert measured["requests"] > 0 and measured["pages_per_second"] > 0
                assert measured["errors"] == measured["non_2xx"] == 0
                assert 0 < measured["p50_ms"] <= measured["p99_ms"] <= measured["max_ms"]
            assert 0 < row["feed_over_trivial"] < 1


def test_without_options_it_prints_figures_for_people():
    smaller = ("--consumers", "30", "--cards", "200", "--connections", "1", "--duration", "1",
               "--signed-in", "4")  # fmt: skip
    text = run_bench(*smaller).stdout
    assert "Feed under load on sqlite: 30 shoppers (4 signed in)" in text
    assert "200 cards: first page" in text and "feed/trivial" in text
