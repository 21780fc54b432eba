"""Migration 0006: counts rolled up before expected opens existed keep their meaning."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from app.migrate import upgrade


def test_older_counts_expect_the_overall_open_rate(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/plaza.db")  # foreign keys not enforced
    upgrade(engine, "0005")
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO provider_popularity (provider_id, impressions, opens) "
                "VALUES (1, 100, 10), (2, 300, 10)"
            )
        )
    upgrade(engine)
    with engine.connect() as db:
        rows = db.execute(
            text("SELECT provider_id, expected_opens FROM provider_popularity ORDER BY 1")
        ).all()
    # As if shown to average viewers: 20 opens in 400 impressions overall.
    assert [(p, pytest.approx(e)) for p, e in rows] == [(1, 5.0), (2, 15.0)]
