"""The home feed: pages, the cursor, htmx fragments and full pages."""

from __future__ import annotations

import re

from app.models import Card

CARD_ID = re.compile(r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"')
NEXT = re.compile(r'hx-get="(/feed\?cursor=[^"]+)"')


def card_ids(html: str) -> list[int]:
    return [int(i) for i in CARD_ID.findall(html)]


def next_url(html: str) -> str | None:
    match = NEXT.search(html)
    return match.group(1).replace("&amp;", "&") if match else None


def scroll_all(client, first_html: str) -> list[int]:
    seen = card_ids(first_html)
    url = next_url(first_html)
    while url:
        html = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
        seen += card_ids(html)
        url = next_url(html)
    return seen


def test_anonymous_visitors_see_the_landing_page(client):
    html = client.get("/").get_data(as_text=True)
    assert "Create an account" in html
    assert "data-card-id" not in html


def test_first_page_has_twenty_cards_and_a_link_to_more(world):
    world.consumer()
    world.cards(world.provider(), 45)
    world.login()
    response = world.client.get("/")
    html = response.get_data(as_text=True)
    assert len(card_ids(html)) == 20
    assert next_url(html) is not None
    assert "<html" in html  # a full page


def test_every_card_says_why_it_is_there(world):
    world.consumer(follows=("shoes",))
    world.cards(world.provider(), 3, interests=("shoes/running",))
    world.login()
    html = world.client.get("/").get_data(as_text=True)
    assert html.count('card__reason">Because you follow Shoes<') == 3


def test_scrolling_shows_every_card_once(world):
    world.consumer()
    expected = world.cards(world.provider("A"), 30) + world.cards(world.provider("B"), 25)
    world.login()
    seen = scroll_all(world.client, world.client.get("/").get_data(as_text=True))
    assert len(seen) == len(set(seen)) == 55
    assert set(seen) == set(expected)


def test_cards_arriving_mid_scroll_neither_repeat_nor_push_others_out(world):
    world.consumer()
    provider = world.provider()
    original = world.cards(provider, 50, age_hours=5)
    world.login()
    first = world.client.get("/").get_data(as_text=True)
    # Fresher cards arrive between page 1 and page 2: they would rank first.
    arrived = world.cards(provider, 10, start=100, age_hours=0)
    rest = scroll_all(world.client, first)
    assert len(rest) == len(set(rest)) == 50
    assert set(rest) == set(original)
    # The next visit to the home page shows them.
    fresh = card_ids(world.client.get("/").get_data(as_text=True))
    assert set(arrived) <= set(fresh)


def test_next_page_is_a_fragment_for_htmx_and_a_page_without_it(world):
    world.consumer()
    world.cards(world.provider(), 45)
    world.login()
    url = next_url(world.client.get("/").get_data(as_text=True))
    fragment = world.client.get(url, headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert len(card_ids(fragment.get_data(as_text=True))) == 20
    assert "HX-Request" in fragment.headers["Vary"]
    page = world.client.get(url)
    assert "<html" in page.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"]


def test_a_tampered_cursor_is_a_clear_400(world):
    world.consumer()
    world.cards(world.provider(), 25)
    world.login()
    url = next_url(world.client.get("/").get_data(as_text=True))
    response = world.client.get(url[:-3] + "xyz")
    assert response.status_code == 400
    assert "not valid any more" in response.get_data(as_text=True)
    assert world.client.get("/feed?cursor=%00%ff").status_code == 400


def test_cards_outside_the_consumers_interests_stay_out_of_their_part_of_the_feed(world):
    """They come only below the note that the feed is thin, as popular cards."""
    world.consumer(follows=("home/kitchen",))
    kitchen = world.cards(world.provider("K"), 3, interests=("home/kitchen/coffee",))
    shoes = world.cards(world.provider("S"), 3, interests=("shoes/running",))
    world.login()
    html = world.client.get("/").get_data(as_text=True)
    ours, _, popular = html.partition("Not much yet for your interests")
    assert sorted(card_ids(ours)) == sorted(kitchen)
    assert sorted(card_ids(popular)) == sorted(shoes)


def test_removed_cards_and_suspended_providers_are_not_shown(world):
    world.consumer()
    visible = world.cards(world.provider("Ok"), 2)
    removed = world.cards(world.provider("Removed"), 1)
    world.cards(world.provider("Suspended", status="suspended"), 2)
    card = world.db.get(Card, removed[0])
    from datetime import UTC, datetime

    card.removed_at = datetime.now(UTC)
    world.db.commit()
    world.login()
    assert sorted(card_ids(world.client.get("/").get_data(as_text=True))) == sorted(visible)


def test_the_feed_needs_a_login(client):
    response = client.get("/feed?cursor=abc")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
