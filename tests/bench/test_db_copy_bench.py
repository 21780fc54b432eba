"""bench/db_copy.py runs end to end at a tiny size into a real PostgreSQL database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.postgres
def test_json_has_every_figure_and_every_row_was_copied(empty_postgres):
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "db_copy.py"), "--cards", "300", "--batch", "70",
         "--to", empty_postgres, "--json"],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert (figures["cards"], figures["rows"], figures["batch"]) == (
        300,
        1 + 100 + 300 + 600 + 1,
        70,
    )  # and a rollup mark
    assert figures["seconds"] > 0 and figures["rows_per_second"] > 0
    assert 0 < figures["rss_before_mib"] <= figures["rss_peak_mib"]
