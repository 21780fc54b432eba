"""Search at /search?q=: shoppers find the cards they came for, by any word of them,
misspelt or half typed, among the cards the feed would show them, and nothing they
type breaks the page or becomes markup."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select, update

from app.ingest.retention import prune_cards
from app.ingest.store import store_drafts
from app.models import Card, CardState, Event, Organization, Provider
from app.partners.changes import update_provider
from cards.spec import CardDraft
from feeds.fetch import FetchPolicy
from tests.shopper.test_card_access import HIDDEN, hide
from tests.statements import recorded_sql

HX = {"HX-Request": "true"}
CARD_ID = re.compile(r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"')


def store(world, provider, *items: dict, now: datetime | None = None) -> list[int]:
    """Store cards through the ingest path, each item a draft's fields (title and
    external_id at least); returns their ids in the items' order."""
    now = now or datetime.now(UTC)
    drafts = [
        CardDraft(
            url=f"https://shop.example/{item['external_id']}",
            interests=list(item.pop("interests", ("shoes/running",))),
            payload={"price": "80.00", "currency": "USD", **item.pop("payload", {})},
            published_at=item.pop("published_at", now - timedelta(hours=1)),
            **item,
        )
        for item in (dict(i) for i in items)
    ]
    store_drafts(world.db, provider, drafts, world.app.extensions["plaza.taxonomy"], now)
    world.db.commit()
    by_external = {
        card.external_id: card.id
        for card in world.db.exec(select(Card).where(Card.provider_id == provider.id))
    }
    return [by_external[draft.external_id] for draft in drafts]


def found(world, query: str, **params) -> list[int]:
    response = world.client.get("/search", query_string={"q": query, **params})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [int(i) for i in CARD_ID.findall(response.get_data(as_text=True))]


@pytest.fixture
def shop(world):
    """A signed-in shopper who follows shoes, and a shop with a few cards."""
    world.consumer(follows=("shoes",))
    provider = world.provider("Northwind Outfitters")
    shoe, kettle, jacket = store(
        world,
        provider,
        {"external_id": "shoe", "title": "Cloudrunner 3 trail shoe",
         "payload": {"brand": "Trailpeak"}},
        {"external_id": "kettle", "title": "Gooseneck kettle", "summary": "Pours slowly for "
         "pour-over espresso.", "interests": ("home/kitchen/coffee",)},
        {"external_id": "jacket", "title": "Rain shell", "interests": ("apparel/outerwear",)},
    )  # fmt: skip
    world.login()
    return {"provider": provider, "shoe": shoe, "kettle": kettle, "jacket": jacket}


def test_cards_are_found_by_title_brand_summary_provider_and_interest(world, shop):
    assert found(world, "cloudrunner") == [shop["shoe"]]
    assert found(world, "TRAILPEAK") == [shop["shoe"]]  # brand
    assert found(world, "espresso") == [shop["kettle"]]  # summary
    assert found(world, "trainers") == [shop["shoe"]]  # an alias of Running shoes
    assert found(world, "jackets") == [shop["jacket"]]  # Outerwear's alias, stemmed
    assert set(found(world, "northwind")) == {shop["shoe"], shop["kettle"], shop["jacket"]}
    assert found(world, "trail kettle") == []  # every word must match


def test_results_are_the_feeds_cards_with_the_feeds_actions(world, shop):
    html = world.client.get("/search?q=cloudrunner").get_data(as_text=True)
    for action in ("save", "dismiss", "not-interested", "hide-provider"):
        assert f'action="/cards/{shop["shoe"]}/{action}"' in html
    assert f'href="/cards/{shop["shoe"]}/why"' in html
    assert 'card__reason">Because you follow Shoes<' in html


def test_a_misspelt_or_half_typed_word_still_finds_the_card(world, shop):
    provider = world.provider("Pace")
    (running,) = store(world, provider, {"external_id": "r", "title": "Running shoes for roads"})
    assert running in found(world, "runing shoes")
    assert found(world, "cloudrunnr") == [shop["shoe"]]
    assert found(world, "goosen") == [shop["kettle"]]  # still typing
    html = world.client.get("/search?q=runing").get_data(as_text=True)
    assert "Including results for running" in html


def test_an_updated_card_is_found_by_its_new_words_and_not_its_old(world, shop):
    store(world, shop["provider"], {"external_id": "kettle", "title": "Copper stovetop kettle",
                                    "interests": ("home/kitchen/coffee",)})  # fmt: skip
    assert found(world, "copper") == [shop["kettle"]]
    assert found(world, "gooseneck") == []


def rename(world, provider: Provider, name: str) -> None:  # type: ignore[no-untyped-def]
    update_provider(
        world.db,
        provider,
        {"url": "https://shop.example/feed.xml"},
        taxonomy=world.app.extensions["plaza.taxonomy"],
        policy=FetchPolicy(),
        interests=[],
        name=name,
        interval_seconds=None,
        now=datetime.now(UTC),
    )
    world.db.commit()


def worker_tick(world) -> None:  # type: ignore[no-untyped-def]
    from app.worker import build_scheduler, refresh_due_providers

    # Nothing due: the shop's feed is not asked for, the renames are the tick's only work.
    later = datetime.now(UTC) + timedelta(hours=1)
    world.db.execute(update(Provider).values(next_run_at=later))
    world.db.commit()
    build_scheduler(world.app)  # binds the app for the module-level jobs
    refresh_due_providers()
    world.db.expire_all()


def test_a_renamed_provider_is_found_by_its_new_name_after_the_next_worker_tick(world, shop):
    provider = shop["provider"]
    rename(world, provider, "Harbor Goods")
    rename(world, provider, "Harbor Trading")  # twice before the worker came by
    # The request wrote no document: 100,000 cards would hold it for 11 to 46 s.
    assert provider.indexed_name == "Northwind Outfitters"
    assert len(found(world, "northwind")) == 3 and found(world, "harbor") == []

    worker_tick(world)
    assert len(found(world, "trading")) == 3
    assert found(world, "northwind") == [] and found(world, "goods") == []
    assert world.db.get(Provider, provider.id).indexed_name is None


def test_a_provider_renamed_and_back_before_the_worker_came_by_needs_no_indexing(world, shop):
    provider = shop["provider"]
    rename(world, provider, "Harbor Trading")
    rename(world, provider, "Northwind Outfitters")
    assert provider.indexed_name is None
    assert len(found(world, "northwind")) == 3


def test_pruned_cards_leave_the_index(world, shop):
    now = datetime.now(UTC)
    long_ago = now - timedelta(days=400)
    (old,) = store(
        world, shop["provider"], {"external_id": "old", "title": "Parka", "published_at": long_ago}
    )
    assert found(world, "parka") == [old]
    assert prune_cards(world.db, now) == 1
    assert found(world, "parka") == []
    assert found(world, "cloudrunner") == [shop["shoe"]]


@pytest.mark.parametrize("how", HIDDEN)
def test_cards_the_feed_would_not_show_are_never_found(world, shop, how):
    hide(world, shop["shoe"], how)
    assert found(world, "cloudrunner") == []
    if how != "provider suspended":
        assert found(world, "kettle") == [shop["kettle"]]


def test_another_organisations_unreleased_promotion_finds_nothing(world, shop):
    rival = Organization(slug="rival", name="Rival Goods")
    world.db.add(rival)
    world.db.commit()
    promotion = Provider(organization_id=rival.id, kind="promotion", name="Rival launch")
    world.db.add(promotion)
    world.db.commit()
    now = datetime.now(UTC)
    store(world, promotion, {"external_id": "launch", "title": "Secret Zephyr launch",
                             "starts_at": now + timedelta(days=30),
                             "ends_at": now + timedelta(days=40)})  # fmt: skip
    html = world.client.get("/search?q=zephyr").get_data(as_text=True)
    assert CARD_ID.findall(html) == []
    assert "Nothing matches “zephyr”" in html


def test_muted_interests_hidden_providers_and_dismissed_cards_stay_out(world, shop):
    token = world.csrf("/search")
    other = world.provider("Pace")
    (pace_shoe,) = store(world, other, {"external_id": "p", "title": "Pace trail shoe"})
    assert set(found(world, "trail")) == {shop["shoe"], pace_shoe}
    world.client.post(f"/cards/{pace_shoe}/hide-provider", data={"csrf_token": token})
    assert found(world, "trail") == [shop["shoe"]]
    world.client.post(f"/cards/{shop['kettle']}/dismiss", data={"csrf_token": token})
    assert found(world, "kettle") == []
    world.client.post(
        f"/cards/{shop['jacket']}/not-interested",
        data={"csrf_token": token, "interest": "apparel/outerwear"},
    )
    assert found(world, "rain") == []
    assert found(world, "cloudrunner") == [shop["shoe"]]


def test_the_shoppers_tastes_order_equally_relevant_results(world):
    world.consumer(follows=("shoes",))
    provider = world.provider()
    shoe, kettle = store(
        world,
        provider,
        {"external_id": "a", "title": "Classic gift", "interests": ("shoes/running",)},
        {"external_id": "b", "title": "Classic gift", "interests": ("home/kitchen/coffee",)},
    )
    world.login()
    # The shoe's document is the longer (its interest has more names), so the index
    # finds it a little less relevant; that the shopper follows shoes lifts it first.
    assert found(world, "classic gift") == [shoe, kettle]


HOSTILE = (
    '"',
    '"shoe',
    "shoe NEAR(trail kettle, 2)",
    "*",
    "shoe*",
    "title:cloudrunner",
    "^cloudrunner",
    "cloudrunner OR 1=1; DROP TABLE card; --",
    "' OR ''='",
    "a AND",
    "NOT",
    "-kettle",
    "!shoe & | :* <-> (",
    "<script>alert('x')</script>",
    '<img src=x onerror="alert(1)">',
    "\\",
    "%_",
    "\x00",
    "🏃‍♀️👟",
    "Ünïcödé ßhoe",
    "² ½ ⅷ ǅ",
    "x" * 60,
    " ".join(["kettle"] * 30),
)


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_searches_are_text_never_markup_nor_syntax(world, shop, query):
    for headers in ({}, HX):
        response = world.client.get("/search", query_string={"q": query}, headers=headers)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    assert found(world, "cloudrunner OR 1=1; DROP TABLE card; --") == []
    assert found(world, "cloudrunner") == [shop["shoe"]]


def test_a_search_markup_is_shown_back_escaped(world, shop):
    html = world.client.get("/search", query_string={"q": "<b>kettle</b>"}).get_data(as_text=True)
    assert "Nothing matches “&lt;b&gt;kettle&lt;/b&gt;”" in html  # "b" is a word too
    assert "<b>kettle</b>" not in html


def test_a_very_long_search_is_cut_and_says_so(world, shop):
    html = world.client.get("/search", query_string={"q": "kettle " * 200}).get_data(as_text=True)
    assert "That search was long" in html
    assert CARD_ID.findall(html) == [str(shop["kettle"])]
    assert "kettle " * 20 not in html


def test_an_empty_search_helps_and_runs_no_query(world, shop):
    with recorded_sql(world.app.extensions["plaza.engine"]) as statements:
        for query in ("", "   ", "*!?"):
            html = world.client.get("/search", query_string={"q": query}).get_data(as_text=True)
            assert CARD_ID.findall(html) == []
            assert "search_term" not in " ".join(statements)
            assert "card_search" not in " ".join(statements)
    assert "What are you looking for?" in world.client.get("/search").get_data(as_text=True)
    assert 'href="/search?q=Shoes"' in world.client.get("/search").get_data(as_text=True)
    assert "Nothing to search for in “*!?”" in world.client.get("/search?q=*!?").get_data(
        as_text=True
    )


def test_htmx_gets_the_results_and_a_browser_the_page(world, shop):
    page = world.client.get("/search?q=kettle")
    fragment = world.client.get("/search?q=kettle", headers=HX)
    for response in (page, fragment):
        assert "HX-Request" in response.headers["Vary"]
        assert CARD_ID.findall(response.get_data(as_text=True)) == [str(shop["kettle"])]
    assert "<html" in page.get_data(as_text=True)
    assert 'hx-get="/search"' in page.get_data(as_text=True)  # search as you type
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'id="search-results"' in fragment.get_data(as_text=True)


def test_the_feed_header_leads_to_search(world, shop):
    html = world.client.get("/").get_data(as_text=True)
    assert 'href="/search" aria-label="Search"' in html


def test_results_page_with_a_bounded_page_number(world, shop):
    store(world, shop["provider"], *({"external_id": f"sock-{n}", "title": f"Wool sock {n}"}
                                     for n in range(25)))  # fmt: skip
    first = found(world, "sock")
    assert len(first) == 20
    more = world.client.get("/search?q=sock&page=2", headers=HX).get_data(as_text=True)
    second = [int(i) for i in CARD_ID.findall(more)]
    assert len(second) == 5 and not set(first) & set(second)
    assert 'id="search-results"' not in more  # appended to the list, not a new one
    for page in ("0", "11", "-1", "two", "²", "9" * 40):
        response = world.client.get("/search", query_string={"q": "sock", "page": page})
        assert response.status_code == 400
        assert "Results go from page 1 to page 10" in response.get_data(as_text=True)


def test_searching_changes_nothing(world, shop):
    def counts() -> tuple[int, int]:
        return (
            world.db.exec(select(func.count()).select_from(Event)).one(),
            world.db.exec(select(func.count()).select_from(CardState)).one(),
        )

    before = counts()
    for query in ("kettle", "runing", "", "northwind"):
        world.client.get("/search", query_string={"q": query})
        world.client.get("/search", query_string={"q": query}, headers=HX)
    assert counts() == before


def test_signed_out_visitors_are_sent_to_sign_in(world, shop):
    response = world.app.test_client().get("/search?q=kettle")
    assert response.status_code in (302, 303)
    assert "/login" in response.headers["Location"]
