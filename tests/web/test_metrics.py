"""``/metrics``: Prometheus's scrape behind the operator's token, and what it counts.

Counters belong to the process, not to one test's app, so each test reads them before
and after what it does and checks the difference.
"""

from __future__ import annotations

import re
import socket
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest

from app.metrics.exposition import serve_in_thread
from app.models import AccountMail, Event, EventKind
from tests.scrape import TOKEN, scrape

FEED = "plaza_feed_page_seconds_count"


def test_without_a_token_setting_there_is_no_endpoint(client):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}"],
)
def test_a_missing_or_wrong_token_is_refused(app, client, authorization):
    app.config["METRICS_TOKEN"] = TOKEN
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "plaza_" not in response.get_data(as_text=True)


def test_feed_pages_are_timed_by_page_and_by_where_they_came_from(world):
    world.consumer()
    world.cards(world.provider(), 70)
    world.login()
    before = scrape(world.app)
    first = world.client.get("/")
    cursor = re.search(r'/feed\?cursor=([^"&]+)', first.get_data(as_text=True))[1]
    second = world.client.get(f"/feed?cursor={cursor}")  # ranks the next pages at once
    cursor = re.search(r'/feed\?cursor=([^"&]+)', second.get_data(as_text=True))[1]
    world.client.get(f"/feed?cursor={cursor}")  # from the plan the second page made
    after = scrape(world.app)

    def served(page: str, source: str) -> float:
        return after.value(FEED, page=page, source=source) - before.value(
            FEED, page=page, source=source
        )

    assert served("first", "ranked") == 1
    assert served("next", "ranked") == 1
    assert served("next", "plan") == 1
    assert 'plaza_feed_page_seconds_bucket{le="0.05",page="first",source="ranked"}' in after.text
    ok = "plaza_http_responses_total"
    assert after.value(ok, status="2xx") - before.value(ok, status="2xx") == 4  # and a scrape


def test_responses_are_counted_by_status_class(app, client):
    before = scrape(app)
    client.get("/no-such-page")
    client.get("/healthz")
    after = scrape(app)
    for status, more in (("4xx", 1), ("2xx", 2)):  # /healthz and the first scrape
        name = "plaza_http_responses_total"
        assert after.value(name, status=status) - before.value(name, status=status) == more


def test_backlogs_are_read_from_the_database(world, db):
    user_id = world.consumer()
    provider = world.provider()
    (card_id,) = world.cards(provider, 1)
    seen = datetime.now(UTC) - timedelta(minutes=7)
    db.add(Event(user_id=user_id, card_id=card_id, provider_id=provider.id,
                 kind=EventKind.IMPRESSION, feed_session="s", created_at=seen))  # fmt: skip
    db.add(AccountMail(template="reset", state="pending", to_address="a@example.com"))
    db.add(AccountMail(template="reset", state="sent"))
    db.commit()
    seen = scrape(world.app)
    for rollup in ("popularity", "results"):
        lag = seen.value("plaza_rollup_lag_seconds", rollup=rollup)
        assert 7 * 60 - 5 < lag < 7 * 60 + 120
    assert seen.value("plaza_account_mail_outbox", state="pending") == 1
    assert seen.value("plaza_account_mail_outbox", state="sending") == 0
    assert seen.value("plaza_notification_outbox", state="pending") == 0

    result = world.app.test_cli_runner().invoke(args=["popularity", "rollup"])
    assert result.exit_code == 0, result.output
    caught_up = scrape(world.app)
    assert caught_up.value("plaza_rollup_lag_seconds", rollup="popularity") == 0
    assert caught_up.value("plaza_rollup_lag_seconds", rollup="results") > 0


def test_refreshes_are_counted_by_outcome_and_reason(world, httpserver):
    from tests.ingest.test_due import PIN_BOARD

    world.app.config["FETCH_ALLOW"] = "127.0.0.1"
    board = "/acme/camp-kitchen.rss"
    httpserver.expect_oneshot_request(board).respond_with_data(
        PIN_BOARD, content_type="text/xml", headers={"ETag": '"v1"'}
    )
    httpserver.expect_oneshot_request(board, headers={"If-None-Match": '"v1"'}).respond_with_data(
        "", status=304
    )
    httpserver.expect_oneshot_request(board).respond_with_data("down", status=500)
    provider = world.provider("Board", kind="pinterest", config={"url": httpserver.url_for(board)})
    runner = world.app.test_cli_runner()
    before = scrape(world.app)
    said = [runner.invoke(args=["providers", "refresh", str(provider.id)]).output for _ in "123"]
    after = scrape(world.app)
    assert "1 new" in said[0] and "500" in said[2], said

    def more(outcome: str, reason: str = "") -> float:
        name = "plaza_provider_refreshes_total"
        return after.value(name, outcome=outcome, reason=reason) - before.value(
            name, outcome=outcome, reason=reason
        )

    assert (more("ok"), more("not_modified"), more("failed", "source")) == (1, 1, 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_worker_on_its_own_machine_serves_its_counters_with_the_token():
    port = _free_port()
    server = serve_in_thread(port, TOKEN)
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=5)
        assert refused.value.code == 401
        asked = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(asked, timeout=5) as response:
            text = response.read().decode()
        assert "# TYPE plaza_provider_refreshes_total counter" in text
    finally:
        server.shutdown()
        server.server_close()
