"""Registering providers from the CLI and refreshing them from real loopback servers."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.ingest.refresh import PAUSE_AFTER_FAILURES, refresh_provider
from app.ingest.sources import context_for
from app.models import Card, Organization, Provider


def merchant_feed(items: list[tuple[str, str, str]]) -> str:
    """A Google Merchant RSS feed of (id, title, price) items."""
    entries = "".join(
        f"""<item><g:id>{item_id}</g:id><title>{title}</title>
        <link>https://shop.example/p/{item_id}</link><g:price>{price} USD</g:price>
        <g:google_product_category>Apparel &amp; Accessories &gt; Shoes</g:google_product_category>
        <g:product_type>Shoes &gt; Running shoes</g:product_type>
        <g:image_link>https://shop.example/img/{item_id}.jpg</g:image_link>
        <pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>"""
        for item_id, title, price in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:g="http://base.google.com/ns/1.0"><channel><title>Shop</title>'
        f"<link>https://shop.example/</link>{entries}</channel></rss>"
    )


@pytest.fixture
def org(db):
    org = Organization(slug="acme", name="Acme Outfitters")
    db.add(org)
    db.commit()
    return org


@pytest.fixture
def loopback(app):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    return app


def add(runner, *args: str):
    return runner.invoke(args=["providers", "add", "--org", "acme", *args])


def test_add_validates_and_prints_the_new_id(runner, db, org):
    config = json.dumps({"url": "https://feeds.acme.example/products.xml"})
    result = add(runner, "--kind", "product_feed", "--config", config, "--interests", "shoes")
    assert result.exit_code == 0, result.output
    provider = db.get(Provider, int(result.output.strip()))
    assert provider.kind == "product_feed" and provider.interests == ["shoes"]
    assert provider.config["url"] == "https://feeds.acme.example/products.xml"
    assert provider.interval_seconds == 3600 and provider.status == "active"


def test_add_reports_every_problem_at_once_and_adds_nothing(runner, db, org):
    config = json.dumps({"source": "channel", "channel_id": "nope"})
    result = add(
        runner, "--kind", "youtube", "--config", config, "--interests", "shoes,not/real",
        "--interval", "5",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "config.channel_id" in result.output
    assert "Unknown interests: not/real." in result.output
    assert "interval: Choose between 300 and 604800 seconds." in result.output
    assert db.exec(select(Provider)).all() == []


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"url": "http://169.254.169.254/latest/meta-data"}, "169.254.169.254"),
        ({"url": "http://10.0.0.5/feed.xml"}, "private network"),
        ({"url": "file:///etc/passwd"}, "http"),
        ({"url": "javascript:alert(1)"}, "http"),
        ({"url": "http://user:pw@shop.example/feed.xml"}, "password"),
    ],
)
def test_hostile_addresses_are_refused_with_a_reason(runner, db, org, config, message):
    result = add(runner, "--kind", "product_feed", "--config", json.dumps(config))
    assert result.exit_code == 1
    assert message in result.output
    assert db.exec(select(Provider)).all() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--kind", "product_feed", "--config", "{not json"], "not valid JSON"),
        (["--kind", "product_feed", "--config", "[1, 2]"], "must be a JSON object"),
        (["--kind", "fax_machine", "--config", "{}"], "There is no kind 'fax_machine'"),
    ],
)
def test_malformed_input_is_one_clear_error(runner, db, org, args, message):
    result = add(runner, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert db.exec(select(Provider)).all() == []


def test_the_same_provider_twice_is_refused(runner, org):
    config = json.dumps({"url": "https://feeds.acme.example/products.xml"})
    assert add(runner, "--kind", "product_feed", "--config", config).exit_code == 0
    again = add(runner, "--kind", "product_feed", "--config", config)
    assert again.exit_code == 1
    assert "already has this provider" in again.output


def test_refresh_from_a_loopback_feed_then_304_then_changes(runner, db, org, loopback, httpserver):
    feed = merchant_feed([("a", "Road Runner", "120.00"), ("b", "Trail Runner", "140.00")])
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    url = httpserver.url_for("/feed.xml")
    provider_id = add(runner, "--kind", "product_feed", "--config", json.dumps({"url": url}))
    provider_id = provider_id.output.strip()
    first = runner.invoke(args=["providers", "refresh", provider_id])
    assert first.exit_code == 0, first.output
    assert first.output.strip() == "2 new, 0 updated, 0 unchanged, 0 expired"

    httpserver.clear()
    httpserver.expect_request("/feed.xml", headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    second = runner.invoke(args=["providers", "refresh", provider_id])
    assert second.output.strip() == "0 new, 0 updated, 2 unchanged, 0 expired"
    assert all(c.ends_at is None for c in db.exec(select(Card)))

    httpserver.clear()
    cheaper = merchant_feed([("a", "Road Runner", "99.00")])
    httpserver.expect_request("/feed.xml").respond_with_data(cheaper, content_type="text/xml")
    third = runner.invoke(args=["providers", "refresh", provider_id])
    assert third.output.strip() == "0 new, 1 updated, 0 unchanged, 1 expired"
    db.expire_all()
    cards = {c.external_id: c for c in db.exec(select(Card))}
    assert cards["a"].badge == "price_drop"
    assert cards["a"].payload["previous_price"] == "120.00"
    gone = cards["b"].ends_at
    assert gone is not None and gone - datetime.now(UTC) > timedelta(days=1, hours=23)

    shown = runner.invoke(args=["providers", "show", provider_id, "--json"])
    health = json.loads(shown.output)
    assert health["card_count"] == 2 and health["last_error"] is None
    assert health["last_success_at"] is not None


@pytest.mark.parametrize(
    ("respond", "reason"),
    [
        (lambda r: r.respond_with_data("<html><body>Shop</body></html>", content_type="text/html"),
         "HTML page, not a feed"),
        (lambda r: r.respond_with_data("nope", status=404), "404"),
        (lambda r: r.respond_with_data("", content_type="application/rss+xml"), "empty"),
        (lambda r: r.respond_with_data(
            gzip.compress(b"<rss>" + b" " * 30_000_000), headers={"Content-Encoding": "gzip"}),
         "larger than"),
    ],
)  # fmt: skip
def test_a_broken_source_fails_with_a_reason_and_affects_nobody(
    runner, world, org, loopback, httpserver, respond, reason
):
    healthy = world.provider("Healthy")
    cards = world.cards(healthy, 3)
    respond(httpserver.expect_request("/feed.xml"))
    url = httpserver.url_for("/feed.xml")
    provider_id = add(runner, "--kind", "product_feed", "--config", json.dumps({"url": url}))
    result = runner.invoke(args=["providers", "refresh", provider_id.output.strip()])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert reason.lower() in result.output.lower()
    broken = world.db.get(Provider, int(provider_id.output))
    world.db.refresh(broken)
    assert broken.status == "backing_off" and broken.consecutive_errors == 1
    assert reason.lower() in broken.last_error.lower()
    assert broken.next_run_at > datetime.now(UTC) + timedelta(minutes=50)
    world.consumer()
    world.login()
    page = world.client.get("/")
    assert page.status_code == 200
    assert all(f'data-card-id="{card}"' in page.get_data(as_text=True) for card in cards)


def test_ten_failures_in_a_row_pause_the_provider_until_resumed(app, runner, db, org):
    provider = Provider(
        organization_id=org.id, kind="product_feed", name="Dead",
        config={"url": "http://127.0.0.1:9/feed.xml"},
    )  # fmt: skip
    db.add(provider)
    db.commit()
    with app.app_context():
        for _ in range(PAUSE_AFTER_FAILURES):
            now = datetime.now(UTC)
            refresh_provider(db, provider, context_for(app, provider, now), now)
    db.refresh(provider)
    assert provider.status == "paused" and provider.next_run_at is None
    assert "private" in provider.last_error or "loopback" in provider.last_error
    resumed = runner.invoke(args=["providers", "resume", str(provider.id)])
    assert resumed.exit_code == 0
    db.refresh(provider)
    assert provider.status == "active" and provider.consecutive_errors == 0


def test_list_and_pause(runner, org):
    config = json.dumps({"url": "https://feeds.acme.example/products.xml"})
    provider_id = add(runner, "--kind", "product_feed", "--config", config).output.strip()
    assert runner.invoke(args=["providers", "pause", provider_id]).exit_code == 0
    rows = json.loads(runner.invoke(args=["providers", "list", "--json"]).output)
    assert [(r["id"], r["status"]) for r in rows] == [(int(provider_id), "paused")]
    text = runner.invoke(args=["providers", "list"]).output
    assert "paused" in text and "acme/" in text
    missing = runner.invoke(args=["providers", "show", "999"])
    assert missing.exit_code == 1 and "There is no provider 999." in missing.output


def test_a_server_promising_fresh_content_is_not_asked_again_before(
    runner, db, org, loopback, httpserver
):
    feed = merchant_feed([("a", "Road Runner", "120.00")])
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed, content_type="application/rss+xml", headers={"Cache-Control": "max-age=7200"}
    )
    url = httpserver.url_for("/feed.xml")
    provider_id = add(runner, "--kind", "product_feed", "--config", json.dumps({"url": url}))
    assert runner.invoke(args=["providers", "refresh", provider_id.output.strip()]).exit_code == 0
    provider = db.get(Provider, int(provider_id.output))
    db.refresh(provider)
    wait = provider.next_run_at - datetime.now(UTC)
    assert timedelta(hours=1, minutes=55) < wait <= timedelta(hours=2)
