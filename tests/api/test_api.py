"""The partner API: providers end to end with a token, and every kind of bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for, read_sample
from app.models import Card, EventKind, Provider
from app.models.partners import ApiRateWindow, ApiToken
from app.partners.secrets import digest
from cards.survey import choice_id

FEED = "https://feeds.acme.example/products.xml"


def create(api, **body):  # type: ignore[no-untyped-def]
    payload = {"kind": "product_feed", "config": {"url": FEED}, "interests": ["shoes"], **body}
    return api("POST", "/providers", json=payload)


def test_kinds_come_with_the_json_schema_of_their_config(api):
    response = api("GET", "/kinds")
    assert response.status_code == 200
    kinds = {k["name"]: k for k in response.json["items"]}
    assert {"product_feed", "youtube", "pinterest", "promotion", "survey"} <= set(kinds)
    youtube = kinds["youtube"]
    source = youtube["config_schema"]["properties"]["source"]
    assert source["enum"] == ["channel", "playlist", "search"]
    assert [(v["const"], v["title"]) for v in source["oneOf"]] == [
        ("channel", "A channel's uploads"), ("playlist", "A playlist"), ("search", "A search")
    ]  # fmt: skip
    assert {"if": {"properties": {"source": {"const": "channel"}}, "required": ["source"]},
            "then": {"required": ["channel_id"]}} in youtube["config_schema"]["allOf"]  # fmt: skip
    assert youtube["min_interval_seconds"] == 300


def test_register_read_change_and_delete_a_provider(api, db):
    created = create(api, name="Acme products")
    assert created.status_code == 201, created.json
    provider_id = created.json["id"]
    assert created.headers["Location"] == f"/api/v1/providers/{provider_id}"
    assert created.json["organization"] == "acme" and created.json["status"] == "active"

    assert api("GET", f"/providers/{provider_id}").json["name"] == "Acme products"
    changed = api(
        "PATCH", f"/providers/{provider_id}",
        json={"config": {"max_items": 20}, "interests": ["shoes/running"], "status": "paused"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.json
    assert changed.json["config"] == {"url": FEED, "max_items": 20}
    assert changed.json["interests"] == ["shoes/running"] and changed.json["status"] == "paused"
    assert api("POST", f"/providers/{provider_id}/refresh").status_code == 409
    resumed = api("PATCH", f"/providers/{provider_id}", json={"status": "active"})
    assert resumed.json["status"] == "active"
    assert api("POST", f"/providers/{provider_id}/refresh").status_code == 202

    assert api("DELETE", f"/providers/{provider_id}").status_code == 204
    assert api("GET", f"/providers/{provider_id}").status_code == 404
    assert db.exec(select(Provider)).all() == []


def test_lists_page_by_cursor(api):
    ids = [create(api, config={"url": f"{FEED}?page={n}"}).json["id"] for n in range(5)]
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api("GET", "/providers", query_string=query).json
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids
    for query, field in [
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "x"}, "cursor"),
    ]:
        bad = api("GET", "/providers", query_string=query)
        assert bad.status_code == 400 and bad.json["errors"][0]["field"] == field


def test_cards_of_a_provider(api, world, partners, acme):
    provider = partners.provider(acme, "Shoes")
    world.cards(provider, 3, interests=("shoes/running",))
    response = api("GET", f"/providers/{provider.id}/cards", query_string={"limit": 2})
    assert response.status_code == 200
    first = response.json["items"][0]
    assert first["title"] == "Shoes item 0" and first["interests"] == ["shoes", "shoes/running"]
    assert first["payload"]["price"] == "50.00"
    rest = api(
        "GET",
        f"/providers/{provider.id}/cards",
        query_string={"cursor": response.json["next_cursor"]},
    )
    assert [c["title"] for c in rest.json["items"]] == ["Shoes item 2"]


def test_preview_runs_a_real_refresh_and_stores_nothing(app, api, db, httpserver):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    feed = read_sample("northwind_products.xml")
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    httpserver.expect_request("/gone.xml").respond_with_data("missing", status=404)
    ok = api(
        "POST",
        "/providers/preview",
        json={"kind": "product_feed", "config": {"url": httpserver.url_for("/feed.xml")}},
    )
    assert ok.status_code == 200, ok.json
    assert ok.json["ok"] is True and ok.json["card_count"] > 6 and len(ok.json["cards"]) == 6
    assert ok.json["cards"][0]["title"]
    failed = api(
        "POST",
        "/providers/preview",
        json={"kind": "product_feed", "config": {"url": httpserver.url_for("/gone.xml")}},
    )
    assert failed.json["ok"] is False and "404" in failed.json["error"]
    invalid = api("POST", "/providers/preview", json={"kind": "product_feed", "config": {}})
    assert invalid.status_code == 422 and invalid.json["errors"][0]["field"] == "config.url"
    assert db.exec(select(Provider)).all() == [] and db.exec(select(Card)).all() == []


def test_preview_takes_the_body_that_registers_and_checks_it_the_same_way(app, api, db, httpserver):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    feed = read_sample("northwind_products.xml")
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml"
    )
    body = {"kind": "product_feed", "config": {"url": httpserver.url_for("/feed.xml")},
            "name": "Northwind", "interests": ["shoes"], "interval_seconds": 900}  # fmt: skip
    previewed = api("POST", "/providers/preview", json=body)
    assert previewed.status_code == 200, previewed.json
    assert previewed.json["ok"] is True
    assert db.exec(select(Provider)).all() == []
    for change, field in [({"interval_seconds": 5}, "interval"), ({"name": "  "}, "name")]:
        refused = api("POST", "/providers/preview", json={**body, **change})
        assert refused.status_code == 422, refused.json
        assert [e["field"] for e in refused.json["errors"]] == [field]
        assert create(api, **{**body, **change}).status_code == 422  # as registering says
    assert create(api, **body).status_code == 201


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"kind": "youtube",
          "config": {"source": "channel", "channel_id": "nope", "max_results": 99},
          "interests": ["not/real"], "interval_seconds": 5},
         {"config.channel_id", "config.max_results", "interests", "interval"}),
        ({"kind": "fax_machine", "config": {}}, {"kind"}),
        ({"kind": "product_feed", "config": {"url": "http://10.0.0.5/feed.xml"}}, {"config.url"}),
        ({"kind": "product_feed", "config": {"url": "file:///etc/passwd"}}, {"config.url"}),
        ({"kind": "product_feed", "config": {"url": FEED}, "colour": "red"}, {"colour"}),
        ({"kind": "product_feed"}, {"config"}),
        ({"kind": "product_feed", "config": {"url": FEED, "max_items": "20"}},
         {"config.max_items"}),
        ({"kind": "survey", "config": {"title": "T", "questions": [{"id": "q", "prompt": "?",
          "type": "text"}], "starts_at": 1767225600, "ends_at": "2030-01-01T00:00:00Z"}},
         {"config.starts_at"}),
    ],
)  # fmt: skip
def test_bad_input_lists_every_problem_and_changes_nothing(api, db, body, fields):
    response = api("POST", "/providers", json=body)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert {e["field"] for e in response.json["errors"]} == fields
    assert db.exec(select(Provider)).all() == []


def test_a_duplicate_provider_is_refused(api, db):
    assert create(api).status_code == 201
    again = create(api)
    assert again.status_code == 422
    assert "already has this provider" in again.json["errors"][0]["message"]
    assert len(db.exec(select(Provider)).all()) == 1


def test_malformed_requests_are_clear_problems(app, api, db):
    wrong_type = api(
        "POST",
        "/providers",
        data="kind=product_feed",
        content_type="application/x-www-form-urlencoded",
    )
    assert wrong_type.status_code == 415 and wrong_type.mimetype == "application/problem+json"
    not_json = api("POST", "/providers", data="{nope", content_type="application/json")
    assert not_json.status_code == 400
    a_list = api("POST", "/providers", data="[1]", content_type="application/json")
    assert a_list.status_code == 400
    huge = api(
        "POST",
        "/providers",
        data=json.dumps({"kind": "x" * 70_000}),
        content_type="application/json",
    )
    assert huge.status_code == 413 and huge.mimetype == "application/problem+json"
    unknown = api("GET", "/nothing-here")
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
    wrong_method = api("PUT", "/providers")
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]
    too_big_id = api("GET", "/providers/99999999999")
    assert too_big_id.status_code == 404
    assert db.exec(select(Provider)).all() == []


def test_only_a_valid_token_of_the_organisation_gets_in(app, api, partners, acme, world):
    mine = create(api).json["id"]
    other = partners.org("other")
    theirs = partners.provider(other, "Theirs")
    other_token = partners.token(other, "write")
    assert api("GET", f"/providers/{theirs.id}").status_code == 404
    assert api("PATCH", f"/providers/{theirs.id}", json={"status": "paused"}).status_code == 404
    assert api("DELETE", f"/providers/{mine}", token=other_token).status_code == 404
    assert [p["id"] for p in api("GET", "/providers", token=other_token).json["items"]] == [
        theirs.id
    ]

    anonymous = app.test_client().get("/api/v1/providers")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith(
        "Bearer"
    )
    assert api("GET", "/providers", token="plaza_made-up").status_code == 401
    assert api("GET", "/providers", headers={"Authorization": "Basic eDp5"}).status_code == 401

    reader = partners.token(acme, "read")
    assert api("GET", "/providers", token=reader).status_code == 200
    refused = api("DELETE", f"/providers/{mine}", token=reader)
    assert refused.status_code == 403 and "write scope" in refused.json["detail"]

    token_row = world.db.exec(select(ApiToken).where(ApiToken.token_hash == digest(reader))).one()
    assert reader not in {t.token_hash for t in world.db.exec(select(ApiToken))}  # stored hashed
    token_row.revoked_at = token_row.created_at
    world.db.commit()
    assert api("GET", "/providers", token=reader).status_code == 401


def test_a_session_cookie_is_not_accepted_and_the_api_sets_none(app, partners, acme, world):
    partners.member(acme, "retailer@acme.example")
    browser = app.test_client()
    partners.login("retailer@acme.example", client=browser)
    assert browser.get("/portal/acme/").status_code == 200
    response = browser.get("/api/v1/providers")
    assert response.status_code == 401
    token = partners.token(acme, "write")
    created = browser.post(
        "/api/v1/providers",
        json={"kind": "product_feed", "config": {"url": FEED}},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert created.status_code == 201  # no CSRF token needed with a bearer token
    assert "Set-Cookie" not in created.headers


def test_rate_limits_hold_per_token_in_the_database(app, api, partners, acme, db):
    app.config["API_RATE_LIMIT"] = 3
    for _ in range(3):
        assert api("GET", "/kinds").status_code == 200
    limited = api("GET", "/kinds")
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert limited.mimetype == "application/problem+json"
    another = partners.token(acme, "read")
    assert api("GET", "/kinds", token=another).status_code == 200
    counts = sorted(row.count for row in db.exec(select(ApiRateWindow)))
    assert counts == [1, 4]


def test_stats_count_events_per_day_for_the_organisation_only(api, partners, acme, world):
    shopper = world.consumer()
    provider = partners.provider(acme, "Shoes")
    first, second = world.cards(provider, 2)
    now = datetime.now(UTC)
    partners.events(shopper, first, provider.id, EventKind.IMPRESSION, 4, now)
    partners.events(shopper, first, provider.id, EventKind.OPEN, 1, now)
    two_days_ago = now - timedelta(days=2)
    for kind, count in ((EventKind.IMPRESSION, 2), (EventKind.SAVE, 1), (EventKind.DISMISS, 1),
                        (EventKind.UNSAVE, 5)):  # fmt: skip
        partners.events(shopper, second, provider.id, kind, count, two_days_ago)
    other = partners.org("other")
    elsewhere = partners.provider(other, "Elsewhere")
    (their_card,) = world.cards(elsewhere, 1)
    partners.events(shopper, their_card, elsewhere.id, EventKind.OPEN, 9, now)

    week = {"from": (now - timedelta(days=6)).date().isoformat(), "to": now.date().isoformat()}
    stats = api("GET", "/stats", query_string=week)
    assert stats.status_code == 200, stats.json
    body = stats.json
    assert body["totals"] == {"impressions": 6, "opens": 1, "saves": 1, "dismisses": 1,
                              "open_rate": round(1 / 6, 4)}  # fmt: skip
    assert len(body["days"]) == 7 and body["from"] == week["from"]
    by_day = {d["date"]: d for d in body["days"]}
    assert by_day[two_days_ago.date().isoformat()]["impressions"] == 2
    assert by_day[(now - timedelta(days=1)).date().isoformat()]["open_rate"] is None
    assert [p["provider_id"] for p in body["providers"]] == [provider.id] and body["cards"] == []

    one = api("GET", "/stats", query_string={**week, "provider": provider.id}).json
    assert [(c["card_id"], c["impressions"]) for c in one["cards"]] == [(first, 4), (second, 2)]
    assert api("GET", "/stats", query_string={"provider": elsewhere.id}).status_code == 404
    for query, field in [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-02-02", "to": "2026-01-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"provider": "x"}, "provider"),
        ({"to": "0001-01-01"}, "to"),
        ({"from": ""}, "from"),
    ]:
        bad = api("GET", "/stats", query_string=query)
        assert bad.status_code == 400 and bad.json["errors"][0]["field"] == field


def test_survey_results_count_choices_and_list_written_answers(app, api, partners, acme, world, db):
    survey = partners.provider(acme, "Runs", kind="survey", config=SURVEY)
    now = datetime.now(UTC)
    with app.app_context():
        assert refresh_provider(db, survey, context_for(app, survey, now), now).ok
    cards = {
        c.external_id: c.id for c in db.exec(select(Card).where(Card.provider_id == survey.id))
    }
    daily, weekly = choice_id("Daily"), choice_id("Weekly")
    for n, choice in enumerate([daily, daily, weekly]):
        shopper = world.consumer(f"s{n}@example.com")
        partners.answer(shopper, cards["often"], {"choices": [choice], "text": None})
        partners.answer(shopper, cards["why"], {"choices": [], "text": f"Because {n}"})
    results = api("GET", f"/surveys/{survey.id}/results")
    assert results.status_code == 200, results.json
    often, why = results.json["questions"]
    assert [(c["label"], c["count"], c["share"]) for c in often["choices"]] == [
        ("Daily", 2, 0.6667), ("Weekly", 1, 0.3333)]  # fmt: skip
    assert often["answers"] == 3 and why["type"] == "text"
    assert sorted(t["text"] for t in why["texts"]) == ["Because 0", "Because 1", "Because 2"]
    feed = partners.provider(acme, "Feed")
    assert api("GET", f"/surveys/{feed.id}/results").status_code == 404


SURVEY = {
    "title": "Running",
    "questions": [
        {"id": "often", "prompt": "How often?", "type": "single", "choices": ["Daily", "Weekly"]},
        {"id": "why", "prompt": "Why do you run?", "type": "text"},
    ],
    "starts_at": "2026-01-01T00:00:00Z",
    "ends_at": "2030-01-01T00:00:00Z",
}


def caps_of(config: dict) -> tuple[int, int]:  # type: ignore[type-arg]
    return config["daily_impression_cap"], config["per_consumer_cap"]


def test_a_surveys_caps_are_set_changed_and_default_when_left_out(api):
    capped = {**SURVEY, "daily_impression_cap": 500, "per_consumer_cap": 1}
    created = api("POST", "/providers", json={"kind": "survey", "config": capped})
    assert created.status_code == 201, created.json
    assert caps_of(created.json["config"]) == (500, 1)
    path = f"/providers/{created.json['id']}"
    changed = api("PATCH", path, json={"config": {"per_consumer_cap": 4}})
    assert changed.status_code == 200, changed.json
    assert caps_of(changed.json["config"]) == (500, 4)
    unset = {**SURVEY, "title": "Another survey"}
    defaulted = api("POST", "/providers", json={"kind": "survey", "config": unset})
    assert defaulted.status_code == 201, defaulted.json
    assert caps_of(defaulted.json["config"]) == (10000, 3)


@pytest.mark.parametrize(
    ("caps", "message"),
    [
        ({"per_consumer_cap": "2"}, "valid integer"),
        ({"per_consumer_cap": 1.5}, "valid integer"),
        ({"per_consumer_cap": True}, "valid integer"),
        ({"per_consumer_cap": 101}, "Enter 100 or less for “Most views a day per shopper”."),
        ({"daily_impression_cap": -1}, "Enter 1 or more for “Most views a day”."),
        ({"daily_impression_cap": 0}, "Enter 1 or more"),
        ({"daily_impression_cap": 10_000_001}, "Enter 10000000 or less"),
    ],
)
def test_a_bad_survey_cap_is_a_problem_naming_the_field_and_changes_nothing(api, db, caps, message):
    (field,) = caps
    created = api("POST", "/providers", json={"kind": "survey", "config": SURVEY})
    stored = db.exec(select(Provider)).one().config
    patched = api("PATCH", f"/providers/{created.json['id']}", json={"config": caps})
    assert patched.status_code == 422 and patched.mimetype == "application/problem+json"
    (error,) = patched.json["errors"]
    assert error["field"] == f"config.{field}" and message in error["message"]
    db.expire_all()
    assert db.exec(select(Provider)).one().config == stored
    fresh = {**SURVEY, **caps, "title": "Another survey"}
    refused = api("POST", "/providers", json={"kind": "survey", "config": fresh})
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json["errors"]] == [f"config.{field}"]
    assert len(db.exec(select(Provider)).all()) == 1
