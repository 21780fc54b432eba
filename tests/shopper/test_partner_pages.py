"""A partner's page at ``/o/<slug>`` and following it: what the page shows (and never
shows), signed in and signed out; Follow / Following on the page, in a card's menu and
on /interests, with and without JavaScript; a suspended organisation; and the lift a
followed partner's cards get on the very next first page, prepared ahead or not."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.accounts.users import create_user
from app.models import Card, Organization, PartnerFollow, Provider, ProviderStatus, Role
from app.staff.actions import act
from tests.shopper.test_prepared_feed import first_page, run_job, the_row

HX = {"HX-Request": "true"}
REASON = re.compile(
    r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"[^>]*>\s*<p class="card__reason">([^<]*)<'
)


def acme(world) -> Organization:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    found = world.db.exec(select(Organization).where(Organization.slug == "acme")).one()
    return found


def other_organization(world, slug: str, name: str) -> Provider:  # type: ignore[no-untyped-def]
    """A provider of an organisation of its own (``world.provider``'s are all Acme's)."""
    organization = Organization(slug=slug, name=name, kind="brand")
    world.db.add(organization)
    world.db.flush()
    provider = Provider(organization_id=organization.id, kind="product_feed", name=f"{name} shop")
    world.db.add(provider)
    world.db.commit()
    return provider


def follows(world, user_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    rows = world.db.exec(select(PartnerFollow).where(PartnerFollow.user_id == user_id)).all()
    return [row.organization_id for row in rows]


def reasons(page: str) -> dict[int, str]:
    return {int(i): html.unescape(reason) for i, reason in REASON.findall(page)}


@pytest.fixture
def catalogue(world):  # type: ignore[no-untyped-def]
    """Acme with a profile, one live source and cards the feed may not show; a second
    source suspended; another organisation's card."""
    shop = world.provider("Trail shop")
    shown = world.cards(shop, 2, interests=("shoes/running",))
    hidden = world.cards(shop, 3, interests=("shoes/running",), start=10)
    now = datetime.now(UTC)
    removed, unreleased, ended = (world.db.get(Card, card_id) for card_id in hidden)
    removed.removed_at = now
    unreleased.starts_at = now + timedelta(days=1)
    ended.ends_at = now - timedelta(hours=1)
    closed = world.provider("Closed shop", status=ProviderStatus.SUSPENDED)
    world.cards(closed, 1)
    elsewhere = other_organization(world, "harbor", "Harbor Home")
    world.cards(elsewhere, 1)
    organization = acme(world)
    organization.description = "Boots for <b>hills</b>\nsince 1990"
    organization.website_url = "https://acme.example/"
    organization.social_links = ["https://www.instagram.com/acme"]
    world.db.add_all([removed, unreleased, ended, organization])
    world.db.commit()
    return {"shown": shown, "hidden": hidden}


def test_the_page_shows_the_profile_sources_and_only_cards_the_feed_may_show(world, catalogue):
    world.consumer()
    world.login()
    response = world.client.get("/o/acme")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 class="page-title">Acme Outfitters</h1>' in page
    assert "Boots for &lt;b&gt;hills&lt;/b&gt;\nsince 1990" in page  # text, never markup
    assert '<a href="https://acme.example/" rel="noopener nofollow">Website</a>' in page
    assert '<a href="https://www.instagram.com/acme" rel="noopener nofollow">Instagram</a>' in page
    assert "Trail shop" in page and "Closed shop" not in page
    assert sorted(reasons(page)) == sorted(catalogue["shown"])  # as the feed renders cards
    for hidden in ("Trail shop item 10", "Trail shop item 11", "Trail shop item 12"):
        assert hidden not in page  # removed, not released yet, ended
    assert "Closed shop item" not in page and "Harbor Home" not in page
    assert 'href="/o/acme/suggestions"' in page
    assert "Follow<span" in page  # the shopper follows nobody yet
    board = world.client.get("/o/acme/suggestions").get_data(as_text=True)
    assert 'href="/o/acme"' in board  # and back


def test_a_signed_out_visitor_reads_the_page_and_is_asked_to_log_in_to_follow(world, catalogue):
    response = world.client.get("/o/acme")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sorted(reasons(page)) == sorted(catalogue["shown"])
    assert set(reasons(page).values()) == {"From Acme Outfitters"}
    assert 'action="/cards/' not in page and "Why?" not in page  # nothing to act on
    assert 'href="/login?next=/o/acme">Log in to follow</a>' in page
    token = world.csrf("/o/acme")
    refused = world.client.post("/o/acme/follow", data={"csrf_token": token})
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/login")


def test_an_unknown_organisation_has_no_page(world):
    assert world.client.get("/o/nobody").status_code == 404


def test_following_and_unfollowing_without_javascript_go_back_to_the_page(world, catalogue):
    user_id = world.consumer()
    token = world.login()
    organization = acme(world)
    for _ in range(2):  # following twice is following once
        response = world.client.post(
            "/o/acme/follow", data={"csrf_token": token, "next": "/o/acme"}
        )
        assert response.status_code == 303 and response.headers["Location"] == "/o/acme"
    assert follows(world, user_id) == [organization.id]
    page = world.client.get("/o/acme").get_data(as_text=True)
    assert 'aria-pressed="true">Following<span' in page
    assert 'action="/o/acme/unfollow"' in page
    response = world.client.post("/o/acme/unfollow", data={"csrf_token": token, "next": "/o/acme"})
    assert response.status_code == 303
    assert follows(world, user_id) == []
    forged = world.client.post("/o/acme/follow", data={"next": "/o/acme"})
    assert forged.status_code == 400 and follows(world, user_id) == []


def test_following_with_htmx_swaps_the_button_in_place(world, catalogue):
    user_id = world.consumer()
    token = world.login()
    response = world.client.post("/o/acme/follow", data={"csrf_token": token}, headers=HX)
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200
    assert fragment.lstrip().startswith('<div class="follow" id="follow-acme">')
    assert "Following" in fragment and "<html" not in fragment
    response = world.client.post("/o/acme/unfollow", data={"csrf_token": token}, headers=HX)
    assert 'aria-pressed="false">Follow<span' in response.get_data(as_text=True)
    assert follows(world, user_id) == []


def test_the_card_menu_follows_the_cards_organisation_for_this_shopper_only(world, catalogue):
    card_id = catalogue["shown"][0]
    user_id = world.consumer()
    world.consumer("other@example.com")
    token = world.login()
    assert "Follow Acme Outfitters</button>" in world.client.get("/").get_data(as_text=True)
    response = world.client.post(
        f"/cards/{card_id}/follow-partner", data={"csrf_token": token}, headers=HX
    )
    card = response.get_data(as_text=True)
    assert response.status_code == 200 and f'id="card-{card_id}"' in card
    assert "Unfollow Acme Outfitters</button>" in card
    assert follows(world, user_id) == [acme(world).id]
    # The card's frame is shared between shoppers; the menu's state is each one's own.
    other = world.app.test_client()
    world.login("other@example.com", client=other)
    assert "Follow Acme Outfitters</button>" in other.get("/o/acme").get_data(as_text=True)
    assert "Unfollow Acme Outfitters" not in other.get("/o/acme").get_data(as_text=True)
    back = world.client.post(
        f"/cards/{card_id}/unfollow-partner", data={"csrf_token": token, "next": "/saved"}
    )
    assert back.status_code == 303 and back.headers["Location"] == f"/saved#card-{card_id}"
    assert follows(world, user_id) == []


def test_a_suspended_organisation_has_no_page_and_cannot_be_followed(world, catalogue):
    user_id = world.consumer()
    token = world.login()
    assert world.client.post("/o/acme/follow", data={"csrf_token": token}).status_code == 303
    with world.app.app_context():
        staff = create_user(world.db, "staff@example.com", world.password, Role.STAFF)
        act(world.db, staff, "card", catalogue["shown"][0], "suspend_organization", "Fakes",
            datetime.now(UTC))  # fmt: skip
        world.db.commit()
    assert acme(world).suspended_at is not None
    assert world.client.get("/o/acme").status_code == 404
    assert world.app.test_client().get("/o/acme").status_code == 404  # signed out alike
    world.client.post("/o/acme/unfollow", data={"csrf_token": token})
    assert follows(world, user_id) == []  # leaving one is always possible
    refused = world.client.post("/o/acme/follow", data={"csrf_token": token}, headers=HX)
    assert refused.status_code == 409
    assert "Acme Outfitters is not available on Plaza" in refused.get_data(as_text=True)
    assert follows(world, user_id) == []


def a_shopper_and_two_partners(world):  # type: ignore[no-untyped-def]
    """A shopper whose feed starts with Acme's cards (a little newer) ahead of Trailpeak's."""
    user_id = world.consumer(follows=("shoes",))
    acme_cards = world.cards(world.provider("Acme shop"), 6, age_hours=1.0)
    trailpeak_cards = world.cards(other_organization(world, "trailpeak", "Trailpeak"), 6,
                                  age_hours=1.5)  # fmt: skip
    token = world.login()
    return user_id, token, set(acme_cards), set(trailpeak_cards)


def test_a_followed_partners_cards_are_lifted_on_the_next_first_page_with_their_reason(world):
    _, token, acme_cards, trailpeak_cards = a_shopper_and_two_partners(world)
    before, _, _ = first_page(world)
    assert before[0] in acme_cards
    world.client.post("/o/trailpeak/follow", data={"csrf_token": token})
    after, _, page = first_page(world)
    assert after[0] in trailpeak_cards
    said = reasons(page)
    assert {said[i] for i in trailpeak_cards} == {"Because you follow Trailpeak"}
    assert "Because you follow Trailpeak" not in {said[i] for i in acme_cards}
    world.client.post("/o/trailpeak/unfollow", data={"csrf_token": token})
    again, _, _ = first_page(world)
    assert again[0] in acme_cards


def test_a_first_page_prepared_before_the_follow_is_not_served(world, app):
    user_id, token, acme_cards, trailpeak_cards = a_shopper_and_two_partners(world)
    assert world.client.get("/").status_code == 200  # a visitor the worker prepares for
    run_job(app)
    plan = the_row(world, user_id).plan
    assert plan is not None and plan["cards"][0][0] in acme_cards  # ranked without the lift
    world.client.post("/o/trailpeak/follow", data={"csrf_token": token})
    shown, ranked, page = first_page(world)
    assert ranked  # the plan lacked the lift: ranked on the request
    assert shown[0] in trailpeak_cards
    assert reasons(page)[shown[0]] == "Because you follow Trailpeak"
    run_job(app)  # the next plan has it
    shown, ranked, page = first_page(world)
    assert not ranked and shown[0] in trailpeak_cards
    assert reasons(page)[shown[0]] == "Because you follow Trailpeak"


def test_followed_partners_are_listed_on_the_interests_page_and_in_the_export(world, catalogue):
    user_id = world.consumer()
    token = world.login()
    page = world.client.get("/interests").get_data(as_text=True)
    assert "No partners yet" in page
    world.client.post("/o/acme/follow", data={"csrf_token": token})
    page = world.client.get("/interests").get_data(as_text=True)
    assert '<a href="/o/acme">Acme Outfitters</a>' in page
    assert '<input type="hidden" name="next" value="/interests">' in page
    exported = json.loads(world.client.get("/account/export").get_data(as_text=True))
    (followed,) = exported["followed_partners"]
    assert (followed["organisation"], followed["slug"]) == ("Acme Outfitters", "acme")
    response = world.client.post(
        "/o/acme/unfollow", data={"csrf_token": token, "next": "/interests"}
    )
    assert response.headers["Location"] == "/interests"
    assert follows(world, user_id) == []


def test_a_signed_out_visitors_video_leads_to_sign_in_not_to_a_player(world):
    channel = world.provider("Trail videos", kind="youtube")
    (video,) = world.cards(channel, 1)
    card = world.db.get(Card, video)
    card.image_url = "https://i.ytimg.example/vi/x/hqdefault.jpg"
    world.db.add(card)
    world.db.commit()
    player = f'hx-get="/cards/{video}/player"'
    assert player not in world.client.get("/o/acme").get_data(as_text=True)
    world.consumer()
    world.login()
    assert player in world.client.get("/o/acme").get_data(as_text=True)
