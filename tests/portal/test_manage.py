"""Looking after providers in the portal: health at a glance, edit, pause, resume,
refresh now, delete with confirmation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.models import Card, EventKind, Provider, ProviderStatus


def test_the_list_shows_each_providers_health_in_plain_words(client, partners, world, acme):
    now = datetime.now(UTC)
    healthy = partners.provider(
        acme, "Healthy feed", last_success_at=now - timedelta(hours=2),
        next_run_at=now + timedelta(minutes=40), card_count=12,
    )  # fmt: skip
    partners.provider(
        acme, "Broken feed", status=ProviderStatus.BACKING_OFF, consecutive_errors=2,
        last_error="The server answered 404 (not found): check the address.",
        next_run_at=now + timedelta(hours=3),
    )  # fmt: skip
    partners.provider(acme, "Resting feed", status=ProviderStatus.PAUSED)
    (card,) = world.cards(healthy, 1)
    shopper = world.consumer()
    partners.events(shopper, card, healthy.id, EventKind.OPEN, 3, now - timedelta(days=1))
    partners.events(shopper, card, healthy.id, EventKind.OPEN, 5, now - timedelta(days=9))
    page = client.get("/portal/acme/").get_data(as_text=True)
    rows = {name: page[page.index(name) :][:1400] for name in ("Healthy", "Broken", "Resting")}
    assert "Working" in rows["Healthy"] and "2 h ago" in rows["Healthy"]
    assert "in 39 min" in rows["Healthy"] or "in 40 min" in rows["Healthy"]
    assert re.search(r"<dt>Opens, 7 days</dt><dd>3</dd>", rows["Healthy"])
    assert "Failing, retrying" in rows["Broken"] and "answered 404" in rows["Broken"]
    assert "Never" in rows["Broken"] and "in 2 h" in rows["Broken"]
    assert "Paused" in rows["Resting"] and "Not scheduled" in rows["Resting"]


def test_edit_keeps_the_kind_validates_like_registration_and_refreshes_soon(
    client, db, partners, acme
):
    first = partners.provider(
        acme, "First", config={"url": "https://acme.example/a.xml", "max_items": 200}
    )
    partners.provider(
        acme, "Second", config={"url": "https://acme.example/b.xml", "max_items": 200}
    )
    first.etag, first.next_run_at = '"v1"', datetime.now(UTC) + timedelta(hours=1)
    db.commit()
    path = f"/portal/acme/providers/{first.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'value="https://acme.example/a.xml"' in page and 'value="shoes" checked' in page
    token = partners.csrf(client, path)
    duplicate = client.post(
        path,
        data={"csrf_token": token, "action": "save", "config.url": "https://acme.example/b.xml"},
    )
    assert duplicate.status_code == 422
    assert "already has this provider" in duplicate.get_data(as_text=True)
    saved = client.post(
        path,
        data={"csrf_token": token, "action": "save", "config.url": "https://acme.example/c.xml",
              "config.max_items": "20", "interests": ["shoes/running", "home"], "name": "Renamed"},
    )  # fmt: skip
    assert saved.status_code == 303
    db.refresh(first)
    assert first.config == {"url": "https://acme.example/c.xml", "max_items": 20}
    assert first.interests == ["shoes/running", "home"] and first.name == "Renamed"
    assert first.etag is None and first.next_run_at <= datetime.now(UTC)


def test_a_survey_saved_before_surveys_had_caps_refreshes_and_edits_with_the_defaults(
    app, client, db, partners, acme
):
    questions = [{"id": "q", "prompt": "Why?", "type": "text"}]
    config = {"title": "Old", "questions": questions,
              "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}  # fmt: skip
    survey = partners.provider(acme, "Old survey", kind="survey", config=config)
    now = datetime.now(UTC)
    with app.app_context():
        assert refresh_provider(db, survey, context_for(app, survey, now), now).ok
    (card,) = db.exec(select(Card).where(Card.provider_id == survey.id)).all()
    assert (card.payload["daily_impression_cap"], card.payload["per_consumer_cap"]) == (10000, 3)
    path = f"/portal/acme/providers/{survey.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert 'name="config.daily_impression_cap" value="10000"' in page
    assert 'name="config.per_consumer_cap" value="3"' in page
    token = partners.csrf(client, path)
    saved = client.post(
        path,
        data={"csrf_token": token, "action": "save", "interests": ["shoes"],
              "config.title": "Old", "config.questions.0.id": "q",
              "config.questions.0.prompt": "Why?", "config.questions.0.type": "text",
              "config.starts_at": "2026-01-01T00:00", "config.ends_at": "2030-01-01T00:00",
              "config.daily_impression_cap": "10000", "config.per_consumer_cap": "1"},
    )  # fmt: skip
    assert saved.status_code == 303, saved.get_data(as_text=True)
    db.refresh(survey)
    assert (survey.config["daily_impression_cap"], survey.config["per_consumer_cap"]) == (10000, 1)


def test_pause_resume_and_refresh_now(client, db, partners, acme):
    provider = partners.provider(acme, "Feed", next_run_at=datetime.now(UTC) + timedelta(hours=1))
    detail = f"/portal/acme/providers/{provider.id}"
    token = partners.csrf(client, detail)
    refreshed = client.post(f"{detail}/refresh", data={"csrf_token": token, "next": detail})
    assert refreshed.status_code == 303 and refreshed.headers["Location"] == detail
    db.refresh(provider)
    assert provider.next_run_at <= datetime.now(UTC)
    client.post(f"{detail}/pause", data={"csrf_token": token, "next": detail})
    db.refresh(provider)
    assert provider.status == "paused" and provider.next_run_at is None
    refused = client.post(
        f"{detail}/refresh", data={"csrf_token": token, "next": detail}, follow_redirects=True
    )
    assert "resume it to refresh it" in refused.get_data(as_text=True)
    client.post(f"{detail}/resume", data={"csrf_token": token, "next": detail})
    db.refresh(provider)
    assert provider.status == "active"


def test_a_retailer_cannot_lift_a_suspension_but_staff_can(app, client, db, partners, acme):
    provider = partners.provider(acme, "Feed", status=ProviderStatus.SUSPENDED)
    detail = f"/portal/acme/providers/{provider.id}"
    token = partners.csrf(client, detail)
    for action in ("resume", "pause", "refresh"):
        response = client.post(
            f"{detail}/{action}", data={"csrf_token": token, "next": detail}, follow_redirects=True
        )
        assert "staff suspended this provider" in response.get_data(as_text=True)
    db.refresh(provider)
    assert provider.status == "suspended"
    partners.staff()
    staff = app.test_client()
    partners.login("staff@example.com", client=staff)
    staff.post(
        f"{detail}/resume", data={"csrf_token": partners.csrf(staff, detail), "next": detail}
    )
    db.refresh(provider)
    assert provider.status == "active"


def test_delete_asks_first_and_says_what_goes(client, db, partners, world, acme):
    provider = partners.provider(acme, "Feed")
    kept = partners.provider(acme, "Other")
    world.cards(provider, 2)
    world.cards(kept, 1)
    detail = f"/portal/acme/providers/{provider.id}"
    confirm = client.get(f"{detail}/delete").get_data(as_text=True)
    assert "cannot be undone" in confirm and "its 2 cards" in confirm
    assert db.get(Provider, provider.id) is not None
    deleted = client.post(f"{detail}/delete", data={"csrf_token": partners.csrf(client, detail)})
    assert deleted.status_code == 303 and deleted.headers["Location"] == "/portal/acme/"
    db.expire_all()
    assert db.exec(select(Provider.name)).all() == ["Other"]
    assert [c.provider_id for c in db.exec(select(Card))] == [kept.id]


def test_portal_forms_need_the_csrf_token(client, db, partners, acme):
    provider = partners.provider(acme, "Feed")
    response = client.post(f"/portal/acme/providers/{provider.id}/delete")
    assert response.status_code == 400
    assert db.get(Provider, provider.id) is not None


def test_the_detail_page_lists_settings_and_newest_cards(client, partners, world, acme):
    provider = partners.provider(
        acme, "Feed", config={"url": "https://acme.example/a.xml", "max_items": 7}
    )
    world.cards(provider, 2)
    page = client.get(f"/portal/acme/providers/{provider.id}").get_data(as_text=True)
    assert "Feed address" in page and "https://acme.example/a.xml" in page
    assert "Most products" in page and ">7<" in page
    assert "Feed item 0" in page and f"card={world.db.exec(select(Card.id)).first()}" in page
    assert "<dt>Refreshes every</dt><dd>1 hour</dd>" in page
    often = partners.provider(acme, "Often", interval_seconds=450)
    page = client.get(f"/portal/acme/providers/{often.id}").get_data(as_text=True)
    assert "<dt>Refreshes every</dt><dd>7.5 minutes</dd>" in page


def test_the_detail_page_says_choices_by_their_label_and_times_in_utc(client, partners, acme):
    promotion = partners.provider(
        acme, "Promo", kind="promotion",
        config={"headline": "Half off", "body": "Boots", "sponsor": "Acme",
                "cta_url": "https://acme.example/sale", "starts_at": "2026-12-01T09:30:00Z",
                "ends_at": "2026-12-24T18:00:00Z"},
    )  # fmt: skip
    page = client.get(f"/portal/acme/providers/{promotion.id}").get_data(as_text=True)
    assert "<dt>Starts</dt>\n    <dd>2026-12-01 09:30 UTC</dd>" in page
    channel = partners.provider(
        acme, "Videos", kind="youtube", config={"source": "channel", "channel_id": "UCx"}
    )
    page = client.get(f"/portal/acme/providers/{channel.id}").get_data(as_text=True)
    assert "<dt>Videos from</dt>\n    <dd>A channel&#39;s uploads</dd>" in page
