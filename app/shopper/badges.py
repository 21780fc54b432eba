"""What a product card claims about itself: its badges (a sale's "-20%", shown with a
minus sign, "Price dropped", "New") and its stock state. Each is worked out from what
Plaza stored and the time now, so that it says something true: "New" on every product
meant nothing, and a sale without its percentage hid the one figure shoppers compare.

Pure functions of a card and ``now``: the caller passes its clock's time, and the card
frame cache (:class:`app.shopper.display.CardFrames`) keys on the badges it shows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR

from app.config import MIN_DISCOUNT_PERCENT
from app.models import Card
from app.ranking.candidate import is_price_drop, new_until_ts, price_dropped_at
from cards.prices import stored_price
from feeds.normalize import as_utc


@dataclass(frozen=True)
class Badge:
    """One badge: its visible ``text``, its ``tone`` (a CSS modifier: ``badge--deal``) and,
    when the text is a symbol a screen reader would spell out, the words it stands for."""

    text: str
    tone: str
    spoken: str = ""


@dataclass(frozen=True)
class Stock:
    """A product's availability: ``state`` names its CSS class (``stock--backorder``),
    ``text`` the words a shopper reads, so that the state is never told by colour alone."""

    state: str
    text: str


# The availability tokens a product feed stores (cards/product_feed.py), in words.
# Product feeds give no stock counts, so there is no "low stock" to tell.
STOCK_WORDS: Mapping[str, str] = {
    "in_stock": "In stock",
    "backorder": "On backorder",
    "preorder": "Pre-order",
    "out_of_stock": "Out of stock",
}


def discount_percent(regular: object, sale: object) -> int | None:
    """How much the sale price saves, in whole percent of the regular price, rounded down
    so that the badge never promises more than the shopper saves (19.6% reads "-19%");
    None when there is no saving of at least :data:`MIN_DISCOUNT_PERCENT`."""
    was, now = stored_price(regular), stored_price(sale)
    if was is None or now is None or was <= 0 or now < 0 or now >= was:
        return None
    share = (was - now) * 100 / was
    if share < MIN_DISCOUNT_PERCENT:
        return None
    return int(share.to_integral_value(rounding=ROUND_FLOOR))


def is_new(card: Card, now: datetime) -> bool:
    """Whether the card is still new (:func:`app.ranking.candidate.new_until_ts`)."""
    published, first_seen = as_utc(card.published_at), as_utc(card.first_seen_at)
    return now.timestamp() < new_until_ts(published.timestamp(), first_seen.timestamp())


def card_badges(card: Card, now: datetime) -> tuple[Badge, ...]:
    """The card's badges, the strongest claim first: the sale's saving, a recent price
    drop, then "New"."""
    payload = card.payload or {}
    badges: list[Badge] = []
    percent = discount_percent(payload.get("price"), payload.get("sale_price"))
    if percent is not None:
        badges.append(Badge(f"\u2212{percent}%", "deal", f"{percent}% off"))
    # A price drop is the feed's rule for one (a deal while it is news), so that the
    # badge and "only deals" agree; a sale that started is the drop: its "-n%" tells
    # it, not twice.
    before = stored_price(payload.get("previous_price"))
    sale_began = percent is not None and before == stored_price(payload.get("price"))
    if is_price_drop(price_dropped_at(payload, card.updated_at), now) and not sale_began:
        badges.append(Badge("Price dropped", "drop"))
    if is_new(card, now):
        badges.append(Badge("New", "new"))
    return tuple(badges)


def stock_state(payload: Mapping[str, object]) -> Stock | None:
    """The product's stock state, or None when its feed did not say."""
    token = payload.get("availability")
    if not isinstance(token, str) or token not in STOCK_WORDS:
        return None
    return Stock(token, STOCK_WORDS[token])
