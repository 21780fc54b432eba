"""Migration 0021 adds the shoppers' feed settings and steps back cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from app.db import make_engine
from app.migrate import alembic_config, upgrade


def test_the_feed_settings_table_comes_and_goes_with_its_migration(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    columns = {c["name"] for c in inspect(engine).get_columns("feed_preference")}
    assert {"user_id", "kinds", "in_stock_only", "deals_only", "density"} <= columns
    foreign = inspect(engine).get_foreign_keys("feed_preference")
    assert [(f["referred_table"], f["options"].get("ondelete")) for f in foreign] == [
        ("user", "CASCADE")  # deleting an account deletes its settings
    ]
    command.downgrade(alembic_config(engine), "0020")
    assert "feed_preference" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "feed_preference" in inspect(engine).get_table_names()
    engine.dispose()
