"""A product whose price fell keeps the record of its drop (the price before, and when)
while the price stays below it, so that its card can say "Price dropped" for as long as
that is true; once the price is back up, the card stops saying it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.ingest.store import store_drafts
from app.models import Card
from cards.spec import CardDraft

START = datetime(2026, 10, 24, 22, 15, tzinfo=UTC)


def refresh(world, provider, price: str, at: datetime) -> Card:  # type: ignore[no-untyped-def]
    draft = CardDraft(external_id="tent", title="Basecamp tent", interests=["shoes"],
                      payload={"price": price, "currency": "USD"}, published_at=START)  # fmt: skip
    store_drafts(world.db, provider, [draft], world.app.extensions["plaza.taxonomy"], at)
    world.db.commit()
    return world.db.exec(select(Card).where(Card.provider_id == provider.id)).one()


def test_a_price_drop_is_kept_while_it_holds_and_ends_when_the_price_goes_back_up(world):
    shop = world.provider("Camp shop")
    assert refresh(world, shop, "120.00", START).badge == "new"

    dropped_at = START + timedelta(hours=6)
    card = refresh(world, shop, "99.00", dropped_at)
    assert card.badge == "price_drop"
    assert card.payload["previous_price"] == "120.00"
    assert card.payload["price_dropped_at"] == dropped_at.isoformat()

    # The next refreshes bring the same price: the drop is still news, and nothing changed.
    card = refresh(world, shop, "99.00", dropped_at + timedelta(days=1))
    assert (card.badge, card.payload["previous_price"]) == ("price_drop", "120.00")
    assert card.payload["price_dropped_at"] == dropped_at.isoformat()
    assert card.updated_at == dropped_at

    card = refresh(world, shop, "125.00", dropped_at + timedelta(days=2))
    assert card.badge is None
    assert "previous_price" not in card.payload and "price_dropped_at" not in card.payload
