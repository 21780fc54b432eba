"""Prices as a card's payload stores them: ``price``, ``sale_price`` and, once ingest
has seen the price fall, ``previous_price``, each a decimal string ("79.90") in the
payload's ``currency``. Any kind may carry them (products do).

Every part of Plaza reads them through here (ingest's price drops, ranking's deals,
badges, notifications, the templates' ``money``), so that a missing, empty or unreadable
price is the same nothing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any


def stored_price(value: object) -> Decimal | None:
    """A stored price as a number; None when missing, unreadable or not finite."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def paid_price(payload: Mapping[str, Any]) -> Decimal | None:
    """What a shopper pays: the sale price when there is one (a sale may make it free)."""
    sale = stored_price(payload.get("sale_price"))
    return sale if sale is not None else stored_price(payload.get("price"))
