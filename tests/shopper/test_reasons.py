"""What a card's reason line says: correct English that claims only what happened."""

from __future__ import annotations

import pytest

from app.ranking.rank import Reason
from app.shopper.display import reason_text
from cards.taxonomy import default_taxonomy

TAXONOMY = default_taxonomy()
SOURCE = "Harbor & Home"
HEADPHONES = 41


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        (Reason("follow", "electronics/audio"), "Because you follow Audio"),
        (Reason("related", "home/kitchen"), "Related to Kitchen & dining, which you follow"),
        (
            Reason("saved_similar", "electronics/audio", count=1, card_id=HEADPHONES),
            "Similar to the Trail Runner 2 you saved",
        ),
        (Reason("saved_similar", "electronics/audio", count=3), "You saved 3 cards about Audio"),
        (Reason("saved_similar", "electronics/audio", count=1), "Similar to a card you saved"),
        (Reason("opened_similar", "sports/hiking", count=4), "You opened 4 cards about Hiking"),
        (Reason("opened_similar", "sports/hiking", count=1), "Similar to a card you opened"),
        (Reason("liked_source", provider_id=3), "You often open cards from Harbor & Home"),
        # An interest the taxonomy no longer knows is never shown as its slug.
        (Reason("follow", "home/no-such-thing"), "From Harbor & Home"),
        (Reason("related", "home/no-such-thing"), "From Harbor & Home"),
        (Reason("saved_similar", "home/no-such-thing", count=2), "Similar to cards you saved"),
    ],
)
def test_reasons_read_as_english(reason: Reason, text: str):
    assert reason_text(reason, TAXONOMY, SOURCE, titles={HEADPHONES: "Trail Runner 2"}) == text


def test_a_long_or_articled_title_reads_well():
    titles = {
        1: "The Auralink Quiet 700 Noise-Cancelling Over-Ear Headphones, Matte Black",
        2: "A Very Good Pan",
    }
    long = reason_text(Reason("saved_similar", "electronics/audio", count=1, card_id=1),
                       TAXONOMY, SOURCE, titles=titles)  # fmt: skip
    assert long.startswith("Similar to The Auralink Quiet 700") and long.endswith("… you saved")
    assert len(long) < 80
    short = reason_text(Reason("saved_similar", "home/kitchen", count=1, card_id=2),
                        TAXONOMY, SOURCE, titles=titles)  # fmt: skip
    assert short == "Similar to A Very Good Pan you saved"
