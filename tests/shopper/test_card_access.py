"""Card routes apply the feed's rules: what the feed would not show, no card route shows,
opens count only from Plaza's own pages, and only shoppers a survey asked may answer it.
(Attacker findings: ids are sequential, so anyone could walk them.)"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from app.models import Card, Event, EventKind, Provider, ProviderStatus, SurveyAnswer
from tests.ranking.test_scenarios import running_survey

HX = {"HX-Request": "true"}
FROM_PLAZA = {"Sec-Fetch-Site": "same-origin"}
CARD_ID = re.compile(r'data-card-id="(\d+)"')


def hide(world, card_id: int, how: str) -> None:
    """Make a stored card one the feed does not show, in one of the ways it can be."""
    card = world.db.get(Card, card_id)
    now = datetime.now(UTC)
    if how == "not released yet":
        card.starts_at = now + timedelta(days=300)
    elif how == "ended":
        card.ends_at = now - timedelta(minutes=1)
    elif how == "removed":
        card.removed_at = now
    elif how == "provider suspended":
        provider = world.db.get(Provider, card.provider_id)
        provider.status = ProviderStatus.SUSPENDED
        world.db.add(provider)
    world.db.add(card)
    world.db.commit()


HIDDEN = ("not released yet", "ended", "removed", "provider suspended")


@pytest.mark.parametrize("how", HIDDEN)
def test_a_card_the_feed_would_not_show_is_a_404_on_every_card_route(world, how):
    world.consumer()
    shown, hidden = world.cards(world.provider(), 2)
    token = world.login()
    hide(world, hidden, how)
    assert world.client.get(f"/cards/{hidden}/why").status_code == 404
    assert world.client.get(f"/cards/{hidden}/open", headers=FROM_PLAZA).status_code == 404
    assert world.client.get(f"/cards/{hidden}/player").status_code == 404
    for action in ("save", "dismiss", "hide-provider", "less", "answer", "not-interested"):
        response = world.client.post(
            f"/cards/{hidden}/{action}", data={"csrf_token": token, "interest": "shoes"}, headers=HX
        )
        assert response.status_code == 404, action
    anonymous = world.app.test_client()
    assert anonymous.get(f"/cards/{hidden}/open").status_code == 404
    assert world.db.exec(select(Event).where(Event.kind != EventKind.IMPRESSION)).all() == []
    if how != "provider suspended":  # the other card is still there
        assert world.client.get(f"/cards/{shown}/why").status_code == 200


def test_saved_cards_follow_the_same_rules(world):
    world.consumer()
    kept, ended = world.cards(world.provider(), 2)
    token = world.login()
    for card_id in (kept, ended):
        world.client.post(f"/cards/{card_id}/save", data={"csrf_token": token}, headers=HX)
    hide(world, ended, "ended")
    page = world.client.get("/saved").get_data(as_text=True)
    saved = {int(i) for i in re.findall(r'<li class="saved-item" id="saved-(\d+)"', page)}
    assert saved == {kept}


def test_an_open_counts_only_when_tapped_on_a_plaza_page(world):
    world.consumer()
    (card_id,) = world.cards(world.provider(), 1)
    world.login()
    for headers in (
        {"Sec-Fetch-Site": "cross-site"},  # a link or an <img> on another site
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is not Plaza's page either
        {"Sec-Fetch-Site": "none"},  # typed or bookmarked
        {"Referer": "https://evil.example/page"},  # a browser without Sec-Fetch-*
        {},
    ):
        response = world.client.get(f"/cards/{card_id}/open", headers=headers)
        assert response.status_code == 303, headers
        assert response.headers["Location"].startswith("https://shop.example/")
    assert world.db.exec(select(Event).where(Event.kind == EventKind.OPEN)).all() == []
    world.client.get(f"/cards/{card_id}/open", headers=FROM_PLAZA)
    world.client.get(f"/cards/{card_id}/open", headers={"Referer": "http://localhost/saved"})
    assert len(world.db.exec(select(Event).where(Event.kind == EventKind.OPEN)).all()) == 2


def test_a_signed_out_visitor_is_sent_to_sign_in_not_to_the_landing_page(world):
    (card_id,) = world.cards(world.provider(), 1)
    response = world.app.test_client().get(f"/cards/{card_id}/open")
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/login?next=") and "shop.example" not in location
    assert f"/cards/{card_id}/open" in location.replace("%2F", "/")


def answer(client, card_id: int, token: str):
    return client.post(
        f"/cards/{card_id}/answer", data={"csrf_token": token, "choice": "c1"}, headers=HX
    )


def choice_of(world, card_id: int) -> str:
    return world.db.get(Card, card_id).payload["choices"][0]["id"]


def test_only_shoppers_a_question_was_served_to_may_answer_it(world):
    world.consumer("asked@example.com", follows=("shoes",))
    world.consumer("stranger@example.com", follows=("home",))  # never shown the survey
    questions = running_survey(world)
    asked = world.app.test_client()
    stranger = world.app.test_client()
    asked_token = world.login("asked@example.com", client=asked)
    stranger_token = world.login("stranger@example.com", client=stranger)
    served = {int(i) for i in CARD_ID.findall(asked.get("/").get_data(as_text=True))} & questions
    (question,) = served
    choice = choice_of(world, question)

    def post(client, token, card_id):
        return client.post(
            f"/cards/{card_id}/answer", data={"csrf_token": token, "choice": choice}, headers=HX
        )

    assert post(stranger, stranger_token, question).status_code == 404
    (unserved, *_) = sorted(questions - served)
    assert post(asked, asked_token, unserved).status_code == 404
    assert world.db.exec(select(SurveyAnswer)).all() == []
    assert post(asked, asked_token, question).status_code == 200
    assert len(world.db.exec(select(SurveyAnswer)).all()) == 1


def test_a_shopper_who_never_onboarded_cannot_answer(world):
    from app.accounts.users import create_user

    with world.app.app_context():
        create_user(world.db, "fresh@example.com", world.password)
        world.db.commit()
    questions = running_survey(world)
    token = world.login("fresh@example.com")
    for question in questions:
        response = world.client.post(
            f"/cards/{question}/answer",
            data={"csrf_token": token, "choice": choice_of(world, question)},
            headers=HX,
        )
        assert response.status_code == 404
    assert world.db.exec(select(SurveyAnswer)).all() == []


def test_answers_are_refused_before_a_survey_opens_and_after_it_closes(world):
    world.consumer(follows=("shoes",))
    questions = running_survey(world)  # open since yesterday, for three more days
    token = world.login()
    feed = world.client.get("/").get_data(as_text=True)
    (question,) = {int(i) for i in CARD_ID.findall(feed)} & questions
    choice = choice_of(world, question)
    data = {"csrf_token": token, "choice": choice}
    card = world.db.get(Card, question)
    opens = card.starts_at
    card.starts_at = datetime.now(UTC) + timedelta(days=1)  # its opening moved to tomorrow
    world.db.add(card)
    world.db.commit()
    assert world.client.post(f"/cards/{question}/answer", data=data).status_code == 404
    card.starts_at = opens
    world.db.add(card)
    world.db.commit()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=4), tick=False):
        assert world.client.post(f"/cards/{question}/answer", data=data).status_code == 404
    assert world.db.exec(select(SurveyAnswer)).all() == []
    assert world.client.post(f"/cards/{question}/answer", data=data, headers=HX).status_code == 200
