"""bench/search.py runs end to end at a tiny size: shoppers signed in, every kind of
search answered, and the figures it promises in its JSON (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ("--cards", "300,600", "--consumers", "30", "--shoppers", "4", "--requests", "40")


def test_searches_are_answered_at_every_size(database_url):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "search.py"), *TINY, "--json",
         "--database-url", database_url],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["database"] == database_url.split(":")[0].split("+")[0]
    assert figures["shoppers"] == 4
    assert list(figures["catalogs"]) == ["300", "600"]
    for run in figures["catalogs"].values():
        assert run["requests"] == 40
        assert 0 < run["p50_ms"] <= run["p99_ms"]
        assert 0 < run["cpu_p50_ms"] <= run["cpu_p99_ms"]
        assert run["index_seconds"] > 0
        # Shops' own words find cards (in a catalog this small, many searches find none).
        assert run["mean_results_on_first_page"]["interest"] > 0
        assert run["mean_results_on_first_page"]["misspelt"] > 0
        assert run["searches_with_no_result"] < 1
