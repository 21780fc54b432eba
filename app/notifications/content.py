"""Reading what a set of outbox rows is about (their cards, their digests' items) in a
few queries, and putting it into words; shared by delivery and the notification centre."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import Card, CardState
from app.models.notifications import Notification
from app.notifications.compose import (
    Composed,
    Item,
    describe,
    describe_digest,
    digest_parts,
    digest_sections,
)
from app.notifications.policy import DIGEST_CATEGORY


@dataclass
class Contents:
    items: dict[int, Notification]  # rows the digests list
    cards: dict[int, Card]
    dismissed: set[tuple[int, int]]  # (user, card)

    @classmethod
    def load(cls, db: Session, rows: Sequence[Notification]) -> Contents:
        item_ids = [i for r in rows if r.category == DIGEST_CATEGORY for i in r.content["items"]]
        items = {
            r.id or 0: r
            for r in db.exec(select(Notification).where(col(Notification.id).in_(item_ids)))
        }
        card_ids = {r.card_id for r in [*rows, *items.values()] if r.card_id}
        cards = {c.id or 0: c for c in db.exec(select(Card).where(col(Card.id).in_(card_ids)))}
        dismissed = db.exec(
            select(CardState.user_id, CardState.card_id).where(
                col(CardState.user_id).in_({r.user_id for r in rows}),
                col(CardState.card_id).in_(card_ids),
                col(CardState.dismissed_at).is_not(None),
            )
        ).all()
        return cls(items, cards, {(u, c) for u, c in dismissed})

    def compose(self, row: Notification) -> Composed | None:
        """The words for a row; None when nothing in it is still shown to the consumer."""
        if row.category != DIGEST_CATEGORY:
            item = self.describe(row)
            return Composed.single(item) if item else None
        parts = [(p.mode, self._listed(p.item_ids), p.total) for p in digest_parts(row)]
        parts = [(mode, items, max(total, len(items))) for mode, items, total in parts if items]
        if not parts:
            return None
        items = [item for _, listed, _ in parts for item in listed]
        total = sum(counted for _, _, counted in parts)
        return Composed(
            describe_digest([mode for mode, _, _ in parts], items, total),
            items,
            total - len(items),
            digest_sections(parts),
        )

    def _listed(self, ids: list[int]) -> list[Item]:
        """The digest items still shown, in the digest's order."""
        described = (self.describe(self.items[i]) for i in ids if i in self.items)
        return [item for item in described if item is not None]

    def describe(self, row: Notification) -> Item | None:
        if row.card_id is not None and (row.user_id, row.card_id) in self.dismissed:
            return None
        return describe(row, self.cards.get(row.card_id or 0))
