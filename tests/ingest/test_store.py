"""Storing a refresh: a large one is written in short transactions, so that feed pages
can write their impressions while it runs (SQLite lets one writer in at a time)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

from sqlalchemy import func, insert
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from app.db import make_engine
from app.ingest import store
from app.ingest.store import store_drafts
from app.models import Card, CardInterest, Event, EventKind
from cards.spec import CardDraft

ITEMS = 1500


def drafts(interest: str, pause: float = 0.0) -> Iterator[CardDraft]:
    for n in range(ITEMS):
        time.sleep(pause)  # a source's items take a while to parse
        yield CardDraft(external_id=f"item-{n}", title=f"Item {n}", interests=[interest])


def test_pages_write_their_impressions_while_a_large_refresh_is_stored(
    world, database_url, monkeypatch
):
    monkeypatch.setattr(store, "WRITE_CHUNK", 50)
    shopper = world.consumer()
    shop = world.provider("Big shop")
    (card,) = world.cards(world.provider("Other"), 1)
    taxonomy = world.app.extensions["plaza.taxonomy"]
    store_drafts(world.db, shop, drafts("shoes"), taxonomy, datetime.now(UTC))
    world.db.commit()
    # Pages elsewhere, each waiting 2 s at most for the write lock (SQLite): a refresh that
    # held it for the whole 6 s would refuse them, and a busy machine's pause would not.
    sqlite = database_url.startswith("sqlite")
    pages = make_engine(f"{database_url}?timeout=2" if sqlite else database_url)
    refreshing, written, refused = threading.Event(), [], []

    def serve_pages() -> None:
        while refreshing.is_set():
            try:
                with Session(pages) as page:
                    page.execute(insert(Event), [{"user_id": shopper, "card_id": card,
                        "kind": EventKind.IMPRESSION, "detail": {},
                        "created_at": datetime.now(UTC)}])  # fmt: skip
                    page.commit()
                written.append(time.monotonic())
            except OperationalError as exc:
                refused.append(str(exc))
            time.sleep(0.05)

    refreshing.set()
    server = threading.Thread(target=serve_pages)
    server.start()
    try:  # every card moves to another interest: each one is written again
        counts = store_drafts(
            world.db, shop, drafts("shoes/running", pause=0.004), taxonomy, datetime.now(UTC)
        )
        world.db.commit()
    finally:
        refreshing.clear()
        server.join()
        pages.dispose()
    assert counts.updated == ITEMS
    assert not refused, refused[0]
    assert len(written) >= 10  # pages kept coming throughout the refresh's 6 s
    moved = (
        select(func.count())
        .select_from(CardInterest)
        .join(Card, col(Card.id) == CardInterest.card_id)
        .where(col(CardInterest.slug) == "shoes/running", Card.provider_id == shop.id)
    )
    assert world.db.exec(moved).one() == ITEMS
