"""Choosing interests: onboarding, following, muting, search."""

from __future__ import annotations

import re

from sqlmodel import select

from app.accounts.users import create_user
from app.models import ConsumerInterest, User

HX = {"HX-Request": "true"}
CARD_ID = re.compile(r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"')


def new_consumer(world) -> str:
    with world.app.app_context():
        create_user(world.db, "fresh@example.com", world.password)
    world.db.commit()
    return world.login("fresh@example.com")


def test_a_new_consumer_picks_interests_before_the_first_feed(world):
    world.cards(world.provider(), 2, interests=("shoes/running",))
    token = new_consumer(world)
    assert world.client.get("/").headers["Location"] == "/onboarding"
    page = world.client.get("/onboarding").get_data(as_text=True)
    assert 'type="search"' in page and 'aria-label="Follow Shoes, 2 cards"' in page
    refused = world.client.post("/onboarding", data={"csrf_token": token})
    assert refused.headers["Location"] == "/onboarding"
    chip = world.client.post(
        "/interests/shoes/running/follow", data={"csrf_token": token}, headers=HX
    )
    assert 'aria-pressed="true"' in chip.get_data(as_text=True)
    done = world.client.post("/onboarding", data={"csrf_token": token})
    assert done.headers["Location"] == "/"
    user = world.db.exec(select(User).where(User.email == "fresh@example.com")).one()
    assert user.onboarded_at is not None
    assert world.client.get("/").status_code == 200


def test_search_as_you_type_returns_chips(world):
    new_consumer(world)
    fragment = world.client.get("/interests/search?q=run", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment
    assert "Running shoes" in fragment and "Trail running shoes" in fragment
    assert "Kitchen" not in fragment
    empty = world.client.get("/interests/search?q=zzzz", headers=HX).get_data(as_text=True)
    assert "No interest matches" in empty
    page = world.client.get("/interests/search?q=coffee").get_data(as_text=True)
    assert "<html" in page and "Coffee gear" in page


def test_following_a_parent_covers_its_children(world):
    world.consumer(follows=("home",))
    coffee = world.cards(world.provider(), 2, interests=("home/kitchen/coffee",))
    world.login()
    ids = [int(i) for i in CARD_ID.findall(world.client.get("/").get_data(as_text=True))]
    assert sorted(ids) == sorted(coffee)


def test_muting_wins_over_following(world):
    world.consumer(follows=("home",))
    coffee = world.cards(world.provider("C"), 2, interests=("home/kitchen/coffee",))
    world.cards(world.provider("K"), 2, interests=("home/kitchen",))
    token = world.login()
    world.client.post("/interests/home/kitchen/mute", data={"csrf_token": token}, headers=HX)
    html = world.client.get("/").get_data(as_text=True)
    assert CARD_ID.findall(html) == []
    world.client.post("/interests/home/kitchen/unmute", data={"csrf_token": token}, headers=HX)
    ids = [int(i) for i in CARD_ID.findall(world.client.get("/").get_data(as_text=True))]
    assert set(coffee) <= set(ids)


def test_the_interests_page_lists_followed_and_muted(world):
    world.consumer(follows=("shoes", "home"))
    token = world.login()
    world.client.post("/interests/home/kitchen/mute", data={"csrf_token": token})
    page = world.client.get("/interests").get_data(as_text=True)
    following = page.split("Following</h2>")[1].split("</div>")[0]
    assert "Shoes" in following and "Home" in following
    assert "Muted</h2>" in page and "Unmute Kitchen" in page


def test_unknown_interests_are_404_and_change_nothing(world):
    world.consumer()
    token = world.login()
    before = world.db.exec(select(ConsumerInterest)).all()
    response = world.client.post("/interests/not/a/thing/follow", data={"csrf_token": token})
    assert response.status_code == 404
    assert len(world.db.exec(select(ConsumerInterest)).all()) == len(before)


def test_following_needs_the_csrf_token(world):
    world.consumer()
    world.login()
    assert world.client.post("/interests/home/follow").status_code == 400
    assert world.db.get(ConsumerInterest, (1, "home")) is None


def test_the_interests_page_lists_categories_with_counts_and_no_chips_inside(world):
    world.consumer(follows=("shoes/running", "shoes/hiking", "home"))
    token = world.login()
    world.client.post("/interests/home/kitchen/mute", data={"csrf_token": token})
    page = world.client.get("/interests").get_data(as_text=True)
    browse = page.split("Add more</h2>")[1]
    summaries = dict(
        re.findall(r"<summary>([^<]+?)\s*(?:<span[^>]*>([^<]*)</span>)?</summary>", browse)
    )
    assert summaries == {
        "Apparel": "",
        "Shoes": "2 followed",
        "Home": "1 followed · 1 muted",
        "Sports &amp; outdoors": "",
        "Electronics": "",
    }
    # Only the categories: their interests come when one is opened.
    assert "chip-form" not in browse and "Trail running shoes" not in page
    assert 'hx-get="/interests/browse/shoes" hx-trigger="toggle once"' in browse
    assert 'href="/interests/browse/shoes"' in browse  # the way in without JavaScript


def test_opening_a_category_brings_its_interests_with_their_states(world):
    world.consumer(follows=("shoes/running",))
    token = world.login()
    world.client.post("/interests/shoes/hiking/mute", data={"csrf_token": token})
    fragment = world.client.get("/interests/browse/shoes", headers=HX)
    html = fragment.get_data(as_text=True)
    assert "<html" not in html and "HX-Request" in fragment.headers["Vary"]
    labels = re.findall(r'aria-label="([^"]+)"', html)
    assert labels == [
        "Follow Shoes",
        "Unmute Hiking boots",
        "Unfollow Running shoes",
        "Follow Trail running shoes",
    ]
    page = world.client.get("/interests/browse/shoes").get_data(as_text=True)
    assert "<html" in page and "Unfollow Running shoes" in page
    assert 'href="/interests"' in page


def test_without_javascript_a_category_page_follows_and_comes_back(world):
    world.consumer(follows=())
    token = world.login()
    followed = world.client.post(
        "/interests/shoes/running/trail/follow",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/interests/browse/shoes"},
    )
    assert followed.headers["Location"] == "/interests/browse/shoes"
    page = world.client.get("/interests/browse/shoes").get_data(as_text=True)
    assert "Unfollow Trail running shoes" in page


def test_only_known_categories_can_be_opened(world):
    world.consumer()
    world.login()
    for path in ("/interests/browse/shoes/running", "/interests/browse/nothing"):
        assert world.client.get(path, headers=HX).status_code == 404
    signed_out = world.app.test_client()
    assert signed_out.get("/interests/browse/shoes").status_code in (302, 303)
