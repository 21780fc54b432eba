""" "Why this card?": reasons in words, and controls that change what comes next."""

from __future__ import annotations

import html
import re

from sqlmodel import select

from app.models import ConsumerInterest, Event

HX = {"HX-Request": "true"}
CARD_ID = re.compile(r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_panel_explains_the_card_and_offers_controls(world):
    world.consumer(follows=("shoes",))
    (card,) = world.cards(world.provider("Northwind"), 1, interests=("shoes/running/trail",))
    world.login()
    panel = world.client.get(f"/cards/{card}/why", headers=HX)
    body = text(panel)
    assert panel.status_code == 200 and "<html" not in body
    assert "Because you follow Shoes" in body
    assert "Follow Trail running shoes" in body  # a topic chip to follow the exact interest
    assert "Show less like this" in body and "Hide cards from Northwind" in body
    page = world.client.get(f"/cards/{card}/why")
    assert "<html" in text(page) and "Why you see this" in text(page)


def test_following_a_topic_from_the_panel_changes_the_profile(world):
    world.consumer(follows=("shoes",))
    (card,) = world.cards(world.provider(), 1, interests=("shoes/running/trail",))
    token = world.login()
    chip = world.client.post(
        "/interests/shoes/running/trail/follow", data={"csrf_token": token}, headers=HX
    )
    assert 'aria-pressed="true"' in chip.get_data(as_text=True)
    assert world.db.get(ConsumerInterest, (1, "shoes/running/trail")).state == "follow"
    assert "Because you follow Trail running shoes" in text(
        world.client.get(f"/cards/{card}/why", headers=HX)
    )


def test_show_less_sinks_that_kind_of_card_on_the_next_page(world):
    world.consumer(follows=("shoes",))
    trail = world.cards(world.provider("Trail"), 3, interests=("shoes/running/trail",))
    hiking = world.cards(world.provider("Hike"), 3, interests=("shoes/hiking",), age_hours=2)
    token = world.login()
    first = [int(i) for i in CARD_ID.findall(world.client.get("/").get_data(as_text=True))]
    assert first[0] in trail  # fresher
    for card in trail:
        response = world.client.post(f"/cards/{card}/less", data={"csrf_token": token}, headers=HX)
        assert "fewer cards like this" in text(response)
    after = [int(i) for i in CARD_ID.findall(world.client.get("/").get_data(as_text=True))]
    assert after[0] in hiking
    kinds = world.db.exec(select(Event.kind).where(Event.kind == "show_less")).all()
    assert len(kinds) == 3


def test_the_panel_needs_a_real_card_and_a_login(world, client):
    world.consumer()
    world.login()
    assert world.client.get("/cards/424242/why").status_code == 404
    assert client.application.test_client().get("/cards/1/why").status_code in (302, 401)


FEED_CURSOR = re.compile(r'data-feed-cursor="([^"]+)"')


def test_a_control_reranks_the_cards_already_below_on_screen(world):
    user = world.consumer(follows=("shoes", "home"))
    shoes = world.cards(world.provider("Shoes"), 6, interests=("shoes/running",))
    home = world.cards(world.provider("Home"), 6, interests=("home/kitchen",), age_hours=30)
    token = world.login()
    page = world.client.get("/").get_data(as_text=True)
    shown = [int(i) for i in CARD_ID.findall(page)]
    assert shown[0] in shoes and set(shoes) <= set(shown)  # fresher, as followed as kitchen
    cursor = html.unescape(FEED_CURSOR.search(page).group(1))
    first, below = shown[0], shown[1:]
    world.client.post("/interests/shoes/unfollow", data={"csrf_token": token}, headers=HX)
    rest = world.client.post(
        "/feed/rerank",
        data={"csrf_token": token, "cursor": cursor, "replace": below},
        headers=HX,
    )
    assert rest.status_code == 200 and "<html" not in text(rest)
    reranked = [int(i) for i in CARD_ID.findall(rest.get_data(as_text=True))]
    assert set(reranked) == set(home)  # the rest of the feed follows the change at once
    assert first not in reranked  # the card the consumer is reading stays where it is
    # Each card still counts one impression in this feed: the replaced ones were withdrawn.
    impressions = world.db.exec(
        select(Event.card_id).where(Event.user_id == user, Event.kind == "impression")
    ).all()
    assert sorted(impressions) == sorted([first, *reranked])


def test_reranking_refuses_bad_input_and_changes_nothing(world):
    world.consumer(follows=("shoes",))
    world.cards(world.provider(), 3, interests=("shoes/running",))
    token = world.login()
    page = world.client.get("/").get_data(as_text=True)
    cursor = html.unescape(FEED_CURSOR.search(page).group(1))
    before = len(world.db.exec(select(Event)).all())
    bad = [
        {"cursor": cursor, "replace": ["1", "two"]},
        {"cursor": "forged", "replace": ["1"]},
        {"cursor": cursor, "replace": [str(n) for n in range(501)]},
    ]
    for form in bad:
        response = world.client.post("/feed/rerank", data={"csrf_token": token, **form})
        assert response.status_code == 400, form
    assert "card numbers" in text(
        world.client.post(
            "/feed/rerank", data={"csrf_token": token, "cursor": cursor, "replace": "x"}
        )
    )
    no_csrf = world.client.post("/feed/rerank", data={"cursor": cursor, "replace": ["1"]})
    assert no_csrf.status_code == 400
    assert len(world.db.exec(select(Event)).all()) == before
