"""The retailer's promise through the API: a YouTube channel registered with a token
fills a shopper's feed, and its results come back; no other token reaches them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from app.ingest.due import refresh_due
from app.models.partners import ApiToken
from app.partners.secrets import digest

TARGET = "shoes/running"


def channel_body(channel) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {
        "kind": "youtube",
        "name": "Acme Trail on YouTube",
        "config": {"source": "channel", "channel_id": channel.channel_id},
        "interests": [TARGET],
    }


def register_and_fill(app, api, channel) -> int:  # type: ignore[no-untyped-def]
    """Register the channel with the token, ask for a refresh, let the worker tick."""
    created = api("POST", "/providers", json=channel_body(channel))
    assert created.status_code == 201, created.json
    provider_id = created.json["id"]
    refreshed = api("POST", f"/providers/{provider_id}/refresh")
    assert refreshed.status_code == 202, refreshed.json
    refresh_due(app)
    return provider_id


def test_a_channel_registered_with_a_token_fills_feeds_and_reports_results(
    app, api, world, youtube_channel
):
    app.config.update(FETCH_ALLOW="127.0.0.1", YOUTUBE_FEED_URL=youtube_channel.feed_url)

    preview = api("POST", "/providers/preview", json=channel_body(youtube_channel))
    assert preview.status_code == 200, preview.json
    assert preview.json["ok"] is True and preview.json["card_count"] == 3
    assert [c["title"] for c in preview.json["cards"]] == youtube_channel.titles
    assert api("GET", "/providers").json["items"] == []  # a preview saves nothing

    provider_id = register_and_fill(app, api, youtube_channel)
    provider = api("GET", f"/providers/{provider_id}").json
    assert provider["last_error"] is None and provider["card_count"] == 3
    cards = api("GET", f"/providers/{provider_id}/cards").json["items"]
    assert sorted(c["title"] for c in cards) == sorted(youtube_channel.titles)
    # Each video is about what it names (trails, below running shoes), else the target.
    assert all(any(s.startswith(TARGET) for s in c["interests"]) for c in cards)
    assert {c["payload"]["video_id"] for c in cards} == set(youtube_channel.videos)

    # A shopper who follows the interest sees the three videos and opens one.
    world.consumer("runner@example.com", follows=(TARGET,))
    shopper = app.test_client()
    world.login("runner@example.com", client=shopper)
    feed = shopper.get("/").get_data(as_text=True)
    assert all(f'data-card-id="{c["id"]}"' in feed for c in cards)
    opened = cards[0]
    video = shopper.get(f"/cards/{opened['id']}/open", headers={"Sec-Fetch-Site": "same-origin"})
    assert video.status_code == 303
    assert video.headers["Location"] == opened["url"]

    today = datetime.now(UTC).date().isoformat()
    stats = api("GET", "/stats", query_string={"provider": provider_id})
    assert stats.status_code == 200, stats.json
    assert stats.json["totals"]["impressions"] == 3 and stats.json["totals"]["opens"] == 1
    assert [(d["impressions"], d["opens"]) for d in stats.json["days"] if d["date"] == today] == [
        (3, 1)
    ]
    assert {c["card_id"]: (c["impressions"], c["opens"]) for c in stats.json["cards"]} == {
        c["id"]: (1, 1 if c["id"] == opened["id"] else 0) for c in cards
    }


def test_only_the_owners_live_token_reaches_the_channel(app, api, partners, db, youtube_channel):
    app.config.update(FETCH_ALLOW="127.0.0.1", YOUTUBE_FEED_URL=youtube_channel.feed_url)
    provider_id = register_and_fill(app, api, youtube_channel)
    rival = partners.token(partners.org("rival", "Rival Outdoor"), "write")

    for method, path, query in [
        ("GET", f"/providers/{provider_id}", None),
        ("GET", f"/providers/{provider_id}/cards", None),
        ("POST", f"/providers/{provider_id}/refresh", None),
        ("PATCH", f"/providers/{provider_id}", None),
        ("DELETE", f"/providers/{provider_id}", None),
        ("GET", "/stats", {"provider": provider_id}),
    ]:
        kwargs = {"json": {"status": "paused"}} if method == "PATCH" else {}
        refused = api(method, path, token=rival, query_string=query, **kwargs)
        assert refused.status_code == 404, (method, path, refused.json)
        assert refused.json["detail"] == "Your organisation has no such provider."
    assert api("GET", "/providers", token=rival).json["items"] == []
    assert api("GET", "/stats", token=rival).json["providers"] == []
    assert api("GET", f"/providers/{provider_id}").json["status"] == "active"  # untouched

    (token,) = db.exec(select(ApiToken).where(ApiToken.token_hash == digest(api.token)))
    revoked = app.test_cli_runner().invoke(args=["tokens", "revoke", str(token.id)])
    assert revoked.exit_code == 0, revoked.output
    for method, path in [("GET", f"/providers/{provider_id}/cards"), ("GET", "/stats")]:
        refused = api(method, path)
        assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert api("POST", "/providers/preview", json=channel_body(youtube_channel)).status_code == 401
