"""bench/results.py runs end to end at a tiny size, and both ways give the same figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TINY = ("--events", "4000", "--cards", "40", "--days", "400", "--tail", "60", "--repeat", "2")


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "results.py"), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip


def test_json_has_every_figure_and_both_ways_agree(database_url):
    done = run_bench(*TINY, "--json", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)

    assert (figures["events"], figures["tail_events"], figures["cards"]) == (4060, 60, 40)
    assert figures["same_figures"] is True
    # Events of days older than the results keep (400 days) are passed over.
    assert 0 < figures["rollup_job"]["counted"] < 4000
    assert sorted(figures["pages"]) == [
        "overview/30_days", "overview/366_days", "provider/30_days", "provider/366_days"
    ]  # fmt: skip
    for page in figures["pages"].values():
        for way in ("raw", "rollup"):
            assert 0 < page[way]["p50_ms"] <= page[way]["p90_ms"]
        assert page["raw_over_rollup"] > 0


def test_without_options_it_prints_figures_for_people():
    text = run_bench(*TINY).stdout

    assert (
        "4,060 events of one provider over 400 days, 40 cards, 60 after the rollup's mark" in text
    )
    assert "provider/366_days" in text and "raw/rollup" in text
    assert "both ways give the same figures: True" in text


def test_impossible_sizes_are_refused_with_a_reason():
    done = run_bench("--events", "0")
    assert done.returncode == 2
    assert "every number must be at least 1" in done.stderr
