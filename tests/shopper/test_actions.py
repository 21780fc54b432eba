"""Card actions and their effect on the very next page."""

from __future__ import annotations

import html
import re

from sqlmodel import select

from app.models import CardState, ConsumerInterest, Event, ProviderBlock

HX = {"HX-Request": "true"}
FROM_PLAZA = {"Sec-Fetch-Site": "same-origin"}  # a tap on one of Plaza's pages
CARD_ID = re.compile(r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"')


def feed_ids(client) -> list[int]:
    return [int(i) for i in CARD_ID.findall(client.get("/").get_data(as_text=True))]


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(world, path: str, token: str, htmx: bool = True, **data):
    return world.client.post(path, data={"csrf_token": token, **data}, headers=HX if htmx else {})


def test_save_and_unsave_update_the_card_in_place_and_the_saved_page(world):
    world.consumer()
    ids = world.cards(world.provider(), 3)
    token = world.login()
    response = post(world, f"/cards/{ids[0]}/save", token)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'data-card-id="{ids[0]}"' in html and 'aria-pressed="true"' in html
    assert "<html" not in html
    saved = world.client.get("/saved").get_data(as_text=True)
    assert f'id="saved-{ids[0]}"' in saved
    post(world, f"/cards/{ids[0]}/unsave", token)
    assert f'id="saved-{ids[0]}"' not in world.client.get("/saved").get_data(as_text=True)
    kinds = [e.kind for e in world.db.exec(select(Event).where(Event.kind != "impression"))]
    assert kinds == ["save", "unsave"]


def test_dismiss_hides_the_card_at_once_and_undo_brings_it_back(world):
    world.consumer()
    ids = world.cards(world.provider(), 3)
    token = world.login()
    response = post(world, f"/cards/{ids[1]}/dismiss", token)
    assert "Undo" in response.get_data(as_text=True)
    assert ids[1] not in feed_ids(world.client)
    undo = post(world, f"/cards/{ids[1]}/undismiss", token)
    assert undo.status_code == 200
    assert f'data-card-id="{ids[1]}"' in undo.get_data(as_text=True)
    assert ids[1] in feed_ids(world.client)


def test_not_interested_mutes_the_topic_on_every_later_page(world):
    world.consumer(follows=("shoes",))
    trail = world.cards(world.provider("T"), 25, interests=("shoes/running/trail",))
    hiking = world.cards(world.provider("H"), 5, interests=("shoes/hiking",))
    token = world.login()
    response = post(world, f"/cards/{trail[0]}/not-interested", token, interest="shoes/running")
    assert "You won't see cards about Running shoes." in text(response)
    state = world.db.get(ConsumerInterest, (1, "shoes/running"))
    assert state is not None and state.state == "mute"
    assert sorted(feed_ids(world.client)) == sorted(hiking)


def test_not_interested_in_a_topic_the_card_is_not_about_is_refused(world):
    world.consumer()
    ids = world.cards(world.provider(), 1)
    token = world.login()
    response = post(world, f"/cards/{ids[0]}/not-interested", token, interest="no/such/topic")
    assert response.status_code == 400
    assert (
        world.db.exec(select(ConsumerInterest).where(ConsumerInterest.state == "mute")).all() == []
    )


def test_hide_provider_removes_its_cards_and_can_be_undone(world):
    world.consumer()
    loud = world.cards(world.provider("Loud"), 5)
    quiet = world.cards(world.provider("Quiet"), 2)
    token = world.login()
    response = post(world, f"/cards/{loud[0]}/hide-provider", token)
    assert "You won't see cards from Loud." in text(response)
    assert sorted(feed_ids(world.client)) == sorted(quiet)
    post(world, f"/cards/{loud[0]}/unhide-provider", token)
    assert world.db.exec(select(ProviderBlock)).all() == []
    assert set(loud) <= set(feed_ids(world.client))


def test_open_is_tracked_then_goes_to_the_retailer(world):
    world.consumer()
    ids = world.cards(world.provider(), 1)
    world.login()
    response = world.client.get(f"/cards/{ids[0]}/open", headers=FROM_PLAZA)
    assert response.status_code == 303
    assert response.headers["Location"].startswith("https://shop.example/")
    assert world.db.exec(select(Event).where(Event.kind == "open")).one().card_id == ids[0]


def test_actions_without_javascript_return_to_the_page(world):
    world.consumer()
    ids = world.cards(world.provider(), 2)
    token = world.login()
    response = post(world, f"/cards/{ids[0]}/dismiss", token, htmx=False, next="/saved")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/saved#card-{ids[0]}"
    for hostile in ("https://evil.example/", "/\\evil.example", "/\t/evil.example"):
        evil = post(world, f"/cards/{ids[1]}/save", token, htmx=False, next=hostile)
        assert evil.headers["Location"] == f"/#card-{ids[1]}", hostile


def test_actions_need_the_csrf_token(world):
    world.consumer()
    ids = world.cards(world.provider(), 1)
    world.login()
    response = world.client.post(f"/cards/{ids[0]}/dismiss", headers=HX)
    assert response.status_code == 400
    assert world.db.exec(select(CardState)).all() == []


def test_the_csrf_token_also_works_as_an_htmx_header(world):
    world.consumer()
    ids = world.cards(world.provider(), 1)
    token = world.login()
    response = world.client.post(f"/cards/{ids[0]}/save", headers={**HX, "X-CSRFToken": token})
    assert response.status_code == 200


def test_unknown_cards_are_404_and_change_nothing(world):
    world.consumer()
    token = world.login()
    for action in ("save", "dismiss", "hide-provider", "answer"):
        assert post(world, f"/cards/999999/{action}", token).status_code == 404
    assert world.client.get("/cards/999999/open").status_code == 404
    assert world.db.exec(select(Event).where(Event.kind != "impression")).all() == []


def test_one_consumer_cannot_undo_anothers_choices(world, app):
    world.consumer("first@example.com")
    world.consumer("second@example.com")
    ids = world.cards(world.provider(), 2)
    token = world.login("first@example.com")
    post(world, f"/cards/{ids[0]}/dismiss", token)
    other = app.test_client()
    other_token = world.login("second@example.com", client=other)
    response = other.post(
        f"/cards/{ids[0]}/undismiss", data={"csrf_token": other_token}, headers=HX
    )
    assert response.status_code == 409
    assert ids[0] not in feed_ids(world.client)
    assert ids[0] in feed_ids(other)


def test_anonymous_actions_ask_for_a_login(world):
    ids = world.cards(world.provider(), 1)
    token = world.csrf()
    response = post(world, f"/cards/{ids[0]}/save", token)
    assert response.status_code == 401 or "/login" in response.headers.get("Location", "")
    assert world.db.exec(select(CardState)).all() == []


def _state(world, slug: str) -> str | None:
    world.db.expire_all()
    row = world.db.get(ConsumerInterest, (1, slug))
    return row.state if row is not None else None


def test_not_interested_in_an_interest_the_shopper_follows_asks_first(world):
    world.consumer(follows=("shoes/running", "shoes/hiking"))
    trail = world.cards(world.provider("T"), 3, interests=("shoes/running/trail",))
    token = world.login()
    asked = post(world, f"/cards/{trail[0]}/not-interested", token, interest="shoes/running")
    assert asked.status_code == 200 and "<html" not in text(asked)
    assert "Stop following Running shoes and mute it?" in text(asked)
    assert ">Confirm<" in text(asked) and ">Cancel<" in text(asked)
    assert "HX-Request" in asked.headers["Vary"]
    assert _state(world, "shoes/running") == "follow"  # nothing changed yet
    assert set(trail) <= set(feed_ids(world.client))

    muted = post(
        world, f"/cards/{trail[0]}/not-interested", token, interest="shoes/running", confirm="yes"
    )
    assert "You won't see cards about Running shoes." in text(muted)
    assert _state(world, "shoes/running") == "mute"
    assert not set(trail) & set(feed_ids(world.client))

    undo = re.search(r'hx-post="([^"]+)"', muted.get_data(as_text=True)).group(1)
    post(world, html.unescape(undo), token)
    assert _state(world, "shoes/running") == "follow"  # Undo gives the follow back
    assert set(trail) <= set(feed_ids(world.client))


def test_muting_a_whole_top_level_interest_asks_first_without_javascript_too(world):
    world.consumer(follows=("shoes/running",))
    trail = world.cards(world.provider("T"), 3, interests=("shoes/running/trail", "shoes"))
    token = world.login()
    path = f"/cards/{trail[0]}/not-interested"
    asked = post(world, path, token, htmx=False, interest="shoes", next="/")
    page = text(asked)
    assert asked.status_code == 200 and "<html" in page  # a page of its own
    assert "Mute all of Shoes? You follow Running shoes, which is in it." in page
    assert _state(world, "shoes") is None

    cancelled = post(world, path, token, htmx=False, interest="shoes", cancel="yes", next="/")
    assert cancelled.status_code == 303 and cancelled.headers["Location"] == "/"
    assert _state(world, "shoes") is None
    back = post(world, path, token, interest="shoes", cancel="yes")
    assert f'data-card-id="{trail[0]}"' in text(back) and "Not interested in" in text(back)

    confirmed = post(world, path, token, htmx=False, interest="shoes", confirm="yes", next="/")
    assert confirmed.status_code == 303
    assert _state(world, "shoes") == "mute"
    assert not set(trail) & set(feed_ids(world.client))


def test_not_interested_in_a_narrow_interest_nobody_follows_is_one_tap(world):
    world.consumer(follows=("shoes",))
    trail = world.cards(world.provider("T"), 3, interests=("shoes/running/trail",))
    token = world.login()
    response = post(
        world, f"/cards/{trail[0]}/not-interested", token, interest="shoes/running/trail"
    )
    assert "You won't see cards about" in text(response) and ">Undo<" in text(response)
    assert _state(world, "shoes/running/trail") == "mute"
