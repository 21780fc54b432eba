"""bench/lighthouse.py reads its options and Lighthouse's report without running it:
the real scores come from running the script (README, Benchmarks)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench import lighthouse  # noqa: E402


def lighthouse_report(seo: float) -> dict:
    """The parts of a Lighthouse JSON report the script reads, as Lighthouse 12 writes them."""
    audits = {
        "meta-description": {"score": 0 if seo < 1 else 1, "scoreDisplayMode": "binary"},
        "document-title": {"score": 1, "scoreDisplayMode": "binary"},
        "largest-contentful-paint": {"score": 0.9, "scoreDisplayMode": "numeric",
                                     "numericValue": 1598.7091},
        "cumulative-layout-shift": {"score": 1, "scoreDisplayMode": "numeric",
                                    "numericValue": 0.0012},
    }  # fmt: skip
    refs = [{"id": name, "weight": 1} for name in audits]
    categories = {
        name: {"score": seo if name == "seo" else 1.0, "auditRefs": refs}
        for name in lighthouse.CATEGORIES
    }
    return {"categories": categories, "audits": audits, "finalDisplayedUrl": "http://x/saved"}


def test_pages_are_chosen_by_name_and_a_wrong_name_is_refused(capsys):
    defaults = lighthouse.parse_args([])
    assert defaults.pages == [page.name for page in lighthouse.PAGES] and defaults.runs == 3
    args = lighthouse.parse_args(["--pages", "saved, feed", "--json"])
    assert args.pages == ["saved", "feed"] and args.json
    with pytest.raises(SystemExit):
        lighthouse.parse_args(["--pages", "saved,checkout"])
    assert "unknown page checkout" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        lighthouse.parse_args(["--runs", "0"])


def test_the_median_run_stands_for_the_page():
    runs = [lighthouse.summary(lighthouse_report(seo=1.0)) for _ in range(3)]
    for run, performance in zip(runs, (0.93, 1.0, 0.98), strict=True):
        run["scores"]["performance"] = performance
    chosen = lighthouse.median_run(runs)
    assert chosen["scores"]["performance"] == 0.98
    assert chosen["performance_runs"] == [0.93, 1.0, 0.98]
    assert lighthouse.median_run(runs[:2])["scores"]["performance"] == 0.93


def test_a_report_becomes_scores_failed_audits_and_metrics():
    figures = lighthouse.summary(lighthouse_report(seo=0.91))
    assert figures["scores"] == {"performance": 1.0, "accessibility": 1.0,
                                 "best-practices": 1.0, "seo": 0.91}  # fmt: skip
    assert figures["failed_audits"] == ["meta-description"]  # not the numeric LCP
    assert figures["metrics"] == {"largest-contentful-paint": 1598.709,
                                  "cumulative-layout-shift": 0.001}  # fmt: skip
    assert figures["final_url"] == "http://x/saved"


def test_the_figures_print_as_a_table_or_one_json_object(monkeypatch, capsys):
    page = {"path": "/saved", "account": "demo@example.com",
            **lighthouse.summary(lighthouse_report(seo=0.91))}  # fmt: skip
    figures = {"lighthouse": "12.8.2", "form_factor": "mobile", "runs": 3,
               "pages": {"saved": page}}  # fmt: skip
    asked = []
    monkeypatch.setattr(lighthouse, "benchmark", lambda args: asked.append(args) or figures)
    assert lighthouse.main(["--pages", "saved"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "Lighthouse 12.8.2, mobile, the median of 3 runs a page:"
    assert table[2].split() == ["saved", "1.00", "1.00", "1.00", "0.91", "meta-description"]
    assert lighthouse.main(["--pages", "saved", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == figures
    assert [args.pages for args in asked] == [["saved"], ["saved"]]


def test_lighthouse_is_pinned_by_a_lock_file():
    folder = ROOT / "bench" / "lighthouse"
    wanted = json.loads((folder / "package.json").read_text())["dependencies"]["lighthouse"]
    locked = json.loads((folder / "package-lock.json").read_text())
    assert locked["packages"]["node_modules/lighthouse"]["version"] == wanted
