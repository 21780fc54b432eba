"""bench/screening.py runs end to end at a tiny size, and its classifier tells the rude
texts it made from the polite ones (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_json_has_a_median_and_p99_for_rules_classifier_and_both():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "screening.py"), "--texts", "300", "--rules", "9",
         "--json"],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert (figures["texts"], figures["rules"]) == (300, 9)
    for part in ("rules", "classifier", "both"):
        assert 0 < figures[f"{part}_median_ms"] <= figures[f"{part}_p99_ms"]
    assert figures["rude_texts"] > 0
    assert figures["rude_missed"] == 0 and figures["polite_flagged"] == 0
