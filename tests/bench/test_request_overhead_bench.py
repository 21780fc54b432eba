"""bench/request_overhead.py runs end to end at a tiny size and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_json_has_every_figure():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "request_overhead.py"), "--healthz", "5",
         "--feed", "1", "--rounds", "1", "--cards", "30", "--calls", "5000", "--json"],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    for page in ("healthz", "feed_first_page"):
        assert figures[page]["with_hooks_ms"] > 0 and figures[page]["without_hooks_ms"] > 0
    # Microseconds a call, averaged over 5,000 calls: a pause of the machine cannot
    # make a recording look like a round trip.
    for mode in ("recording_in_process", "recording_multiprocess"):
        assert 0 < figures[mode]["response_counter_us"] < 1000
        assert 0 < figures[mode]["feed_histogram_us"] < 1000
