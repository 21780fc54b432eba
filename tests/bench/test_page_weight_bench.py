"""bench/page_weight.py weighs the demo's pages end to end, and the first feed page with
everything it loads stays within 100 KB on the wire."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "page_weight.py"), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip


def test_the_first_feed_page_with_everything_it_loads_is_within_100_kb():
    done = run_bench("--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)["after"]
    assert figures["feed"]["encoding"] == "br"
    assert figures["feed_html_sent"] < figures["feed_html_decoded"] / 5
    kinds = {asset["kind"] for asset in figures["assets"]}
    assert {"css", "js", "icon", "lazy image"} <= kinds
    assert figures["first_visit_with_every_image_sent"] <= 100_000
    # A second visit asks for nothing that came immutable: the HTML alone, here.
    assert figures["second_visit_sent"] == figures["feed_html_sent"]
    assert figures["interests_sent"] < 10_000


def test_without_options_it_prints_figures_for_people():
    text = run_bench().stdout
    assert "first feed page HTML" in text and "/interests HTML" in text
