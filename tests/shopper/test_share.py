"""Sharing a card: its page at ``/c/<id>`` as someone who was sent the link reads it
(signed out, in a link preview, from a cache), as a signed-in shopper reads it, and never
for a card the feed would not show; and the Share item in every card's menu."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from markupsafe import escape
from sqlmodel import delete

from app.accounts.users import create_user
from app.models import Card, Role
from app.staff.actions import act
from tests.ranking.test_scenarios import running_survey
from tests.shopper.test_card_access import HIDDEN, hide

HOSTILE = '<script>alert("x")</script> & "Co" \'s'


class Head(HTMLParser):
    """The page's link-preview tags and canonical link, as a chat app's crawler reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.canonical: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and (found.get("property") or found.get("name")):
            self.meta[found.get("property") or found.get("name") or ""] = found["content"] or ""
        if tag == "link" and found.get("rel") == "canonical":
            self.canonical.append(found["href"] or "")


def head(page: str) -> Head:
    parser = Head()
    parser.feed(page)
    return parser


def a_product(world, name: str = "Trail shop", **fields) -> int:  # type: ignore[no-untyped-def]
    """One product of Acme's, with a photo served by Plaza and a summary."""
    (card_id,) = world.cards(world.provider(name), 1, brand="Stride", sale_price="39.00")
    card = world.db.get(Card, card_id)
    card.image_url = "/static/demo/shoes.jpg"
    card.summary = "Light road shoes with a grippy sole, for daily miles."
    for key, value in fields.items():
        setattr(card, key, value)
    world.db.add(card)
    world.db.commit()
    return card_id


def path_of(card_id: int) -> str:
    """The canonical page of a card :func:`a_product` made (its title's words after its id)."""
    return f"/c/{card_id}-trail-shop-item-0"


def test_a_signed_out_visitor_reads_the_card_and_is_invited_to_plaza(world):
    card_id = a_product(world)
    response = world.client.get(path_of(card_id))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Trail shop item 0" in page
    assert '<span class="shared__kind">Product</span>' in page
    assert 'from <a href="/o/acme">Acme Outfitters</a>' in page
    assert "Stride · Acme Outfitters" in page  # the brand
    assert '<strong class="price__now">$39.00</strong>' in page  # the sale price...
    assert 'aria-label="was $50.00"' in page  # ...and the price it replaces
    assert '<img src="/static/demo/shoes.jpg"' in page
    shop = f"https://shop.example/{world.db.get(Card, card_id).provider_id}/0"
    assert f'<a class="button secondary" href="{shop}" rel="noopener nofollow">' in page
    assert 'href="/signup"' in page and f'href="/login?next={path_of(card_id)}"' in page
    assert "Why?" not in page and 'method="post"' not in page  # nothing to act on
    # The same for everyone, so a cache may keep it; it carries no one's session.
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Cookie" in response.headers["Vary"]
    assert "Set-Cookie" not in response.headers
    assert "csrf" not in page.lower()


def test_the_link_preview_tags_and_the_canonical_address(world):
    card_id = a_product(world)
    tags = head(world.client.get(path_of(card_id)).get_data(as_text=True))
    canonical = f"http://localhost{path_of(card_id)}"
    assert tags.canonical == [canonical]
    assert tags.meta["og:title"] == "Trail shop item 0"
    assert tags.meta["og:description"] == "Light road shoes with a grippy sole, for daily miles."
    assert tags.meta["og:image"] == "http://localhost/static/demo/shoes.jpg"  # absolute
    assert tags.meta["og:url"] == canonical
    assert tags.meta["og:type"] == "website"
    assert tags.meta["og:site_name"] == "Plaza"
    assert tags.meta["twitter:card"] == "summary_large_image"
    assert tags.meta["twitter:title"] == "Trail shop item 0"
    assert tags.meta["twitter:image"] == "http://localhost/static/demo/shoes.jpg"
    assert tags.meta["description"] == tags.meta["og:description"]


def test_a_card_without_a_summary_or_photo_still_previews_sensibly(world):
    card_id = a_product(world, image_url=None, summary="")
    tags = head(world.client.get(path_of(card_id)).get_data(as_text=True))
    assert tags.meta["og:description"] == "Product from Acme Outfitters, on Plaza"
    assert "og:image" not in tags.meta and tags.meta["twitter:card"] == "summary"


def test_a_long_summary_is_cut_at_a_word_for_previews(world):
    card_id = a_product(world, summary="Grippy " * 60)
    description = head(world.client.get(path_of(card_id)).get_data(as_text=True)).meta[
        "og:description"
    ]
    assert len(description) <= 200 and description.endswith("Grippy…")


def test_a_hostile_title_is_text_in_the_page_and_in_every_tag(world):
    card_id = a_product(world, name=HOSTILE)
    response = world.client.get(f"/c/{card_id}", follow_redirects=True)
    assert response.request.path == f"/c/{card_id}-script-alert-x-script-co-s-item-0"
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page
    escaped = str(escape(f"{HOSTILE} item 0"))  # as Jinja escapes
    assert f"<title>{escaped} · Plaza</title>" in page
    assert f'<meta property="og:title" content="{escaped}">' in page
    assert f'<meta name="twitter:title" content="{escaped}">' in page
    assert head(page).meta["og:title"] == f"{HOSTILE} item 0"  # read back exactly as written


@pytest.mark.parametrize("how", (*HIDDEN, "organisation suspended", "pruned", "never existed"))
def test_a_card_the_feed_would_not_show_has_no_page(world, how):
    card_id = a_product(world)
    if how == "organisation suspended":
        with world.app.app_context():
            staff = create_user(world.db, "staff@example.com", world.password, Role.STAFF)
            act(world.db, staff, "card", card_id, "suspend_organization", "Fakes",
                datetime.now(UTC))  # fmt: skip
            world.db.commit()
    elif how == "pruned":
        world.db.exec(delete(Card).where(Card.id == card_id))  # type: ignore[arg-type]
        world.db.commit()
    elif how == "never existed":
        card_id += 1000
    else:
        hide(world, card_id, how)
    for client, path in ((world.client, f"/c/{card_id}"), (signed_in(world), path_of(card_id))):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 404  # not a redirect that would tell its title
        assert "This card does not exist or was removed." in page  # the friendly page
        assert "Trail shop item" not in page


def signed_in(world):  # type: ignore[no-untyped-def]
    client = world.app.test_client()
    world.consumer()
    world.login(client=client)
    return client


def test_a_signed_in_shopper_gets_the_card_with_its_usual_actions_privately(world):
    card_id = a_product(world)
    client = signed_in(world)
    response = client.get(path_of(card_id))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'action="/cards/{card_id}/save"' in page
    assert f'action="/cards/{card_id}/dismiss"' in page
    assert f'<a class="menu__item" href="{path_of(card_id)}" data-share>Share</a>' in page
    assert "Sign up for Plaza" not in page and 'href="/"' in page
    assert response.headers["Cache-Control"] == "no-store"  # this shopper's alone


def test_a_shared_question_shows_what_it_asks_and_answering_needs_signing_in(world):
    question = min(running_survey(world))
    path = f"/c/{question}-question-0"
    page = world.client.get(path).get_data(as_text=True)
    assert '<span class="shared__kind">Survey</span>' in page
    assert '<h1 class="page-title" id="shared-title">Question 0?</h1>' in page
    assert "<li>A</li>" in page and "<li>B</li>" in page
    assert f'href="/login?next={path}">Log in to answer</a>' in page
    assert "<form" not in page.split("<main")[1]  # no answer form to send signed out
    answering = signed_in(world).get(path).get_data(as_text=True)
    assert f'action="/cards/{question}/answer"' in answering


def test_every_card_in_the_feed_offers_share_and_without_javascript_it_opens_the_page(world):
    world.cards(world.provider(), 3)
    client = signed_in(world)
    feed = client.get("/").get_data(as_text=True)
    ids = re.findall(r'<article class="card card--product_feed" id="card-(\d+)"', feed)
    links = re.findall(
        r'<a class="menu__item" href="/c/(\d+)-northwind-item-\d" data-share>Share</a>', feed
    )
    assert len(ids) == 3 and sorted(links) == sorted(ids)
    shared = client.get(f"/c/{ids[0]}", follow_redirects=True)  # where the plain link goes
    assert shared.status_code == 200 and f'id="card-{ids[0]}"' in shared.get_data(as_text=True)


def test_a_shared_promotion_says_it_is_sponsored(world):
    (card_id,) = world.cards(world.provider("Promo", kind="promotion"), 1, sponsor="Brand X")
    page = world.client.get(f"/c/{card_id}", follow_redirects=True).get_data(as_text=True)
    assert '<span class="shared__kind sponsored__label">Sponsored</span>' in page
    assert 'rel="noopener nofollow sponsored">See it on shop.example</a>' in page


def test_a_shared_video_previews_as_a_video(world):
    embed = "https://www.youtube-nocookie.com/embed/abc123"
    (card_id,) = world.cards(world.provider("Channel", kind="youtube"), 1, embed_url=embed)
    page = world.client.get(f"/c/{card_id}", follow_redirects=True).get_data(as_text=True)
    assert head(page).meta["og:type"] == "video.other"
    assert '<span class="shared__kind">Video</span>' in page


def test_the_id_alone_or_other_words_lead_to_the_canonical_address(world):
    card_id = a_product(world)
    for path in (f"/c/{card_id}", f"/c/{card_id}-an-old-title"):
        response = world.client.get(path)
        assert response.status_code == 301
        assert response.headers["Location"] == path_of(card_id)
        assert response.headers["Cache-Control"] == "public, max-age=300"


def test_a_title_without_letters_or_digits_is_shared_by_its_id_alone(world):
    card_id = a_product(world, title="✓ ✓ ✓")
    response = world.client.get(f"/c/{card_id}")
    assert response.status_code == 200
    assert head(response.get_data(as_text=True)).canonical == [f"http://localhost/c/{card_id}"]


def test_words_in_the_address_are_plain_ascii_and_short(world):
    card_id = a_product(world, title="Crème brûlée torch — " + "extra " * 20)
    response = world.client.get(f"/c/{card_id}", follow_redirects=True)
    words = response.request.path.removeprefix(f"/c/{card_id}-")
    assert words.startswith("creme-brulee-torch-extra-") and len(words) <= 60
    assert re.fullmatch(r"[a-z0-9-]+", words) and not words.endswith("-")
