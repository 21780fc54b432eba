"""Store what a provider's refresh produced: upsert cards and their interests.

Cards are deduplicated by (provider, external id) and updated in place, so a
consumer who saved a product keeps it when the retailer edits the title. A
product whose price fell since the last refresh is marked ``price_drop``, with the
price before and the time it fell in its payload (``previous_price``,
``price_dropped_at``), kept while the price stays below it: what the card's "Price
dropped" badge and its struck-through price tell (:mod:`app.shopper.badges`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, delete, select

from app.db import writers_turn
from app.models import Card, CardInterest, Provider, stored_id
from app.search.index import index_cards
from cards.prices import paid_price, stored_price
from cards.registry import UnknownKind, get_kind
from cards.spec import CardDraft
from cards.taxonomy import Taxonomy

TITLE_MAX = 300
EXTERNAL_ID_MAX = 512


@dataclass
class IngestCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    expired: int = 0

    def __str__(self) -> str:
        return (
            f"{self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.expired} expired"
        )


# Drafts written per transaction. SQLite lets one writer in at a time, and every feed
# page writes its impressions: a shop's refresh of 100,000 items in one transaction held
# pages back for its whole length (p50 4.5 s while it ran, bench/feed_load.py).
WRITE_CHUNK = 500


def store_drafts(
    db: Session,
    provider: Provider,
    drafts: Iterable[CardDraft],
    taxonomy: Taxonomy,
    now: datetime,
    gone_grace: timedelta | None = None,
) -> IngestCounts:
    """Upsert ``drafts`` for ``provider``, committing every :data:`WRITE_CHUNK` drafts;
    the caller commits the rest. New and changed cards are written to the search index
    with their chunk (:mod:`app.search.index`).

    A refresh that fails midway keeps the chunks it committed: the cards it stored are
    right, only not all of the source's yet, as after a source that sent fewer items.
    With ``gone_grace``, stored cards whose items are no longer in the source end
    ``gone_grace`` after now (an item that comes back is live again), once every draft
    is stored.
    """
    counts = IngestCounts()
    existing = {
        card.external_id: card
        for card in db.exec(select(Card).where(Card.provider_id == provider.id)).all()
    }
    stored_slugs: dict[int, set[str]] = {}
    for card_id, slug in db.exec(
        select(CardInterest.card_id, CardInterest.slug)
        .join(Card, col(Card.id) == col(CardInterest.card_id))
        .where(Card.provider_id == provider.id)
    ):
        stored_slugs.setdefault(card_id, set()).add(slug)
    seen: set[str] = set()
    chunk = _Chunk()
    for draft in drafts:
        external_id = storable_id(draft.external_id)
        if external_id in seen:
            continue
        if len(seen) % WRITE_CHUNK == 0 and seen:
            counts.new += chunk.write(db, taxonomy)
            db.commit()
            writers_turn(db)
            chunk = _Chunk()
        seen.add(external_id)
        slugs = _card_interests(draft, provider, taxonomy)
        card = existing.get(external_id)
        if card is None:
            chunk.created.append((_new_card(provider, external_id, draft, now), slugs))
            continue
        before = _snapshot(card)
        old_price = paid_price(card.payload)
        drop = {key: card.payload[key] for key in DROP_KEYS if key in card.payload}
        apply_draft(card, draft, now)
        new_price = paid_price(card.payload)
        if old_price is not None and new_price is not None and new_price < old_price:
            card.badge = "price_drop"
            drop = {"previous_price": f"{old_price:.2f}", "price_dropped_at": now.isoformat()}
            card.payload = {**card.payload, **drop}
        elif _still_below(new_price, drop.get("previous_price")):
            card.payload = {**card.payload, **drop}  # the drop holds: keep telling it
        elif card.badge == "price_drop":
            card.badge = None  # the price went back up: no drop to tell any more
        changed = _snapshot(card) != before
        card_id = stored_id(card)
        moved = card.published_at != before[PUBLISHED]  # interests carry it, for their index
        if moved or stored_slugs.get(card_id, set()) != set(slugs):
            chunk.reinterested[card_id] = [
                {"card_id": card_id, "slug": slug, "published_at": card.published_at}
                for slug in slugs
            ]
            changed = True
        if changed:
            card.updated_at = now
            chunk.changed.append(card_id)
            counts.updated += 1
        else:
            counts.unchanged += 1
    counts.new += chunk.write(db, taxonomy)
    if gone_grace is not None:
        counts.expired = _expire_gone(existing, seen, now + gone_grace, now)
    return counts


@dataclass
class _Chunk:
    """A chunk's writes, kept until it ends and then written at once: a statement in the
    middle of a chunk would hold SQLite's write lock while the rest is worked out, and
    a waiting page only tries again every so often, so it would rarely get its turn."""

    created: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    reinterested: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    changed: list[int] = field(default_factory=list)  # stored cards the drafts changed

    def write(self, db: Session, taxonomy: Taxonomy) -> int:
        """Write the chunk and its cards' search documents (the caller commits); returns
        how many cards are new."""
        if self.reinterested:  # flushes the chunk's changed cards first
            db.exec(delete(CardInterest).where(col(CardInterest.card_id).in_(self.reinterested)))
            rows = [row for rows in self.reinterested.values() for row in rows]
            if rows:
                db.execute(insert(CardInterest), rows)
        new = _insert(db, self.created)
        index_cards(db, [*new, *self.changed], taxonomy)
        return len(new)


def _expire_gone(existing: dict[str, Card], seen: set[str], ends: datetime, now: datetime) -> int:
    expired = 0
    for external_id, card in existing.items():
        if external_id in seen or (card.ends_at is not None and card.ends_at <= ends):
            continue
        card.ends_at = ends
        card.updated_at = now
        expired += 1
    return expired


def storable_id(external_id: str) -> str:
    """Ids longer than the column (some feeds use long URLs) are stored as a digest."""
    if len(external_id) <= EXTERNAL_ID_MAX:
        return external_id
    return "sha256:" + hashlib.sha256(external_id.encode()).hexdigest()


def _card_interests(draft: CardDraft, provider: Provider, taxonomy: Taxonomy) -> list[str]:
    """The draft's interests and the provider's; for a kind whose items name their own
    (``item_interests``), the provider's only when the item named none Plaza knows."""
    own = [slug for slug in draft.interests if slug in taxonomy]
    try:
        item_interests = get_kind(provider.kind).item_interests
    except UnknownKind:
        item_interests = False
    slugs: list[str] = []
    for slug in own if own and item_interests else [*own, *provider.interests]:
        if slug in taxonomy and slug not in slugs:
            slugs.append(slug)
    return slugs


def _new_card(
    provider: Provider, external_id: str, draft: CardDraft, now: datetime
) -> dict[str, Any]:
    """The column values of a card seen for the first time."""
    return {
        "provider_id": provider.id,
        "kind": provider.kind,
        "external_id": external_id,
        **_columns(draft, draft.published_at or now),
        "badge": "new",
        "first_seen_at": now,
        "updated_at": now,
    }


def _insert(db: Session, created: list[tuple[dict[str, Any], list[str]]]) -> list[int]:
    """New cards and their interests in two batched INSERTs, without building ORM objects:
    a first refresh stores hundreds of cards, and constructing models costs more than the
    SQL itself. Returns the cards' ids."""
    if not created:
        return []
    ids = db.scalars(
        insert(Card).returning(col(Card.id), sort_by_parameter_order=True),
        [row for row, _ in created],
    ).all()
    interests = [
        {"card_id": card_id, "slug": slug, "published_at": row["published_at"]}
        for card_id, (row, slugs) in zip(ids, created, strict=True)
        for slug in slugs
    ]
    if interests:
        db.execute(insert(CardInterest), interests)
    return [card_id for card_id in ids if card_id is not None]


def _columns(draft: CardDraft, published_at: datetime) -> dict[str, Any]:
    """What a draft sets on its card, new or stored."""
    return {
        "title": draft.title[:TITLE_MAX],
        "summary": draft.summary,
        "url": draft.url,
        "image_url": draft.image_url,
        "payload": dict(draft.payload),
        "published_at": published_at,
        "starts_at": draft.starts_at,
        "ends_at": draft.ends_at,
    }


def apply_draft(card: Card, draft: CardDraft, now: datetime) -> None:
    """Copy what a draft says onto a card (stored, or a preview that is never saved)."""
    for name, value in _columns(draft, draft.published_at or card.published_at or now).items():
        setattr(card, name, value)


PUBLISHED = 5  # published_at's place in a _snapshot
DROP_KEYS = ("previous_price", "price_dropped_at")  # a price drop's record in the payload


def _snapshot(card: Card) -> tuple[Any, ...]:
    return (
        card.title,
        card.summary,
        card.url,
        card.image_url,
        card.payload,
        card.published_at,
        card.starts_at,
        card.ends_at,
        card.badge,
    )


def _still_below(price: Decimal | None, previous: object) -> bool:
    before = stored_price(previous)
    return price is not None and before is not None and price < before
