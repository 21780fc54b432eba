"""Registering a provider in the portal: generated form, inline errors, preview, save.

The end-to-end test is the retailer's whole promise: a retailer on a phone
registers a YouTube channel, previews it, saves it, the worker fills a
consumer's feed with it, and the results page counts what the consumer did.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from markupsafe import escape
from pydantic import BaseModel, Field
from sqlmodel import select

from app.ingest.due import refresh_due
from app.ingest.sources import read_sample
from app.models import Card, Provider
from cards.registry import registered
from cards.spec import CardDraft, CardKind

CHANNEL = "UC-4GqbeZrTUSQzcNdMVn3_g"


def form_data(token: str, **fields: str | list[str]) -> dict:
    return {"csrf_token": token, **fields}


def test_the_portal_lands_on_the_retailers_own_organisation(client, acme):
    response = client.get("/portal/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/portal/acme/")
    page = client.get("/portal/acme/").get_data(as_text=True)
    assert "No providers yet" in page and "Add a provider" in page


def test_portal_pages_carry_the_portals_sections_not_the_shoppers_tabs(client, acme):
    for path in ("/portal/acme/", "/portal/acme/providers/new/youtube", "/portal/acme/members"):
        page = client.get(path).get_data(as_text=True)
        assert 'aria-label="Main"' not in page  # the shopper's Feed / Saved / Interests
        sections = page.split('aria-label="Portal sections"', 1)[1].split("</nav>", 1)[0]
        assert re.findall(r">([^<>]+)</a>", sections) == [
            "Providers", "Results", "Community", "Your page", "Members", "API tokens",
            "Shopper feed",
        ]  # fmt: skip
    assert 'aria-label="Main"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    ("kind", "label"), [("youtube", "YouTube videos"), ("pinterest", "Pinterest board")]
)
def test_the_new_provider_page_spells_the_kind_as_its_label_does(client, acme, kind, label):
    page = client.get(f"/portal/acme/providers/new/{kind}").get_data(as_text=True)
    assert f'<h1 class="page-title">New provider: {label}</h1>' in page
    assert f"<title>New provider: {label} · Acme Outfitters" in page


def test_every_kind_is_offered_and_a_plugin_kinds_form_needs_no_portal_code(partners, client, acme):
    class Settings(BaseModel):
        shelf: str = Field(title="Shelf code", description="Where it is in the store.")
        copies: int = Field(default=3, ge=1, le=9, title="Copies")
        loud: bool = Field(default=False, title="Loud")
        colour: str = Field(default="red", json_schema_extra={"enum": ["red", "blue"]})
        tags: list[str] = Field(default_factory=list, title="Tags")

    class ShelfKind(CardKind):
        name = "shelf_talker"
        label = "Shelf talker"
        description = "Cards for a shelf."
        config_model = Settings
        fetches_remote = False

        def refresh(self, config, context):  # type: ignore[no-untyped-def]
            yield CardDraft(external_id="one", title=f"Shelf {config.shelf}")

    with registered(ShelfKind()):
        chooser = client.get("/portal/acme/providers/new").get_data(as_text=True)
        for label in (
            "Product feed",
            "YouTube",
            "Pinterest",
            "Promotion",
            "Survey",
            "Shelf talker",
        ):
            assert label in chooser
        page = client.get("/portal/acme/providers/new/shelf_talker").get_data(as_text=True)
        assert 'name="config.shelf"' in page and "Where it is in the store." in page
        assert re.search(r'name="config.copies" value="3"', page)
        assert 'type="checkbox" id="f-config-loud" name="config.loud"' in page
        assert '<option value="blue"' in page
        assert 'name="config.tags"' in page and "One per line." in page
        token = partners.csrf(client, "/portal/acme/providers/new/shelf_talker")
        saved = client.post(
            "/portal/acme/providers/new/shelf_talker",
            data=form_data(
                token, action="save", **{"config.shelf": "B7", "config.copies": "5",
                "config.loud": "on", "config.colour": "blue", "config.tags": "new\n\nsale\n"},
            ),
        )  # fmt: skip
        assert saved.status_code == 303, saved.get_data(as_text=True)


def test_a_plugin_kinds_settings_are_stored_with_their_types(partners, client, db, acme):
    class Settings(BaseModel):
        shelf: str
        copies: int = 3
        loud: bool = False
        tags: list[str] = Field(default_factory=list)

    class ShelfKind(CardKind):
        name = "shelf_talker"
        label = "Shelf talker"
        config_model = Settings
        fetches_remote = False

        def refresh(self, config, context):  # type: ignore[no-untyped-def]
            yield CardDraft(external_id="one", title=f"Shelf {config.shelf}")

    with registered(ShelfKind()):
        token = partners.csrf(client, "/portal/acme/providers/new/shelf_talker")
        saved = client.post(
            "/portal/acme/providers/new/shelf_talker",
            data=form_data(token, action="save", **{"config.shelf": "B7", "config.copies": "5",
                           "config.loud": "on", "config.tags": "new\n\nsale\n"}),
        )  # fmt: skip
        assert saved.status_code == 303, saved.get_data(as_text=True)
    provider = db.exec(select(Provider)).one()
    assert provider.config == {"shelf": "B7", "copies": 5, "loud": True, "tags": ["new", "sale"]}
    assert provider.name == "Shelf talker"


def test_the_youtube_form_reads_as_words_and_a_missing_channel_id_shows_at_its_field(
    partners, client, db, acme
):
    path = "/portal/acme/providers/new/youtube"
    form = client.get(path).get_data(as_text=True)
    assert '<option value="channel" >A channel&#39;s uploads</option>' in form
    assert 'Channel ID <span class="optional">(needed for “A channel&#39;s uploads”)' in form
    assert 'Search words <span class="optional">(needed for “A search”)' in form
    assert 'data-needed-with="config.source" data-needed-for=\'["channel"]\'' in form

    token = partners.csrf(client, path)
    response = client.post(
        path, data=form_data(token, action="save", **{"config.source": "channel"})
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    channel = page.split('<label for="f-config-channel-id">', 1)[1].split("</div>", 1)[0]
    assert (
        '<p class="field__error" id="f-config-channel-id-error-1">'
        "To show videos from a channel, enter a channel ID.</p>"
    ) in channel
    assert 'aria-invalid="true"' in channel
    assert '<option value="channel" selected>A channel&#39;s uploads</option>' in page
    assert 'id="f-config"' not in page  # no message left over above the fields
    assert db.exec(select(Provider)).all() == []


def test_every_problem_is_shown_next_to_its_field_and_nothing_is_saved(partners, client, db, acme):
    token = partners.csrf(client, "/portal/acme/providers/new/promotion")
    response = client.post(
        "/portal/acme/providers/new/promotion",
        data=form_data(
            token, action="save", interests=["shoes", "not/real"], interval="soon",
            **{"config.headline": "Half off", "config.cta_url": "javascript:alert(1)",
               "config.starts_at": "2026-12-02T00:00", "config.ends_at": "2026-12-01T00:00",
               "config.daily_impression_cap": "many", "config.per_consumer_cap": "2"},
        ),
    )  # fmt: skip
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field, message in [
        ("f-config-body", "Enter the text."),
        ("f-config-cta-url", "Enter a full web address"),
        ("f-config-daily-impression-cap", "Enter a whole number for “Most views a day”"),
    ]:
        block = page[page.index(f'id="{field}"') :][:1500]
        assert message in block, (field, block)
    assert 'href="#f-config-body"' in page  # the summary links to the field
    assert "Unknown interests: not/real." in page
    assert 'value="Half off"' in page  # what was typed stays
    assert db.exec(select(Provider)).all() == []


SURVEY_FORM = {"config.title": "Tell us", "config.questions.0.id": "sport",
               "config.questions.0.prompt": "Your sport?", "config.questions.0.type": "single",
               "config.questions.0.choices": "Run\nSwim", "config.starts_at": "2026-12-01T00:00",
               "config.ends_at": "2026-12-31T00:00", "interests": ["shoes"]}  # fmt: skip


def test_the_survey_form_offers_both_caps_with_their_defaults_and_saves_them(
    partners, client, db, acme
):
    path = "/portal/acme/providers/new/survey"
    page = client.get(path).get_data(as_text=True)
    for field, label, value, high in [
        ("daily-impression-cap", "Most views a day", "10000", "10000000"),
        ("per-consumer-cap", "Most views a day per shopper", "3", "100"),
    ]:
        block = page[page.index(f'<label for="f-config-{field}"') :][:900]
        assert f"{label} <span" in block and f'value="{value}"' in block
        assert 'inputmode="numeric"' in block and 'min="1"' in block and f'max="{high}"' in block
        assert "every question of a survey shown counts" in block
    token = partners.csrf(client, path)
    caps = {"config.daily_impression_cap": "250", "config.per_consumer_cap": "1"}
    saved = client.post(path, data=form_data(token, action="save", **SURVEY_FORM, **caps))
    assert saved.status_code == 303, saved.get_data(as_text=True)
    config = db.exec(select(Provider)).one().config
    assert (config["daily_impression_cap"], config["per_consumer_cap"]) == (250, 1)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("daily_impression_cap", "many", "Enter a whole number for “Most views a day”"),
        ("daily_impression_cap", "-5", "Enter 1 or more for “Most views a day”."),
        ("daily_impression_cap", "0", "Enter 1 or more"),
        ("per_consumer_cap", "1.5", "Enter a whole number"),
        ("per_consumer_cap", "0", "Enter 1 or more for “Most views a day per shopper”."),
        ("per_consumer_cap", "101", "Enter 100 or less for “Most views a day per shopper”."),
        ("per_consumer_cap", '"><script>alert(1)</script>', "Enter a whole number"),
    ],
)
def test_a_bad_survey_cap_is_explained_at_its_field_and_nothing_is_saved(
    partners, client, db, acme, field, typed, message
):
    path = "/portal/acme/providers/new/survey"
    token = partners.csrf(client, path)
    response = client.post(
        path, data=form_data(token, action="save", **SURVEY_FORM, **{f"config.{field}": typed})
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    anchor = "f-config-" + field.replace("_", "-")
    block = page[page.index(f'id="{anchor}"') :][:1500]
    assert message in block
    assert f'value="{escape(typed)}"' in block  # what was typed stays, harmless
    assert f'href="#{anchor}"' in page  # the summary links to the field
    assert 'value="Your sport?"' in page  # nothing else typed is lost
    assert db.exec(select(Provider)).all() == []


def test_survey_questions_are_added_and_removed_without_javascript(partners, client, acme):
    path = "/portal/acme/providers/new/survey"
    token = partners.csrf(client, path)
    base = {"config.title": "Tell us", "config.questions.0.id": "sport",
            "config.questions.0.prompt": "Your sport?", "config.questions.0.type": "single",
            "config.questions.0.choices": "Run\nSwim"}  # fmt: skip
    added = client.post(path, data=form_data(token, action="add:config.questions", **base))
    assert added.status_code == 200
    page = added.get_data(as_text=True)
    assert "Question 2" in page and 'name="config.questions.1.prompt"' in page
    assert 'value="Your sport?"' in page
    more = {**base, "config.questions.1.id": "why", "config.questions.1.prompt": "Why?",
            "config.questions.1.type": "text"}  # fmt: skip
    removed = client.post(path, data=form_data(token, action="remove:config.questions.0", **more))
    page = removed.get_data(as_text=True)
    assert 'value="Why?"' in page and "Your sport?" not in page
    assert 'name="config.questions.1.prompt"' not in page
    bad = {**base, "config.questions.0.choices": "Only one"}
    invalid = client.post(path, data=form_data(token, action="preview", **bad))
    assert invalid.status_code == 422
    page = invalid.get_data(as_text=True)
    row = page[page.index('id="f-config-questions-0"') :][:600]
    assert "needs 2 to 8 choices" in row


def test_preview_shows_the_cards_it_would_make_or_the_reason_and_saves_nothing(
    partners, app, client, db, acme, httpserver
):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    feed = read_sample("northwind_products.xml")
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    httpserver.expect_request("/broken.xml").respond_with_data(
        "<html>shop</html>", content_type="text/html"
    )
    path = "/portal/acme/providers/new/product_feed"
    token = partners.csrf(client, path)
    ok = client.post(
        path,
        data=form_data(token, action="preview", **{"config.url": httpserver.url_for("/feed.xml")}),
    )
    assert ok.status_code == 200, ok.get_data(as_text=True)
    page = ok.get_data(as_text=True)
    assert "This source would give shoppers" in page and "here are the first 6" in page
    assert page.count('class="card card--product_feed"') == 6
    assert '<fieldset class="preview__cards" disabled hx-disable>' in page
    broken = client.post(
        path,
        data=form_data(
            token, action="preview", **{"config.url": httpserver.url_for("/broken.xml")}
        ),
    )
    assert "The preview did not work." in broken.get_data(as_text=True)
    assert "HTML page" in broken.get_data(as_text=True)
    hostile = client.post(
        path, data=form_data(token, action="preview", **{"config.url": "http://169.254.169.254/x"})
    )
    assert hostile.status_code == 422 and "169.254.169.254" in hostile.get_data(as_text=True)
    assert db.exec(select(Provider)).all() == [] and db.exec(select(Card)).all() == []


def test_a_feed_address_setting_opens_no_hole_in_the_fetcher(
    partners, app, client, db, acme, youtube_channel, httpserver
):
    """Pointing the YouTube kind at loopback still needs FETCH_ALLOW, like any address."""
    app.config["YOUTUBE_FEED_URL"] = youtube_channel.feed_url
    path = "/portal/acme/providers/new/youtube"
    token = partners.csrf(client, path)
    fields = {"config.source": "channel", "config.channel_id": youtube_channel.channel_id}
    refused = client.post(path, data=form_data(token, action="preview", **fields))
    page = refused.get_data(as_text=True)
    assert "The preview did not work." in page
    assert escape("The address 127.0.0.1 is this machine's own loopback address") in page
    assert httpserver.log == []  # nothing reached the server

    app.config["FETCH_ALLOW"] = "127.0.0.1"
    allowed = client.post(path, data=form_data(token, action="preview", **fields))
    page = allowed.get_data(as_text=True)
    assert "This source would give shoppers 3 cards" in page
    assert all(str(escape(title)) in page for title in youtube_channel.titles)
    assert db.exec(select(Provider)).all() == []


def test_htmx_gets_the_form_fragment_and_a_redirect_header_on_save(partners, client, db, acme):
    path = "/portal/acme/providers/new/pinterest"
    token = partners.csrf(client, path)
    headers = {"HX-Request": "true"}
    fragment = client.post(path, data=form_data(token, action="save"), headers=headers)
    assert fragment.status_code == 422
    assert fragment.get_data(as_text=True).lstrip().startswith('<div id="provider-editor"')
    url = "https://www.pinterest.com/acme/summer-looks.rss"
    saved = client.post(
        path, data=form_data(token, action="save", **{"config.url": url}), headers=headers
    )
    assert saved.status_code == 204
    provider = db.exec(select(Provider)).one()
    assert saved.headers["HX-Redirect"] == f"/portal/acme/providers/{provider.id}"


def test_from_a_phone_a_retailer_registers_a_youtube_channel_that_fills_feeds(
    partners, app, client, db, world, acme, httpserver
):
    """Preview, save, the worker refreshes, a shopper sees and opens a card, results count it."""
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    atom = read_sample("youtube/channel_northwind.atom")
    httpserver.expect_request(
        "/feeds/videos.xml", query_string={"channel_id": CHANNEL}
    ).respond_with_data(atom, content_type="application/atom+xml")
    app.config["YOUTUBE_FEED_URL"] = httpserver.url_for("/feeds/videos.xml")
    phone = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"}
    path = "/portal/acme/providers/new/youtube"
    form = client.get(path, headers=phone).get_data(as_text=True)
    assert 'name="viewport"' in form and 'id="f-config-channel-id"' in form
    token = partners.csrf(client, path)
    fields = {"config.source": "channel", "config.channel_id": CHANNEL, "interests": ["shoes"],
              "name": "Acme on YouTube"}  # fmt: skip
    preview = client.post(path, data=form_data(token, action="preview", **fields), headers=phone)
    assert preview.status_code == 200
    assert 'class="card card--youtube"' in preview.get_data(as_text=True)
    assert db.exec(select(Provider)).all() == []

    saved = client.post(path, data=form_data(token, action="save", **fields), headers=phone)
    assert saved.status_code == 303
    provider = db.exec(select(Provider)).one()
    assert provider.next_run_at is not None and provider.next_run_at <= datetime.now(UTC)

    refresh_due(app)  # what the worker's next tick does
    db.expire_all()
    provider = db.get(Provider, provider.id)
    assert provider.last_error is None and provider.card_count > 0

    shopper = app.test_client()
    world.consumer("fan@example.com", follows=("shoes",))
    world.login("fan@example.com", client=shopper)
    feed = shopper.get("/").get_data(as_text=True)
    card_ids = [c.id for c in db.exec(select(Card).where(Card.provider_id == provider.id))]
    shown = [cid for cid in card_ids if f'data-card-id="{cid}"' in feed]
    assert shown
    assert (
        shopper.get(
            f"/cards/{shown[0]}/open", headers={"Sec-Fetch-Site": "same-origin"}
        ).status_code
        == 303
    )

    health = client.get("/portal/acme/", headers=phone).get_data(as_text=True)
    assert "Acme on YouTube" in health and "Working" in health
    results = client.get(f"/portal/acme/results/providers/{provider.id}", headers=phone)
    page = results.get_data(as_text=True)
    assert '<svg class="chart__svg"' in page and "<table>" in page
    opens = re.search(r"<dt>Opened</dt><dd>(\d+)</dd>", page)
    shown_count = re.search(r"<dt>Shown</dt><dd>(\d+)</dd>", page)
    assert opens and opens.group(1) == "1"
    assert shown_count and int(shown_count.group(1)) == len(shown)
