"""Migration 0020 indexes the cards stored before search existed, and steps back cleanly."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from sqlmodel import Session, select

from app.db import make_engine
from app.migrate import alembic_config, upgrade
from app.search.index import match

CARD_ROWS = (
    "INSERT INTO organization (id, slug, name, kind, created_at)"
    " VALUES (91, 'trailpeak', 'Trailpeak', 'brand', '2026-01-01')",
    "INSERT INTO provider (id, organization_id, kind, name, config, interests, status,"
    " interval_seconds, consecutive_errors, card_count, created_at) VALUES"
    " (91, 91, 'product_feed', 'Trailpeak shop', '{}', '[]', 'active', 3600, 0, 1, '2026-01-01')",
    "INSERT INTO card (id, provider_id, kind, external_id, title, summary, payload,"
    " published_at, first_seen_at, updated_at) VALUES (91, 91, 'product_feed', 'x',"
    " 'Cloudrunner 3', 'Grippy soles', '{\"brand\": \"Pacer\"}', '2026-01-01', '2026-01-01',"
    " '2026-01-01')",
    "INSERT INTO card_interest (card_id, slug) VALUES (91, 'shoes/athletic-shoes/running-shoes')",
)


def found(db: Session, *words: str) -> list[int]:
    index = match(db, [(word,) for word in words], newest=10)
    return list(db.exec(select(index.card_id).select_from(index.matched)))


def test_the_upgrade_indexes_the_cards_already_stored(database_url):
    engine = make_engine(database_url)
    command.downgrade(alembic_config(engine), "0019")
    with engine.begin() as db:
        for statement in CARD_ROWS:
            db.execute(text(statement))
    upgrade(engine)
    with Session(engine) as db:
        for words in (("cloudrunner",), ("pacer",), ("grippy",), ("trailpeak", "shop"),
                      ("jogging", "shoes")):  # fmt: skip
            assert found(db, *words) == [91], words
        assert found(db, "kettle") == []
        vocabulary = set(db.exec(text("SELECT term FROM search_term")).scalars())
    engine.dispose()
    assert {"cloudrunner", "jogging", "pacer"} <= vocabulary
