"""bench/popularity.py runs end to end at a tiny size, and its rollup agrees with the events."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ("--events", "3000", "--cards", "200", "--candidates", "50", "--providers", "5",
        "--repeat", "2")  # fmt: skip


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "popularity.py"), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip


def test_json_has_every_figure_and_the_rollup_equals_the_events(database_url):
    done = run_bench(*TINY, "--json", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)

    assert (figures["events"], figures["candidates"], figures["window_days"]) == (3030, 50, 28)
    assert figures["rollup_equals_events"] is True
    for way in ("old_all_time_group_by", "rollup"):
        assert 0 < figures["popularity"][way]["min_ms"] <= figures["popularity"][way]["median_ms"]
    assert figures["popularity"]["old_over_rollup"] > 0
    assert figures["rows_read"]["rollup_sums"] <= 50 + 5 < figures["rows_read"]["old_events"]
    first, later = figures["rollup_job"]["first_run"], figures["rollup_job"]["incremental_run"]
    assert (first["counted"], later["counted"]) == (3000, 30)
    assert first["events_per_second"] > 0 and later["events_per_second"] > 0


def test_without_options_it_prints_figures_for_people():
    text = run_bench(*TINY).stdout

    assert "3,030 events over 27 days, 200 cards of 5 providers, 50 candidates (sqlite)" in text
    assert "old / rollup:" in text
    assert "rollup job, first run: 3,000 events in" in text
    assert "rollup totals equal the events: True" in text


def test_impossible_sizes_are_refused_with_a_reason():
    done = run_bench("--cards", "10", "--candidates", "20")
    assert done.returncode == 2
    assert "--candidates cannot exceed --cards" in done.stderr
