"""Scrolling a visit: its second page ranks the next few at once, the pages after it
come from that plan, and what the shopper does meanwhile still applies at once."""

from __future__ import annotations

from sqlmodel import select

from app.models import Provider, ProviderStatus
from app.ranking.plans import PAGES_AHEAD
from tests.conftest import csrf_token
from tests.shopper.test_feed import card_ids, next_url
from tests.statements import statements

HX = {"HX-Request": "true"}


def a_long_feed(world) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
    world.consumer(follows=("shoes",))
    cards = {
        "North": world.cards(world.provider("North"), 60, interests=("shoes/running",)),
        "South": world.cards(world.provider("South"), 60, interests=("shoes/hiking",)),
    }
    world.login()
    return cards


def two_pages(world) -> tuple[dict[str, list[int]], str]:  # type: ignore[no-untyped-def]
    """A long feed scrolled to its second page (which plans the next ones)."""
    cards = a_long_feed(world)
    first = world.client.get("/").get_data(as_text=True)
    return cards, world.client.get(next_url(first), headers=HX).get_data(as_text=True)


def test_a_whole_visit_serves_every_card_once_and_ranks_once_every_few_pages(world):
    cards = a_long_feed(world)
    html = world.client.get("/").get_data(as_text=True)
    served = card_ids(html)
    histories = []  # per next page: did it read the shopper's history (and so rank)?
    url = next_url(html)
    while url:
        with statements(world.app) as seen:
            html = world.client.get(url, headers=HX).get_data(as_text=True)
        histories.append(seen["SELECT", "card_interest"] > 0)
        served += card_ids(html)
        url = next_url(html)
    assert sorted(served) == sorted(cards["North"] + cards["South"])  # each once, none lost
    assert len(histories) == 5  # pages 2 to 6 of 120 cards
    # Page 2 ranks pages 2-4 ahead, page 5 ranks again (5-6 and the end).
    assert histories == [True, False, False, True, False]
    assert PAGES_AHEAD == 3


def test_a_provider_hidden_while_scrolling_is_gone_from_the_planned_pages(world):
    cards, second = two_pages(world)
    south = next(card for card in card_ids(second) if card in cards["South"])
    hidden = world.client.post(
        f"/cards/{south}/hide-provider", data={"csrf_token": csrf_token(world.client, "/")}
    )
    assert hidden.status_code in (200, 303)
    third = world.client.get(next_url(second), headers=HX).get_data(as_text=True)
    assert len(card_ids(third)) == 20
    assert not set(card_ids(third)) & set(cards["South"])


def test_an_interest_muted_while_scrolling_is_gone_from_the_planned_pages(world):
    cards, second = two_pages(world)
    north = next(card for card in card_ids(second) if card in cards["North"])
    muted = world.client.post(
        f"/cards/{north}/not-interested",
        data={"interest": "shoes/running", "csrf_token": csrf_token(world.client, "/")},
    )
    assert muted.status_code in (200, 303)
    third = world.client.get(next_url(second), headers=HX).get_data(as_text=True)
    assert card_ids(third) and not set(card_ids(third)) & set(cards["North"])


def test_a_planned_card_whose_provider_was_suspended_is_ranked_away(world):
    cards, second = two_pages(world)
    south = world.db.exec(select(Provider).where(Provider.name == "South")).one()
    south.status = ProviderStatus.SUSPENDED
    world.db.add(south)
    world.db.commit()
    third = world.client.get(next_url(second), headers=HX).get_data(as_text=True)
    assert len(card_ids(third)) == 20
    assert not set(card_ids(third)) & set(cards["South"])
