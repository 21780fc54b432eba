"""No screen leads nowhere: where a sign-in lands, onboarding's topics and search, a
thin feed filled with popular cards, the Why panel's Close, the Saved list, and where
a card action without JavaScript returns."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.accounts.users import create_user
from app.models import Card, CardState, ProviderBlock, Role
from app.partners.orgs import create_organization
from tests.conftest import PASSWORD, csrf_token
from tests.statements import recorded_sql

HX = {"HX-Request": "true"}
CARD_ID = re.compile(r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"')
SAVED_ROW = re.compile(r'<li class="saved-item" id="saved-(\d+)"')


def sign_in(client, email: str, next_path: str | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    url = "/login" if next_path is None else f"/login?next={next_path}"
    return client.post(url, data={"email": email, "password": PASSWORD, "csrf_token": token})


def account(world, email: str, role: Role = Role.CONSUMER, *, onboarded: bool = True) -> int:  # type: ignore[no-untyped-def]
    with world.app.app_context():
        organization = None
        if role == Role.RETAILER:
            organization = create_organization(world.db, "northwind", "Northwind")
        user = create_user(world.db, email, PASSWORD, role, organization)
        if onboarded:
            user.onboarded_at = datetime.now(UTC)
        world.db.commit()
        return user.id


# --- Where a sign-in lands ------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "onboarded", "landing"),
    [
        (Role.CONSUMER, True, "/"),
        (Role.CONSUMER, False, "/onboarding"),
        (Role.RETAILER, False, "/portal/"),
        (Role.STAFF, False, "/staff"),
    ],
)
def test_each_role_lands_on_its_own_work(world, role, onboarded, landing):
    account(world, "someone@example.com", role, onboarded=onboarded)
    response = sign_in(world.client, "someone@example.com")
    assert response.status_code == 303
    assert response.headers["Location"] == landing


def test_a_safe_next_wins_over_the_role_and_an_unsafe_one_is_ignored(world):
    account(world, "seller@example.com", Role.RETAILER)
    assert sign_in(world.client, "seller@example.com", "/saved").headers["Location"] == "/saved"
    other = world.app.test_client()
    refused = sign_in(other, "seller@example.com", "//evil.example/phish")
    assert refused.headers["Location"] == "/portal/"


def test_a_retailer_and_staff_keep_a_way_to_the_shopper_feed(world):
    world.cards(world.provider(), 3)
    account(world, "seller@example.com", Role.RETAILER, onboarded=False)
    sign_in(world.client, "seller@example.com")
    portal = world.client.get("/portal/", follow_redirects=True).get_data(as_text=True)
    assert '<a href="/">Shopper feed</a>' in portal
    feed = world.client.get("/")  # popular cards, not a shopper's onboarding
    assert feed.status_code == 200
    assert len(CARD_ID.findall(feed.get_data(as_text=True))) == 3
    staff_client = world.app.test_client()
    account(world, "staff@example.com", Role.STAFF)
    sign_in(staff_client, "staff@example.com")
    console = staff_client.get("/staff").get_data(as_text=True)
    assert '<a href="/">Shopper feed</a>' in console


# --- Onboarding -----------------------------------------------------------------------


def new_shopper(world) -> str:  # type: ignore[no-untyped-def]
    account(world, "fresh@example.com", onboarded=False)
    sign_in(world.client, "fresh@example.com")
    return csrf_token(world.client, "/onboarding")


def topic(html: str, slug: str) -> str:
    """The onboarding tile of ``slug``: a form to pick it, or a note that it has no cards."""
    opening = rf'(?:action="/interests/{slug}/\w+"|data-slug="{slug}")'
    match = re.search(rf'<(form|div) class="topic[^"]*"[^>]*{opening}.*?</\1>', html, re.S)
    assert match, f"no topic {slug}"
    return match.group(0)


def test_onboarding_offers_topics_with_cards_their_counts_and_a_picture(world):
    provider = world.provider()
    world.cards(provider, 3, interests=("shoes/running",), image_url=None)
    kitchen = world.provider("Kitchen")
    from app.ingest.store import store_drafts
    from cards.spec import CardDraft

    now = datetime.now(UTC)
    drafts = [
        CardDraft(
            external_id=f"pan-{n}",
            title=f"Pan {n}",
            url=f"https://shop.example/pan/{n}",
            image_url=f"https://img.example/pan-{n}.jpg",
            interests=["home/kitchen"],
            payload={"price": "20.00", "currency": "USD"},
            published_at=now,
        )
        for n in range(2)
    ]
    store_drafts(world.db, kitchen, drafts, world.app.extensions["plaza.taxonomy"], now)
    world.db.commit()
    new_shopper(world)

    html = world.client.get("/onboarding").get_data(as_text=True)
    shoes, home, apparel = topic(html, "shoes"), topic(html, "home"), topic(html, "apparel")
    assert "3 cards" in shoes and 'aria-pressed="false"' in shoes
    assert "2 cards" in home and 'src="https://img.example/pan-' in home
    # No cards: said so, and nothing to pick.
    assert "No cards yet" in apparel and "<form" not in apparel and "/follow" not in apparel
    # Topics with cards come first, the most first; the 359-chip wall is gone.
    assert html.index('data-slug="shoes"') < html.index('data-slug="home"')
    assert html.index('data-slug="home"') < html.index('data-slug="apparel"')
    assert html.count('class="chip ') == 0
    assert "Pick at least 3 — 0 picked" in html


def test_onboarding_counts_come_from_the_snapshot_not_a_count_of_the_card_table(world):
    world.cards(world.provider(), 3, interests=("shoes/running",))
    new_shopper(world)
    world.client.get("/onboarding")  # the process's catalog snapshot is built once
    with recorded_sql(world.app.extensions["plaza.engine"]) as sql:
        html = world.client.get("/onboarding").get_data(as_text=True)
    assert "3 cards" in topic(html, "shoes")
    # The shopper's own rows aside (the Saved tab's count), the card table is read only
    # for the few pictured cards, by id.
    statements = [s.lower() for s in sql]
    card_reads = [
        s for s in statements if re.search(r"\bfrom card\b", s) and "card_state.user_id" not in s
    ]
    assert card_reads, "the pictures are read"
    assert not [s for s in card_reads if "count(" in s], card_reads
    assert [s for s in card_reads if "card.id in" in s], card_reads
    # New cards reach the counts on the next page (the snapshot follows the database).
    world.cards(world.provider("More"), 2, interests=("apparel",))
    assert "2 cards" in topic(world.client.get("/onboarding").get_data(as_text=True), "apparel")


def test_picking_topics_counts_up_to_three_and_continue_stands_out(world):
    for slug in ("shoes", "home", "sports"):
        world.cards(world.provider(slug), 2, interests=(slug,))
    token = new_shopper(world)
    responses = [
        world.client.post(
            f"/interests/{slug}/follow",
            data={"csrf_token": token, "onboarding": "topic"},
            headers=HX,
        ).get_data(as_text=True)
        for slug in ("shoes", "home", "sports")
    ]
    assert 'aria-pressed="true"' in responses[0] and "2 cards" in responses[0]
    assert 'id="picks" hx-swap-oob="innerHTML"' in responses[0]
    assert "Pick at least 3 — 1 picked" in responses[0]
    assert '<button type="submit" class="button wide secondary">Continue' in responses[1]
    assert "3 picked — you're set" in responses[2]
    assert '<button type="submit" class="button wide">Continue' in responses[2]
    done = world.client.post("/onboarding", data={"csrf_token": token})
    assert done.headers["Location"] == "/"
    feed = world.client.get("/").get_data(as_text=True)
    assert len(CARD_ID.findall(feed)) == 6


def test_enter_in_the_search_stays_in_onboarding(world):
    world.cards(world.provider(), 2, interests=("shoes/running",))
    new_shopper(world)
    html = world.client.get("/onboarding").get_data(as_text=True)
    form = re.search(r'<form class="search"[^>]*>', html)
    assert form
    # With htmx the form's submit (Enter) swaps the results in place; without, it
    # comes back to onboarding.
    assert 'action="/onboarding"' in form.group(0)
    assert 'hx-get="/interests/search?onboarding=1"' in form.group(0)
    fragment = world.client.get("/interests/search?onboarding=1&q=running", headers=HX).get_data(
        as_text=True
    )
    assert "<html" not in fragment
    assert "Running shoes" in fragment and "2 cards" in fragment
    assert 'name="onboarding" value="chip"' in fragment
    assert "no cards yet" in fragment  # "Running" in sports: none yet, not offered
    page = world.client.get("/onboarding?q=running").get_data(as_text=True)
    assert "What are you into?" in page and "Running shoes" in page
    assert 'href="/onboarding">Clear the search' in page
    assert 'value="running"' in page
    lost = world.client.get("/interests/search?onboarding=1&q=running")
    assert lost.headers["Location"] == "/onboarding?q=running"


# --- A thin feed ------------------------------------------------------------------------


def test_a_shopper_with_few_cards_for_their_interests_gets_popular_ones_and_is_told(world):
    ours = world.cards(world.provider("Ours"), 2, interests=("shoes/running",))
    others = world.cards(world.provider("Others"), 5, interests=("home/kitchen",))
    hidden = world.cards(world.provider("Hidden"), 2, interests=("home/kitchen",))
    user_id = world.consumer(follows=("shoes",))
    provider_id = world.db.get(Card, hidden[0]).provider_id
    world.db.add(ProviderBlock(user_id=user_id, provider_id=provider_id))
    world.db.commit()
    world.login()
    html = world.client.get("/").get_data(as_text=True)
    shown = [int(i) for i in CARD_ID.findall(html)]
    note = html.index("Not much yet for your interests — here are popular cards.")
    assert set(shown[:2]) == set(ours)  # the shopper's own first
    assert set(shown[2:]) == set(others)  # then popular ones, never a hidden source's
    assert html.index(f'id="card-{shown[2]}"') > note
    assert "You're all caught up" in html


# --- Why, Saved, toasts -----------------------------------------------------------------


def test_the_why_panel_has_a_close_that_leads_back_to_the_card(world):
    (card,) = world.cards(world.provider(), 1)
    world.consumer()
    world.login()
    panel = world.client.get(
        f"/cards/{card}/why", headers={**HX, "Referer": "http://localhost/"}
    ).get_data(as_text=True)
    close = re.search(r'<a class="why__close[^>]*>', panel)
    assert close and f'data-why-close="{card}"' in close.group(0)
    page = world.client.get(
        f"/cards/{card}/why", headers={"Referer": "http://localhost/feed?cursor=abc"}
    ).get_data(as_text=True)
    assert f'href="/feed?cursor=abc#card-{card}"' in page
    elsewhere = world.client.get(
        f"/cards/{card}/why", headers={"Referer": "https://evil.example/"}
    ).get_data(as_text=True)
    assert f'href="/#card-{card}"' in elsewhere
    assert "evil.example" not in elsewhere


def saved_rows(world) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(i) for i in SAVED_ROW.findall(world.client.get("/saved").get_data(as_text=True))]


def test_saving_shows_a_toast_to_saved_and_counts_on_the_tab(world):
    first, second = world.cards(world.provider(), 2)
    world.consumer()
    token = world.login()
    saved = world.client.post(f"/cards/{first}/save", data={"csrf_token": token}, headers=HX)
    html = saved.get_data(as_text=True)
    assert f'id="card-{first}"' in html and 'aria-pressed="true"' in html
    toast = re.search(r'<div hx-swap-oob="beforeend:#toasts">(.*?)</div>', html, re.S)
    assert toast and 'Saved · <a href="/saved">View</a>' in toast.group(1)
    assert 'role="status"' in toast.group(1)
    assert re.search(r'id="saved-count" class="tab-count" hx-swap-oob="true">1<', html)
    page = world.client.get("/").get_data(as_text=True)
    assert '<div id="toasts" class="toasts" aria-live="polite">' in page
    assert re.search(r'id="saved-count" class="tab-count">1<', page)
    # Without JavaScript: back to the card, with the same way to Saved.
    plain = world.client.post(
        f"/cards/{second}/save",
        data={"csrf_token": token},
        headers={"Referer": "http://localhost/"},
    )
    assert plain.headers["Location"] == f"/#card-{second}"
    after = world.client.get("/").get_data(as_text=True)
    assert 'Saved · <a href="/saved">View</a>' in after
    assert re.search(r'id="saved-count" class="tab-count">2<', after)


TAB_COUNT = re.compile(r'id="saved-count" class="tab-count"( hidden)?>(\d+)<')


def test_the_saved_tab_counts_what_saved_lists_as_cards_come_and_go(world):
    from app.models import Provider, ProviderStatus

    northwind, southwind = world.provider("Northwind"), world.provider("Southwind")
    first, second, third = world.cards(northwind, 3)
    (fourth,) = world.cards(southwind, 1)
    world.consumer()
    token = world.login()

    def tab() -> int:
        """The number on the Saved tab of a whole page, which matches the Saved list."""
        found = TAB_COUNT.search(world.client.get("/interests").get_data(as_text=True))
        assert found is not None
        hidden, number = found.groups()
        assert bool(hidden) == (number == "0")
        assert len(saved_rows(world)) == int(number)
        return int(number)

    assert tab() == 0
    for card in (first, second, third, fourth):
        world.client.post(f"/cards/{card}/save", data={"csrf_token": token}, headers=HX)
    assert tab() == 4
    world.client.post(f"/cards/{first}/unsave", data={"csrf_token": token}, headers=HX)
    assert tab() == 3
    now = datetime.now(UTC)
    world.db.get(Card, second).removed_at = now  # removed by staff
    world.db.commit()
    assert tab() == 2
    world.db.get(Card, third).ends_at = now  # ended
    world.db.commit()
    assert tab() == 1
    world.db.get(Provider, southwind.id).status = ProviderStatus.SUSPENDED
    world.db.commit()
    assert tab() == 0


def test_a_page_reads_the_saved_tab_and_the_bell_in_one_statement(world):
    (card,) = world.cards(world.provider(), 1)
    world.consumer()
    token = world.login()
    world.client.post(f"/cards/{card}/save", data={"csrf_token": token}, headers=HX)
    with recorded_sql(world.app.extensions["plaza.engine"]) as sql:
        page = world.client.get("/").get_data(as_text=True)
    counts = [s.lower() for s in sql if "count(" in s.lower()]
    assert TAB_COUNT.search(page).groups() == (None, "1")  # type: ignore[union-attr]
    assert 'aria-label="Notifications"' in page
    (read,) = counts
    assert "from card_state" in read and "from notification" in read


def test_saved_is_a_compact_list_whose_remove_lasts_and_undo_restores(world):
    first, second = world.cards(world.provider(), 2)
    world.consumer()
    token = world.login()
    for card in (first, second):
        world.client.post(f"/cards/{card}/save", data={"csrf_token": token}, headers=HX)
    page = world.client.get("/saved").get_data(as_text=True)
    assert sorted(saved_rows(world)) == sorted([first, second])
    assert "$50.00" in page and "Acme Outfitters" in page
    assert "Dismiss" not in page and "Why?" not in page and "More options" not in page

    removed = world.client.post(
        f"/cards/{first}/unsave", data={"csrf_token": token, "from": "saved"}, headers=HX
    ).get_data(as_text=True)
    assert "Removed “Northwind item" in removed and ">Undo</button>" in removed
    assert re.search(r'id="saved-count" class="tab-count" hx-swap-oob="true">1<', removed)
    assert saved_rows(world) == [second]  # gone after a reload

    back = world.client.post(
        f"/cards/{first}/save", data={"csrf_token": token, "from": "saved"}, headers=HX
    ).get_data(as_text=True)
    assert f'id="saved-{first}"' in back and "toasts" not in back
    assert sorted(saved_rows(world)) == sorted([first, second])


def test_saved_remove_and_undo_without_javascript(world):
    (card,) = world.cards(world.provider(), 1)
    world.consumer()
    token = world.login()
    world.client.post(f"/cards/{card}/save", data={"csrf_token": token})
    removed = world.client.post(
        f"/cards/{card}/unsave", data={"csrf_token": token, "from": "saved"}
    )
    assert removed.headers["Location"] == f"/saved?removed={card}"
    page = world.client.get(removed.headers["Location"]).get_data(as_text=True)
    assert saved_rows(world) == []
    assert "Removed “Northwind item 0” from Saved." in page
    assert f'action="/cards/{card}/save"' in page
    undone = world.client.post(
        f"/cards/{card}/save",
        data={"csrf_token": token, "from": "saved"},
        headers={"Referer": f"http://localhost/saved?removed={card}"},
    )
    assert undone.headers["Location"] == f"/saved?removed={card}#saved-{card}"
    again = world.client.get(undone.headers["Location"]).get_data(as_text=True)
    assert saved_rows(world) == [card] and "Removed “" not in again
    state = world.db.exec(select(CardState).where(CardState.card_id == card)).one()
    world.db.refresh(state)
    assert state.saved_at is not None


# --- Without JavaScript, back to the card ------------------------------------------------


@pytest.mark.parametrize(
    "action", ["save", "dismiss", "hide-provider", "follow-partner", "not-interested"]
)
def test_a_card_action_without_javascript_returns_to_the_card(world, action):
    (card,) = world.cards(world.provider(), 1)
    world.consumer()
    token = world.login()
    data = {"csrf_token": token, "interest": "shoes/running"}
    page = world.client.post(
        f"/cards/{card}/{action}",
        data=data,
        headers={"Referer": "http://localhost/feed?cursor=abc"},
    )
    assert page.status_code == 303
    assert page.headers["Location"] == f"/feed?cursor=abc#card-{card}"
    elsewhere = world.client.post(
        f"/cards/{card}/{action}", data=data, headers={"Referer": "https://evil.example/x"}
    )
    assert elsewhere.headers["Location"] == f"/#card-{card}"
    sneaky = world.client.post(f"/cards/{card}/{action}", data={**data, "next": "//evil.example/x"})
    assert sneaky.headers["Location"] == f"/#card-{card}"


def test_back_on_a_later_feed_page_the_card_acted_on_is_still_there(world):
    """Without JavaScript, "More cards" pages are ordinary pages: coming back to one after
    acting on a card shows that page again, not the cards after it."""
    world.cards(world.provider(), 25)
    world.consumer()
    token = world.login()
    first = world.client.get("/").get_data(as_text=True)
    more = re.search(r'<a class="more" href="([^"]+)"', first)
    assert more
    later = more.group(1).replace("&amp;", "&")
    second = [int(i) for i in CARD_ID.findall(world.client.get(later).get_data(as_text=True))]
    assert len(second) == 5
    acted = world.client.post(
        f"/cards/{second[2]}/save",
        data={"csrf_token": token},
        headers={"Referer": f"http://localhost{later}"},
    )
    assert acted.headers["Location"] == f"{later}#card-{second[2]}"
    again = world.client.get(later).get_data(as_text=True)
    assert [int(i) for i in CARD_ID.findall(again)] == second
    assert f'id="card-{second[2]}"' in again and "Saved · " in again
