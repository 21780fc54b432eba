"""bench/feed_load.py runs end to end at a tiny size: real shoppers signed in, real pages
served to wrk, and every figure it promises in its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TINY = ("--consumers", "60", "--cards", "300,600", "--connections", "1,2", "--duration", "1",
        "--signed-in", "8", "--refresh-items", "400")  # fmt: skip


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "feed_load.py"), *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip


def test_every_route_serves_pages_at_every_size_and_connection_count(database_url):
    from bench.feed_load import report

    done = run_bench(*TINY, "--json", "--database-url", database_url)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["database"] == database_url.split(":")[0].split("+")[0]
    assert (figures["consumers"], figures["signed_in"]) == (60, 8)
    assert figures["events"] > 0
    assert list(figures["catalogs"]) == ["300", "600"]
    assert figures["servers"] == ["plaza"]
    for catalog in figures["catalogs"].values():
        [run] = catalog["plaza"]
        assert_figures(run, connections=["1", "2"])
        assert_profile(run, pages=4)  # half of the 8 signed-in shoppers, less the first
    # The aims a run of these sizes can judge: none at these sizes and connections.
    assert figures["aims"] == []
    # Pages served while a refresh and a prune ran, at the largest catalog only.
    assert "during_refresh" not in figures["catalogs"]["300"]["plaza"][0]
    during = figures["catalogs"]["600"]["plaza"][0]["during_refresh"]
    assert during["job"]["items"] == 400 and during["job"]["new"] > 0
    assert during["job"]["pruned"] >= during["job"]["new"]  # the new items were long gone
    assert during["runs"] >= 1 and during["pages_per_second"] > 0
    assert during["failed"] == 0, (
        during,
        figures["catalogs"]["600"]["plaza"][0].get("server_errors"),
    )
    # What the run prints for people without --json: a report of these figures.
    database = figures["database"]
    text = report(figures)
    assert f"Feed under load on {database}: 60 shoppers (8 signed in)" in text
    assert "300 cards:\n    plaza: first page" in text and "feed/trivial" in text
    assert "where a first page's time goes (4 more first pages in process: " in text
    assert "during a refresh of 400 items" in text


def assert_figures(run, connections):
    assert run["page"]["status"] == 200 and run["page"]["cards"] > 0
    memory = run["server_memory"]
    assert memory["pss_mb"] > 0 and all(memory["process_rss_mb"])
    assert all(
        0 < own < rss
        for own, rss in zip(memory["process_private_mb"], memory["process_rss_mb"], strict=True)
    )
    assert list(run["connections"]) == connections
    for row in run["connections"].values():
        for route in ("first_page", "next_page", "trivial"):
            measured = row[route]
            assert measured["requests"] > 0 and measured["pages_per_second"] > 0
            assert measured["errors"] == measured["non_2xx"] == 0
            assert 0 < measured["p50_ms"] <= measured["p99_ms"] <= measured["max_ms"]
        assert 0 < row["feed_over_trivial"] < 1


def assert_profile(run, pages, prepared=False):
    """Where a first page's time goes, shared out among the parts of Plaza that spend it."""
    profile = run["profile"]
    assert (profile["pages"], profile["prepared"]) == (pages, prepared)
    assert profile["cpu_ms_p50"] > 0
    assert sum(profile["share"].values()) == pytest.approx(1, abs=0.01)
    assert profile["share"]["ranking"] > 0 and profile["share"]["templates (Jinja)"] > 0


def test_it_compares_servers_back_to_back_round_after_round():
    # One of each family: a threaded server, a pre-forking one, and Plaza as shipped.
    servers = "waitress:1x2,gunicorn-sync:2,plaza:2x2"
    tiny = ("--consumers", "40", "--cards", "200", "--connections", "2", "--duration", "1",
            "--signed-in", "4", "--server", servers, "--rounds", "2", "--refresh-items", "0",
            "--json")  # fmt: skip
    done = run_bench(*tiny)
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["servers"] == servers.split(",") and figures["rounds"] == 2
    by_server = figures["catalogs"]["200"]
    assert list(by_server) == servers.split(",")
    for label, runs in by_server.items():
        assert len(runs) == 2
        for run in runs:
            assert_figures(run, connections=["2"])
        processes = int(label.split(":")[1].split("x")[0])
        # Each server's processes are counted (a master too, for all but waitress).
        assert len(runs[0]["server_memory"]["process_rss_mb"]) >= processes
    # The profile is of Plaza in process, whichever server: the first run only.
    profiled = [label for label, runs in by_server.items() for run in runs if "profile" in run]
    assert profiled == [servers.split(",")[0]]


def test_with_prepared_first_pages_the_first_page_runs_are_served_from_them():
    from bench.feed_load import report

    tiny = ("--consumers", "40", "--cards", "200", "--connections", "1", "--duration", "1",
            "--signed-in", "6", "--refresh-items", "0", "--prepared")  # fmt: skip
    done = run_bench(*tiny, "--json")
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    assert figures["prepared"] is True
    [run] = figures["catalogs"]["200"]["plaza"]
    assert_figures(run, connections=["1"])
    first = run["connections"]["1"]["first_page"]
    ahead = first["prepared"]
    assert ahead["shoppers"] == ahead["ready"] == 6 and ahead["cpu_ms_per_shopper"] > 0
    # Each signed-in shopper's first visit is served from their plan, once; the one
    # connection may leave a request the server answered after wrk's second ran out.
    assert min(first["requests"], 6) <= ahead["served"] <= min(first["requests"] + 1, 6)
    assert_profile(run, pages=3, prepared=True)
    # What the run prints for people without --json (the report of these figures).
    assert "1 connections: 6 first pages prepared ahead (" in report(figures)


def test_an_unknown_server_is_refused_before_anything_is_seeded():
    done = run_bench("--server", "uwsgi:2x2")
    assert done.returncode == 2 and "unknown server 'uwsgi'" in done.stderr


def test_the_aims_are_judged_from_the_figures_of_the_sizes_they_name():
    from bench.feed_load import aims

    def run(p50_alone: float, ratio: float, p99: float, own: list[float]):  # type: ignore[no-untyped-def]
        first = {"p50_ms": p50_alone, "p99_ms": p99}
        return [{"connections": {"1": {"first_page": first, "feed_over_trivial": 0.01},
                                 "16": {"first_page": first, "feed_over_trivial": ratio}},
                 "server_memory": {"process_private_mb": own}}]  # fmt: skip

    judged = aims({"catalogs": {
        "10000": {"plaza": run(20.0, 0.12, 80.0, [120.0])},
        "100000": {"plaza": run(25.0, 0.05, 450.0, [150.0])},
        "1000000": {"plaza": run(24.0, 0.11, 90.0, [118.0, 240.0])},
    }})  # fmt: skip
    verdicts = {aim["aim"]: (aim["figure"], aim["met"]) for aim in judged}
    assert verdicts == {
        "feed/trivial at 16 connections, 10,000 cards": (0.12, True),
        "feed/trivial at 16 connections, 100,000 cards": (0.05, False),
        "first page p99 at 16 connections, 100,000 cards (ms)": (450.0, False),
        "feed/trivial at 16 connections, 1,000,000 cards": (0.11, True),
        "own MB per server process, 1,000,000 cards": (240.0, False),
        "p50 alone at 1,000,000 cards over 10,000": (1.2, True),
    }
    # How far each unmet aim is, as a factor: what a reader needs to plan the next step.
    short = {aim["aim"]: aim["short_by"] for aim in judged if not aim["met"]}
    assert short == {
        "feed/trivial at 16 connections, 100,000 cards": 2.0,
        "first page p99 at 16 connections, 100,000 cards (ms)": 4.5,
        "own MB per server process, 1,000,000 cards": 1.2,
    }
