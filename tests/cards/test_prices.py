"""A card's stored prices read one way everywhere: what the card shows, what ranking
counts as a deal and what ingest counts as a price drop agree, even on a price that
its feed garbled."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.ranking.candidate import DEAL, PRICED, offer_flags
from app.shopper.badges import discount_percent
from app.web.templating import money
from cards.prices import paid_price, stored_price


@pytest.mark.parametrize("garbled", [None, "", "about 100", "NaN", "Infinity", "-inf", "1e"])
def test_a_garbled_price_is_no_price_to_show_rank_or_badge(garbled):
    assert stored_price(garbled) is None
    assert money(garbled, "USD") == ""
    assert offer_flags(garbled, "80.00", "in_stock") == 0  # not priced, so no deal
    assert discount_percent(garbled, "80.00") is None


def test_a_readable_price_is_shown_ranked_and_badged_alike():
    assert stored_price("79.90") == Decimal("79.90")
    assert money("1299.5", "EUR") == "€1,299.50"
    assert offer_flags("100.00", "80.00", "in_stock") == PRICED | DEAL
    assert discount_percent("100.00", "80.00") == 20


@pytest.mark.parametrize(
    ("payload", "paid"),
    [
        ({"price": "100.00", "sale_price": "80.00"}, Decimal("80.00")),
        ({"price": "100.00", "sale_price": ""}, Decimal("100.00")),
        ({"price": "100.00", "sale_price": "NaN"}, Decimal("100.00")),
        ({"price": "100.00", "sale_price": "0.00"}, Decimal("0.00")),  # free is a price
        ({"sale_price": "5"}, Decimal("5")),
        ({}, None),
    ],
)
def test_what_a_shopper_pays_is_the_sale_price_when_there_is_one(payload, paid):
    assert paid_price(payload) == paid
