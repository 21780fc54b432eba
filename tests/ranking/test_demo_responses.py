"""The demo shopper's feed answers one action a little and a habit a lot, and says why in
plain English.

Each test has the real demo (`plaza demo`, the shipped taxonomy and samples, loaded once
a session and copied) and acts as a new shopper would, through the pages: the demo
consumer follows running, running shoes, hiking, camping, kitchen and audio.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from app.demo.load import DEMO_CONSUMER_INTERESTS, DEMO_PASSWORD
from app.models import Card, CardInterest
from app.ranking.affinity import lineage
from app.ranking.candidates import as_candidate
from app.ranking.rank import Profile, explain
from app.shopper.display import reason_text
from tests.conftest import csrf_token, shipped_app

DEMO_CONSUMER = "demo@example.com"
# A Monday morning in winter; the demo moves its samples' dates to whatever today is.
NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
# What a reason says when it comes from what the shopper did rather than what they follow.
LEARNED = re.compile(r"^(Similar to |You saved |You opened |You often open )")
_CARD = re.compile(r'<article class="card card--\w+" id="card-(\d+)"[\s\S]*?card__reason">([^<]*)<')


@pytest.fixture
def demo_moment() -> datetime:
    """The demo is loaded as of ``NOW``, when the tests run."""
    return NOW


@pytest.fixture
def demo(demo_database_url: str) -> Iterator[Flask]:
    with time_machine.travel(NOW, tick=False), shipped_app(demo_database_url) as app:
        yield app


@pytest.fixture
def shopper(demo: Flask) -> FlaskClient:
    client = demo.test_client()
    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": DEMO_CONSUMER, "password": DEMO_PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 303
    return client


def _page(client: FlaskClient) -> list[tuple[int, str]]:
    """The first page's cards as (card id, reason), top to bottom."""
    html = client.get("/").get_data(as_text=True)
    return [(int(card_id), unescape(reason)) for card_id, reason in _CARD.findall(html)]


def _card(demo: Flask, title: str) -> Card:
    with Session(demo.extensions["plaza.engine"]) as db:
        return db.exec(select(Card).where(Card.title == title)).one()


def _interests(demo: Flask, card_ids: list[int]) -> dict[int, set[str]]:
    with Session(demo.extensions["plaza.engine"]) as db:
        rows = db.exec(
            select(CardInterest.card_id, CardInterest.slug).where(
                col(CardInterest.card_id).in_(card_ids)
            )
        ).all()
    found: dict[int, set[str]] = {card_id: set() for card_id in card_ids}
    for card_id, slug in rows:
        found[card_id].update(lineage(slug))
    return found


def _post(client: FlaskClient, path: str, **form: str) -> str:
    token = csrf_token(client, "/")
    response = client.post(path, data={"csrf_token": token, **form}, headers={"HX-Request": "true"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return unescape(response.get_data(as_text=True))


def test_one_save_and_one_mute_move_the_feed_a_little(demo: Flask, shopper: FlaskClient):
    with time_machine.travel(NOW, tick=False):
        _page(shopper)  # the shopper looks at their first page
        headphones = _card(demo, "Auralink Quiet 700 Noise-Cancelling Headphones")
        _post(shopper, f"/cards/{headphones.id}/save")
        # The shopper follows Audio: the feed asks before it stops following it.
        asked = _post(
            shopper, f"/cards/{headphones.id}/not-interested", interest="electronics/audio"
        )
        assert "Stop following Audio and mute it?" in asked
        _post(
            shopper,
            f"/cards/{headphones.id}/not-interested",
            interest="electronics/audio",
            confirm="yes",
        )
        page = _page(shopper)
    assert len(page) == 20
    learned = [reason for _, reason in page if LEARNED.match(reason)]
    assert len(learned) <= 3, learned
    still_followed = set(DEMO_CONSUMER_INTERESTS) - {"electronics/audio"}
    about = _interests(demo, [card_id for card_id, _ in page])
    followed = [card_id for card_id, _ in page if about[card_id] & still_followed]
    assert len(followed) >= 14
    for _, reason in page:
        assert "/" not in reason and "_" not in reason, reason
        assert "similar Home" not in reason and "liked other cards" not in reason, reason


def test_a_habit_moves_the_feed_towards_a_new_interest(demo: Flask, shopper: FlaskClient):
    with time_machine.travel(NOW, tick=False):
        before = _page(shopper)
        with Session(demo.extensions["plaza.engine"]) as db:
            garden = db.exec(
                select(Card.id)
                .join(CardInterest, col(CardInterest.card_id) == col(Card.id))
                .where(col(CardInterest.slug).startswith("garden/"), Card.kind == "product_feed")
                .distinct()
                .order_by(col(Card.id))
            ).all()
        assert len(garden) >= 10
        for card_id in garden[:5]:
            _post(shopper, f"/cards/{card_id}/save")
        after = _page(shopper)
    about_before = _interests(demo, [card_id for card_id, _ in before])
    about_after = _interests(demo, [card_id for card_id, _ in after])
    garden_before = sum("garden" in about_before[card_id] for card_id, _ in before)
    garden_after = sum("garden" in about_after[card_id] for card_id, _ in after)
    # From about one garden card in twenty to three or more: a habit shows, and the
    # interests the shopper follows still fill most of the page.
    assert garden_after >= max(3, garden_before + 2), (garden_before, garden_after)
    learned = [reason for _, reason in after if LEARNED.match(reason)]
    # Each says what happened, counted: several saves by their interest, one by its card.
    counted = re.compile(r"^(You saved [2-5] cards about [A-Z]|Similar to the .+ you saved$)")
    assert learned and all(counted.match(reason) for reason in learned), learned


def test_a_video_about_repotting_is_not_about_cooking(demo: Flask):
    """Harbor & Home's channel is set up for home, cooking and garden; each of its videos
    is about what its title says."""
    with Session(demo.extensions["plaza.engine"]) as db:
        videos = db.exec(select(Card).where(Card.kind == "youtube")).all()
        repotting = next(v for v in videos if v.title.startswith("Repotting a Monstera"))
        topics = db.exec(
            select(CardInterest.slug).where(CardInterest.card_id == repotting.id)
        ).all()
    about = _interests(demo, [video.id or 0 for video in videos])
    assert all(about.values())  # a video that names nothing keeps its channel's interests
    assert "garden/plants/houseplants" in about[repotting.id or 0]
    assert "lifestyle/cooking" not in about[repotting.id or 0]
    cook = Profile(follows=frozenset({"lifestyle/cooking", "garden"}))
    taxonomy = demo.extensions["plaza.taxonomy"]
    reasons = explain(cook, as_candidate(repotting, topics), taxonomy, NOW)
    assert reason_text(reasons[0], taxonomy, "Harbor & Home") == "Because you follow Garden"
