"""A card is rendered once and shown to every shopper (CardFrames), with each shopper's
reason, saved state and CSRF token; kinds that say their template is personal are
rendered per shopper."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import template_rendered
from sqlmodel import select

from app.ingest.store import store_drafts
from app.models import Card, Provider
from app.shopper.display import shares_template
from cards.spec import CardDraft

CARD = re.compile(r'<article class="card[^"]*" id="card-(\d+)"')


@contextmanager
def rendered(app) -> Iterator[Counter[str]]:  # type: ignore[no-untyped-def]
    """Template name -> how many times it was rendered."""
    seen: Counter[str] = Counter()

    def count(sender, template, context, **extra):  # type: ignore[no-untyped-def]
        seen[template.name] += 1

    template_rendered.connect(count, app)
    try:
        yield seen
    finally:
        template_rendered.disconnect(count, app)


def two_shoppers(world):  # type: ignore[no-untyped-def]
    cards = world.cards(world.provider("North"), 5, interests=("shoes",))
    world.consumer("ana@example.com")
    world.consumer("ben@example.com")
    ana, ben = world.app.test_client(), world.app.test_client()
    world.login("ana@example.com", client=ana)
    world.login("ben@example.com", client=ben)
    return cards, ana, ben


def test_the_same_cards_for_a_second_shopper_reuse_their_content(world):
    cards, ana, ben = two_shoppers(world)
    with rendered(world.app) as seen:
        first = ana.get("/").get_data(as_text=True)
        second = ben.get("/").get_data(as_text=True)
    assert sorted(map(int, CARD.findall(first))) == sorted(cards)
    assert sorted(map(int, CARD.findall(second))) == sorted(cards)
    assert seen["cards/_frame.html"] == 5  # once per card, not once per shopper
    # Each shopper's own frame still: Ben's page carries his session's forms and
    # reasons, and the content inside it is the same markup Ana saw.
    title = re.search(r'<h2 class="card__title"[^>]*>.*?</h2>', first, re.S)
    assert title and title.group(0) in second


def test_a_shared_card_carries_each_shoppers_reason_saved_state_and_working_token(world):
    cards = world.cards(world.provider("North"), 3, interests=("shoes/running",))
    world.consumer("ana@example.com", follows=("shoes/running",))
    world.consumer("ben@example.com", follows=("shoes",))
    ana, ben = world.app.test_client(), world.app.test_client()
    world.login("ana@example.com", client=ana)
    world.login("ben@example.com", client=ben)
    ana.get("/")  # renders the three shared frames
    token = re.search(r'name="csrf_token" value="([^"]+)"', ana.get("/").get_data(as_text=True))
    assert token
    saved = ana.post(f"/cards/{cards[0]}/save", data={"csrf_token": token.group(1)})
    assert saved.status_code in (200, 303)
    with rendered(world.app) as seen:
        first = ana.get("/").get_data(as_text=True)
    assert seen["cards/_frame.html"] == 1  # only the card Ana saved is drawn anew
    second = ben.get("/").get_data(as_text=True)
    assert "Because you follow Running" in first
    assert "Because you follow Running" not in second  # Ben follows all shoes
    assert second.count("Because you follow Shoes") == 3
    assert first.count('aria-pressed="true"') == 1  # Ana's save, and only on her page
    assert 'aria-pressed="true"' not in second
    assert "<!--plaza:" not in first + second  # no stand-in left behind
    tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', second))
    assert len(tokens) == 1  # one token per response, not Ana's
    assert tokens.isdisjoint(re.findall(r'name="csrf_token" value="([^"]+)"', first))
    dismissed = ben.post(f"/cards/{cards[1]}/dismiss", data={"csrf_token": tokens.pop()})
    assert dismissed.status_code in (200, 303)  # Ben's token from the shared frame works


def test_a_card_changed_by_a_refresh_shows_its_new_content(world):
    cards, ana, ben = two_shoppers(world)
    assert "North item 0" in ana.get("/").get_data(as_text=True)
    north = world.db.exec(select(Provider).where(Provider.name == "North")).one()
    card = world.db.get(Card, cards[0])
    draft = CardDraft(
        external_id=card.external_id, title="North item 0, now in blue", url=card.url,
        interests=["shoes"], payload=card.payload, published_at=card.published_at,
    )  # fmt: skip
    store_drafts(
        world.db, north, [draft], world.app.extensions["plaza.taxonomy"], datetime.now(UTC)
    )
    world.db.commit()
    page = ben.get("/").get_data(as_text=True)
    assert "North item 0, now in blue" in page


def test_a_kind_whose_template_is_personal_is_rendered_for_each_shopper(world):
    assert shares_template("product_feed")
    assert not shares_template("survey")  # its answer form carries the shopper's token
    assert not shares_template("no-such-kind")
