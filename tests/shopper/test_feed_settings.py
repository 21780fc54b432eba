"""/settings/feed: a shopper shapes their feed, the change is stored at once, and the
next page (and search) follows it; a form Plaza did not offer changes nothing."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlmodel import select
from werkzeug.datastructures import MultiDict

from app.models import Card, FeedPreference
from tests.conftest import csrf_token
from tests.shopper.test_feed import card_ids, next_url
from tests.shopper.test_prepared_feed import run_job
from tests.shopper.test_search import found
from tests.statements import statements

HX = {"HX-Request": "true"}
KINDS = ("community_post", "editorial", "pinterest", "product_feed", "promotion", "survey")
AS_IS = {f"kind.{kind}": "as_is" for kind in (*KINDS, "youtube")}


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def save(world: Any, headers: dict[str, str] | None = None, **fields: str) -> Any:
    """Post the settings form as the page sends it: every kind, ``fields`` changed."""
    token = csrf_token(world.client, "/settings/feed")
    form = {**AS_IS, "density": "compact", "csrf_token": token, **fields}
    return world.client.post("/settings/feed", data=form, headers=headers or {})


def kinds_of(world: Any, ids: list[int]) -> list[str]:
    cards = {c.id: c.kind for c in world.db.exec(select(Card).where(Card.id.in_(ids)))}  # type: ignore[union-attr]
    return [cards[i] for i in ids]


@pytest.fixture
def mixed(world: Any) -> dict[str, list[int]]:
    """A signed-in shopper who follows shoes, with products and videos about running
    shoes."""
    world.consumer(follows=("shoes",))
    products = world.cards(world.provider("Shop"), 8, interests=("shoes/running",))
    tube = world.provider("Trail videos", kind="youtube")
    # A day older than the products: as they are, products come first.
    videos = world.cards(
        tube, 8, interests=("shoes/running",), age_hours=24, price=None, currency=None
    )
    world.login()
    return {"products": products, "videos": videos}


def test_the_page_offers_every_kind_by_its_name_and_is_linked_from_the_feed(world, mixed):
    page = world.client.get("/settings/feed")
    body = text(page)
    assert page.status_code == 200 and "<html" in body
    for label in ("Products", "Videos", "Boards", "Surveys", "Community posts", "Promotions"):
        assert f'<legend class="settings__title">{label}</legend>' in body
    # Promotions may be lowered, never removed; every other kind may be turned off.
    assert 'name="kind.promotion" value="none"' not in body
    assert 'name="kind.promotion" value="less"' in body
    assert 'name="kind.youtube" value="none"' in body
    assert 'name="kind.youtube" value="as_is" checked' in body
    assert 'name="density" value="compact" checked' in body
    # Linked from the feed and from the account menu of every page.
    feed = text(world.client.get("/"))
    assert feed.count('href="/settings/feed"') >= 2
    fragment = world.client.get("/settings/feed", headers=HX)
    assert "<html" not in text(fragment) and 'id="feed-settings"' in text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_change_saves_itself_and_is_there_next_time(world, mixed):
    saved = save(world, HX, **{"kind.youtube": "less"}, deals_only="1", density="comfortable")
    assert saved.status_code == 200
    assert "Saved" in text(saved) and "<html" not in text(saved)
    world.client.post("/logout", data={"csrf_token": csrf_token(world.client, "/")})
    world.login()
    body = text(world.client.get("/settings/feed"))
    assert 'name="kind.youtube" value="less" checked' in body
    assert 'name="deals_only" value="1" checked' in body
    assert 'name="in_stock_only" value="1" checked' not in body
    assert 'name="density" value="comfortable" checked' in body


def test_without_javascript_the_form_posts_and_comes_back(world, mixed):
    posted = save(world, **{"kind.youtube": "none"}, next="/settings/feed")
    assert posted.status_code == 303 and posted.headers["Location"] == "/settings/feed"
    page = text(world.client.get("/settings/feed"))
    assert "Feed settings saved" in page
    assert 'name="kind.youtube" value="none" checked' in page
    assert "<noscript><p><button" in page  # the Save button shows only without JavaScript


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind.youtube": "lots"}, "Videos can be more, as is, less, none, not 'lots'."),
        ({"kind.promotion": "none"}, "Promotions can be as is, less, not 'none'."),
        ({"kind.teleport": "more"}, "There is no kind of card called 'teleport'."),
        ({"density": "tiny"}, "Cards can be compact or comfortable, not 'tiny'."),
        ({"deals_only": "maybe"}, "Only deals is either on or off, not 'maybe'."),
        ({"colour": "red"}, "The feed settings have no 'colour'."),
    ],
)
def test_a_form_plaza_did_not_offer_is_refused_and_changes_nothing(world, mixed, fields, message):
    assert save(world, **{"kind.youtube": "more"}, in_stock_only="1").status_code == 303
    for headers in ({}, HX):
        refused = save(world, headers, **{"kind.youtube": "none", **fields})
        assert refused.status_code == 400
        assert message in text(refused)
    world.db.expire_all()
    row = world.db.exec(select(FeedPreference)).one()
    assert row.kinds == {"youtube": "more"} and row.in_stock_only and not row.deals_only


def test_a_field_sent_twice_is_refused(world, mixed):
    token = csrf_token(world.client, "/settings/feed")
    form = MultiDict([*AS_IS.items(), ("kind.youtube", "none"), ("csrf_token", token)])
    refused = world.client.post("/settings/feed", data=form)
    assert refused.status_code == 400
    assert "The form sent 'kind.youtube' more than once." in text(refused)
    assert world.db.exec(select(FeedPreference)).first() is None


def test_a_post_without_the_csrf_token_is_refused(world, mixed):
    refused = world.client.post("/settings/feed", data={**AS_IS, "kind.youtube": "none"})
    assert refused.status_code == 400
    assert world.db.exec(select(FeedPreference)).first() is None


def test_none_takes_a_kind_out_of_the_feed_and_out_of_search(world, mixed):
    assert set(kinds_of(world, card_ids(text(world.client.get("/"))))) == {
        "product_feed",
        "youtube",
    }
    assert set(found(world, "item")) >= set(mixed["videos"])
    save(world, **{"kind.youtube": "none"})
    shown = card_ids(text(world.client.get("/")))
    assert shown and set(shown) <= set(mixed["products"])
    assert set(found(world, "item")) == set(mixed["products"])


def test_more_and_less_move_a_kind_up_or_down_and_say_so(world, mixed):
    as_is = card_ids(text(world.client.get("/")))
    assert kinds_of(world, as_is)[0] == "product_feed"
    save(world, **{"kind.youtube": "more"})
    first = card_ids(text(world.client.get("/")))
    assert kinds_of(world, first)[:2] == ["youtube", "youtube"]
    why = text(world.client.get(f"/cards/{first[0]}/why", headers=HX))
    assert "More videos, as you asked" in why
    save(world, **{"kind.youtube": "less"})
    first = card_ids(text(world.client.get("/")))
    assert kinds_of(world, first)[:2] == ["product_feed", "product_feed"]
    video = next(
        i for i, kind in zip(first, kinds_of(world, first), strict=True) if kind == "youtube"
    )
    assert "Videos lower down, as you asked" in text(
        world.client.get(f"/cards/{video}/why", headers=HX)
    )
    # The product cards' reasons say nothing of a setting that did not move them.
    assert "as you asked" not in text(world.client.get(f"/cards/{first[0]}/why", headers=HX))


def running_promotion(world: Any) -> int:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    caps = {"daily_impression_cap": 1000, "per_consumer_cap": 10, "sponsor": "Brand X"}
    (promo,) = world.cards(world.provider("Promo", kind="promotion"), 1, **caps)
    card = world.db.get(Card, promo)
    card.starts_at, card.ends_at = now - timedelta(days=1), now + timedelta(days=1)
    card.updated_at = now
    world.db.commit()
    return int(promo)


def test_promotions_less_puts_them_lower_yet_still_labelled(world):
    world.consumer(follows=("shoes",))
    world.cards(world.provider("Shop"), 25, interests=("shoes/running",))
    promo = running_promotion(world)
    world.login()
    assert card_ids(text(world.client.get("/"))).index(promo) == 4
    save(world, **{"kind.promotion": "less"})
    page = text(world.client.get("/"))
    shown = card_ids(page)
    assert shown.index(promo) > 4
    assert "Sponsored by Brand X" in page
    why = text(world.client.get(f"/cards/{promo}/why", headers=HX))
    assert "Promotions lower down, as you asked" in why


def test_only_in_stock_leaves_out_products_that_cannot_be_bought_now(world):
    world.consumer(follows=("shoes",))
    shop = world.provider("Shop")
    stocked = world.cards(shop, 3, availability="in_stock")
    unknown = world.cards(shop, 2, start=10)  # says nothing of its stock
    sold_out = world.cards(shop, 3, start=20, availability="out_of_stock")
    later = world.cards(shop, 1, start=30, availability="preorder")
    videos = world.cards(world.provider("Tube", kind="youtube"), 2, price=None, currency=None)
    world.login()
    assert set(card_ids(text(world.client.get("/")))) >= set(sold_out + later)
    save(world, in_stock_only="1")
    assert set(card_ids(text(world.client.get("/")))) == set(stocked + unknown + videos)
    assert set(found(world, "item")) == set(stocked + unknown + videos)


def test_only_deals_leaves_products_on_sale_or_cheaper_than_before(world):
    world.consumer(follows=("shoes",))
    shop = world.provider("Shop")
    world.cards(shop, 2, price="60.00")
    dropped = world.cards(shop, 2, price="45.00")  # the same items, cheaper: a price drop
    on_sale = world.cards(shop, 2, start=10, price="80.00", sale_price="59.00")
    full_price = world.cards(shop, 3, start=20)
    videos = world.cards(world.provider("Tube", kind="youtube"), 2, price=None, currency=None)
    assert {c.badge for c in world.db.exec(select(Card).where(Card.id.in_(dropped)))} == {  # type: ignore[union-attr]
        "price_drop"
    }
    world.login()
    assert set(card_ids(text(world.client.get("/")))) >= set(full_price)
    save(world, deals_only="1")
    assert set(card_ids(text(world.client.get("/")))) == set(dropped + on_sale + videos)
    assert set(found(world, "item")) == set(dropped + on_sale + videos)


def test_density_draws_the_feed_from_the_settings_the_page_was_ranked_with(world, mixed):
    world.cards(world.provider("More"), 20, interests=("shoes/hiking",))
    assert 'class="feed density-compact"' in text(world.client.get("/"))
    save(world, density="comfortable")
    with statements(world.app) as seen:
        first = text(world.client.get("/"))
    assert 'class="feed density-comfortable"' in first
    assert seen["SELECT", "feed_preference"] == 1  # with the profile, nothing more
    later = next_url(first)
    assert later is not None
    world.client.get(later, headers=HX)
    # Asked again without JavaScript (the way back after an action): a whole page.
    with statements(world.app) as seen:
        again = text(world.client.get(later))
    assert 'class="feed density-comfortable"' in again
    assert seen["SELECT", "feed_preference"] == 1


def test_saved_and_search_do_not_read_the_density_they_do_not_draw(world, mixed):
    save(world, density="comfortable")
    # Search reads the settings once, with the profile its order and filters follow.
    for path, reads in (("/saved", 0), ("/search?q=item", 1), ("/search", 0)):
        with statements(world.app) as seen:
            assert world.client.get(path).status_code == 200
        assert seen["SELECT", "feed_preference"] == reads, path


def test_the_feed_reads_its_settings_in_one_cheap_query(world, mixed):
    save(world, **{"kind.youtube": "more"})
    world.client.get("/")
    with statements(world.app) as seen:
        world.client.get("/")
    assert seen["SELECT", "feed_preference"] == 1


def test_a_first_page_prepared_before_a_change_is_not_served(world, app, mixed):
    run_job(app)  # the worker ranks the shopper's next first page, with videos in it
    save(world, **{"kind.youtube": "none"})
    with statements(world.app) as seen:
        shown = card_ids(text(world.client.get("/")))
    assert seen["SELECT", "card_interest"] > 0  # ranked on the request, not the plan
    assert shown and set(shown) <= set(mixed["products"])


def test_the_settings_are_in_the_shoppers_data_export(world, mixed):
    from tests.accounts.test_export import export

    assert export(world.client)["feed_settings"] is None  # nothing chosen yet
    save(world, **{"kind.youtube": "none"}, deals_only="1")
    exported = export(world.client)["feed_settings"]
    assert exported["kinds"] == {"youtube": "none"}
    assert exported["deals_only"] is True and exported["density"] == "compact"
