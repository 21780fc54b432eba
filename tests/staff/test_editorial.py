"""Staff publish editorial cards from the console: scheduled ahead, shown "From Plaza" to
shoppers who follow their interests between their start and end, listed with how they
did, and every publish, edit and end on the audit log."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.models import Card, Event, EventKind, Organization, Provider

ARTICLE = re.compile(r'<article class="card card--(\w+)"[^>]*data-card-id="(\d+)"')
STAFF = "staff@example.com"


def form(token: str, starts: datetime, ends: datetime, **fields: str) -> dict[str, object]:
    return {
        "csrf_token": token,
        "action": "save",
        "config.title": "Trail season starts",
        "config.text": "Five shops picked their favourite trail shoes for the weekend.",
        "config.link_url": "https://www.instagram.com/acmeoutfitters",
        "config.link_label": "See Acme on Instagram",
        "config.featured.0.title": "Acme trail range",
        "config.featured.0.url": "https://acme.example/trail",
        "config.starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "config.ends_at": ends.strftime("%Y-%m-%dT%H:%M"),
        "interests": "shoes",
        **fields,
    }


def worker_refresh(world, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """What the worker does for every due provider: store its cards."""
    world.db.expire_all()
    for provider in world.db.exec(select(Provider).where(Provider.kind == "editorial")).all():
        with world.app.app_context():
            assert refresh_provider(
                world.db, provider, context_for(world.app, provider, now), now
            ).ok


def feed_cards(client) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Card id -> kind of the cards on the first page of a new visit."""
    page = client.get("/").get_data(as_text=True)
    return {int(card_id): kind for kind, card_id in ARTICLE.findall(page)}


def editorial_card_ids(world) -> set[int]:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    return set(world.db.exec(select(Card.id).where(Card.kind == "editorial")).all())


def test_an_editorial_card_scheduled_for_tomorrow_reaches_followers_only_from_tomorrow(mod):
    world = mod.world
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    tomorrow = now + timedelta(days=1)
    staff, token = mod.client(STAFF)
    sent = staff.post(
        "/staff/editorial/new", data=form(token, tomorrow, tomorrow + timedelta(days=2))
    )
    assert sent.status_code == 303, sent.get_data(as_text=True)
    world.db.expire_all()
    provider = world.db.exec(select(Provider).where(Provider.kind == "editorial")).one()
    owner = world.db.get(Organization, provider.organization_id)
    assert (owner.slug, owner.name) == ("plaza", "Plaza")
    worker_refresh(world, now)
    [card_id] = editorial_card_ids(world)

    shopper, _ = mod.client("shopper@example.com")  # follows shoes
    assert card_id not in feed_cards(shopper)  # not before its start
    listing = staff.get("/staff/editorial").get_data(as_text=True)
    assert "Scheduled (1)" in listing and "Trail season starts" in listing

    with time_machine.travel(tomorrow + timedelta(hours=1), tick=True):
        shopper, _ = mod.client("shopper@example.com")
        page = shopper.get("/").get_data(as_text=True)
        assert feed_cards(shopper).get(card_id) == "editorial"
        article = page[page.index(f'id="card-{card_id}"') :].split("</article>")[0]
        assert "From Plaza" in article and "Sponsored" not in article
        assert 'href="https://acme.example/trail"' in article
        assert "See Acme on Instagram" in article

        world.consumer("cook@example.com", follows=("home/kitchen",))
        cook, _ = mod.client("cook@example.com")
        assert card_id not in feed_cards(cook)  # not targeted at kitchen people

        listing = staff.get("/staff/editorial").get_data(as_text=True)
        assert "Running (1)" in listing


def test_the_listing_shows_how_each_editorial_card_did(mod):
    world = mod.world
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    staff, token = mod.client(STAFF)
    sent = staff.post(
        "/staff/editorial/new", data=form(token, now - timedelta(hours=1), now + timedelta(days=1))
    )
    assert sent.status_code == 303
    worker_refresh(world, now)
    [card_id] = editorial_card_ids(world)
    shopper, token_shopper = mod.client("shopper@example.com")
    assert card_id in feed_cards(shopper)  # one impression
    opened = shopper.get(f"/cards/{card_id}/open", headers={"Sec-Fetch-Site": "same-origin"})
    assert opened.headers["Location"] == "https://www.instagram.com/acmeoutfitters"
    assert (
        shopper.post(f"/cards/{card_id}/save", data={"csrf_token": token_shopper}).status_code < 400
    )
    world.db.expire_all()
    kinds = world.db.exec(select(Event.kind).where(Event.card_id == card_id)).all()
    assert {EventKind.IMPRESSION, EventKind.OPEN, EventKind.SAVE} <= set(kinds)

    page = staff.get("/staff/editorial").get_data(as_text=True)
    row = page[page.index("<tbody>") :].split("</tr>")[0]
    figures = re.findall(r'data-label="(Impressions|Opens|Saves)">(\d+)<', row)
    assert figures == [("Impressions", "1"), ("Opens", "1"), ("Saves", "1")]


def test_publish_edit_and_end_are_on_the_audit_log_and_an_ended_card_leaves_the_feed(mod):
    world = mod.world
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    staff, token = mod.client(STAFF)
    staff.post(
        "/staff/editorial/new", data=form(token, now - timedelta(hours=1), now + timedelta(days=3))
    )
    world.db.expire_all()
    provider = world.db.exec(select(Provider).where(Provider.kind == "editorial")).one()
    edited = staff.post(
        f"/staff/editorial/{provider.id}/edit",
        data=form(token, now - timedelta(hours=1), now + timedelta(days=3),
                  **{"config.title": "Trail season is here"}),
    )  # fmt: skip
    assert edited.status_code == 303
    worker_refresh(world, now)
    [card_id] = editorial_card_ids(world)
    assert world.db.get(Card, card_id).title == "Trail season is here"
    shopper, _ = mod.client("shopper@example.com")
    assert card_id in feed_cards(shopper)

    ended = staff.post(f"/staff/editorial/{provider.id}/end", data={"csrf_token": token})
    assert ended.status_code == 303
    worker_refresh(world, datetime.now(UTC))
    shopper, _ = mod.client("shopper@example.com")
    assert card_id not in feed_cards(shopper)
    assert "Ended (1)" in staff.get("/staff/editorial").get_data(as_text=True)
    again = staff.post(f"/staff/editorial/{provider.id}/end", data={"csrf_token": token})
    assert again.status_code == 409 and "already ended" in again.get_data(as_text=True)

    actions = [(e.action, e.actor_id, e.target_id) for e in mod.audit()]
    assert actions == [
        ("publish_editorial", mod.staff_id, provider.id),
        ("edit_editorial", mod.staff_id, provider.id),
        ("end_editorial", mod.staff_id, provider.id),
    ]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"config.title": "  "}, "Title: Enter the title."),
        ({"config.text": "Read <b>this</b>"}, "HTML tags and entities are not allowed"),
        ({"config.link_url": "javascript:alert(1)"}, "Enter a full web address starting with https://"),
        ({"config.featured.0.url": "ftp://acme.example/x"}, "Enter a full web address starting with https://"),
        ({"config.ends_at": "2020-01-01T00:00"}, "The end must be after the start."),
        ({"interests": "no-such-interest"}, "Unknown interests: no-such-interest."),
    ],
    ids=["blank title", "html", "javascript link", "ftp in collection", "end before start",
         "unknown interest"],
)  # fmt: skip
def test_bad_settings_are_refused_with_a_clear_message_and_nothing_is_published(
    mod, fields, message
):
    now = datetime.now(UTC)
    staff, token = mod.client(STAFF)
    sent = staff.post(
        "/staff/editorial/new", data=form(token, now, now + timedelta(days=1), **fields)
    )
    assert sent.status_code == 422
    assert message in html.unescape(sent.get_data(as_text=True))
    mod.world.db.expire_all()
    assert mod.world.db.exec(select(Provider).where(Provider.kind == "editorial")).all() == []
    assert mod.audit() == []


@pytest.mark.parametrize("who", ["shopper@example.com", "retailer@example.com"])
def test_only_staff_reach_editorial_cards(mod, who):
    now = datetime.now(UTC)
    client, token = mod.client(who)
    assert client.get("/staff/editorial").status_code == 403
    sent = client.post("/staff/editorial/new", data=form(token, now, now + timedelta(days=1)))
    assert sent.status_code == 403
    anonymous, token = mod.client(None)
    assert anonymous.get("/staff/editorial").headers["Location"].startswith("/login")
    mod.world.db.expire_all()
    assert mod.world.db.exec(select(Provider).where(Provider.kind == "editorial")).all() == []
    assert mod.audit() == []


def test_plaza_is_reserved_for_plazas_own_organisation(mod):
    from app.partners.orgs import OrganizationProblems, create_organization, plaza_organization

    with mod.world.app.app_context():
        first = plaza_organization(mod.world.db)
        assert plaza_organization(mod.world.db) is first  # made once
        with pytest.raises(OrganizationProblems) as refused:
            create_organization(mod.world.db, "plaza", "Plaza Shop")
        assert "is taken" in str(refused.value)


def test_no_partner_can_publish_cards_labelled_from_plaza(mod):
    from app.ingest.sources import fetch_policy
    from app.partners.providers import ProviderProblems, create_provider

    now = datetime.now(UTC)
    retailer, token = mod.client("retailer@example.com")
    kinds = retailer.get("/portal/acme/providers/new").get_data(as_text=True)
    assert "Promotion" in kinds and "Editorial" not in kinds
    sent = retailer.post(
        "/portal/acme/providers/new/editorial", data=form(token, now, now + timedelta(days=1))
    )
    assert sent.status_code == 404
    world = mod.world
    acme = world.db.exec(select(Organization).where(Organization.slug == "acme")).one()
    config = {"title": "Us", "text": "Hello.", "starts_at": now.isoformat(),
              "ends_at": (now + timedelta(days=1)).isoformat()}  # fmt: skip
    with world.app.app_context(), pytest.raises(ProviderProblems) as refused:
        create_provider(  # what the API and the command line go through too
            world.db, acme, "editorial", config,
            taxonomy=world.app.extensions["plaza.taxonomy"], policy=fetch_policy(world.app),
        )  # fmt: skip
    assert str(refused.value) == "kind: Editorial cards are published by Plaza's staff only."
    world.db.rollback()
    assert world.db.exec(select(Provider).where(Provider.kind == "editorial")).all() == []
