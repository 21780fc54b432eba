"""bench/ingest.py runs end to end at a tiny size and stores every item (no timing asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from app.db import make_engine
from app.models import Card, Provider

ROOT = Path(__file__).resolve().parents[2]
PHASES = ("refresh_new", "refresh_changed", "refresh_not_modified", "bare_feedparser")


def run_bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "ingest.py"), "--providers", "3", "--items", "5",
         *args],
        capture_output=True, text=True, timeout=300, check=False, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_json_has_every_figure_and_every_item_was_stored(database_url):
    figures = json.loads(run_bench("--json", "--database-url", database_url))

    assert (figures["providers"], figures["items_per_provider"], figures["items"]) == (3, 5, 15)
    assert figures["timed"]
    for phase in PHASES:
        assert figures[phase]["seconds"] > 0 and figures[phase]["cpu_seconds"] > 0
    assert figures["refresh_new"]["items_per_second"] > 0
    assert figures["refresh_new"]["http_statuses"] == {"200": 3}
    assert figures["refresh_not_modified"]["http_statuses"] == {"304": 3}
    assert figures["refresh_changed"]["http_statuses"] == {"200": 3}
    assert figures["bare_feedparser"]["entries"] == 15
    assert figures["stored_cards"] == 15
    for ratio in ("plaza_over_feedparser", "not_modified_speedup"):
        assert figures[ratio]["wall"] > 0 and figures[ratio]["cpu"] > 0

    engine = make_engine(database_url)
    with Session(engine) as db:
        assert db.exec(select(func.count()).select_from(Card)).one() == 15
        assert [p.card_count for p in db.exec(select(Provider))] == [5, 5, 5]
        title = db.exec(select(Card.title).where(Card.external_id == "S0-00000")).one()
        assert title.endswith("(new season)")  # the changed feed was stored too
    engine.dispose()


def test_without_options_it_prints_figures_for_people():
    text = run_bench()

    assert "3 providers x 5 items = 15 items (sqlite)" in text
    assert "timed: one provider after another on one thread" in text
    assert "cards stored: 15 of 15" in text
    assert "Plaza refresh / bare feedparser:" in text
    assert "304 refresh is" in text
