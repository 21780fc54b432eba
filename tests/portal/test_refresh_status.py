"""After "Refresh now" the provider page follows the refresh by itself: its status polls
every two seconds until the worker has recorded the refresh, then shows the outcome and
stops. The page also shows the refresh history, newest first and paged, the newest cards
with their pictures, and what the last refresh left out, with why."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.ingest.due import refresh_due
from app.ingest.history import record_refresh
from app.models import Provider, RefreshOutcome
from app.portal.provider_views import MOST_POLLS
from tests.ingest.test_refresh_history import BAD_LINK, NO_LINK, NO_TITLE, feed, item
from tests.statements import statements

HX = {"HX-Request": "true"}
PICTURED = item(
    "<title>Trail shoe</title><link>https://acme.example/trail</link>"
    "<enclosure url='https://img.acme.example/trail.jpg' type='image/jpeg' length='1'/>",
    1,
)
PLAIN = item("<title>Road &lt;b&gt;shoe</title><link>https://acme.example/road</link>", 2)


@pytest.fixture
def feed_provider(app, partners, acme, httpserver) -> Provider:  # type: ignore[no-untyped-def]
    """A product feed on a loopback server, already refreshed once (so not due)."""
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    provider = partners.provider(acme, "Acme feed", config={"url": httpserver.url_for("/f.xml")})
    provider.next_run_at = datetime.now(UTC) + timedelta(hours=1)
    partners.db.commit()
    return provider


def polls(fragment: str) -> str | None:
    """The URL the status fragment asks again, when it polls."""
    found = re.search(r'hx-get="([^"]+)" hx-trigger="every 2s"', fragment)
    return found.group(1).replace("&amp;", "&") if found else None


def status_block(page: str) -> str:
    return page[page.index('id="refresh-status"') :].split("</div>", 1)[0]


def refresh_now(partners, client, provider: Provider) -> str:  # type: ignore[no-untyped-def]
    detail = f"/portal/acme/providers/{provider.id}"
    token = partners.csrf(client, detail)
    response = client.post(f"{detail}/refresh", data={"csrf_token": token}, headers=HX)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    return response.get_data(as_text=True)


def test_refresh_now_polls_until_the_worker_is_done_then_shows_the_outcome(
    app, partners, client, db, feed_provider, httpserver
):
    httpserver.expect_request("/f.xml").respond_with_data(
        feed(PICTURED, PLAIN, NO_LINK, NO_TITLE, BAD_LINK), content_type="application/rss+xml"
    )
    fragment = refresh_now(partners, client, feed_provider)
    assert "<html" not in fragment
    health = fragment[fragment.index('id="provider-health"') :]  # its next run is now
    assert 'hx-swap-oob="true"' in health.split(">", 1)[0]
    assert "<dt>Next run</dt><dd>Within a minute</dd>" in health
    assert "Refreshing: Plaza's worker picks it up within a minute" in fragment
    url = polls(fragment)
    assert url is not None and "after=0" in url and "tries=1" in url
    with statements(app) as seen:  # the worker has not run
        waiting = client.get(url, headers=HX).get_data(as_text=True)
    # A poll that finds it waiting reads the newest refresh, not the whole page again.
    assert seen["SELECT", "provider_refresh"] == 1 and not seen["SELECT", "card"]
    again = polls(waiting)
    assert again is not None and "tries=2" in again

    refresh_due(app)  # the worker's next tick

    done = client.get(again, headers=HX).get_data(as_text=True)
    assert polls(done) is None  # it stops asking
    assert "Refreshed:</strong> 2 new, 0 updated, 0 expired, 3 left out" in status_block(done)
    # The rest of the page follows without a reload.
    for section in ("provider-health", "recent-cards", "refresh-history"):
        assert re.search(rf'id="{section}"[^>]*hx-swap-oob="true"', done), section
    assert 'src="https://img.acme.example/trail.jpg"' in done  # the card's thumbnail
    assert "Road shoe" in done and "<b>" not in done  # no partner markup gets through
    left_out = re.findall(r'rejected__item">([^<]+)</span><span class="muted">: ([^<]+)<', done)
    assert left_out == [
        ("Mystery boot", "it has no link to the product&#39;s page (an https:// address)"),
        ("https://acme.example/untitled", "it has no title"),
        ("Sneaky sock", "it has no link to the product&#39;s page (an https:// address)"),
    ]


def test_a_failed_refresh_is_shown_in_words_and_in_the_history(
    app, partners, client, db, feed_provider, httpserver
):
    httpserver.expect_request("/f.xml").respond_with_data("busy", status=503)
    url = polls(refresh_now(partners, client, feed_provider))
    refresh_due(app)
    done = client.get(url, headers=HX).get_data(as_text=True)
    assert polls(done) is None
    block = status_block(done)
    assert "<strong>The refresh failed.</strong>" in block and "503" in block
    history = done[done.index('id="refresh-history"') :]
    assert '<span class="status status--bad">Failed</span>' in history
    assert re.search(r'<p class="history__error">[^<]*503', history)


def test_polling_stops_when_the_provider_is_paused_meanwhile(partners, client, db, feed_provider):
    url = polls(refresh_now(partners, client, feed_provider))
    feed_provider.status = "paused"
    db.add(feed_provider)
    db.commit()
    stopped = client.get(url, headers=HX).get_data(as_text=True)
    assert polls(stopped) is None
    assert "This provider is paused, so it will not refresh." in stopped


def test_polling_gives_up_after_five_minutes_and_says_to_reload(partners, client, feed_provider):
    refresh_now(partners, client, feed_provider)
    url = f"/portal/acme/providers/{feed_provider.id}/status?after=0&tries={MOST_POLLS}"
    slow = client.get(url, headers=HX).get_data(as_text=True)
    assert polls(slow) is None
    assert "Reload this page in a minute" in slow


def test_a_refused_refresh_says_why_in_place(partners, client, db, feed_provider):
    detail = f"/portal/acme/providers/{feed_provider.id}"
    token = partners.csrf(client, detail)
    feed_provider.status = "paused"
    db.add(feed_provider)
    db.commit()
    refused = client.post(f"{detail}/refresh", data={"csrf_token": token}, headers=HX)
    assert "resume it to refresh it" in refused.get_data(as_text=True)
    db.refresh(feed_provider)
    assert feed_provider.next_run_at > datetime.now(UTC)  # nothing changed


def test_without_javascript_the_page_after_refresh_now_says_it_is_waiting(
    partners, client, db, feed_provider
):
    detail = f"/portal/acme/providers/{feed_provider.id}"
    token = partners.csrf(client, detail)
    response = client.post(f"{detail}/refresh", data={"csrf_token": token, "next": detail})
    assert response.status_code == 303
    page = client.get(detail).get_data(as_text=True)
    assert "refreshes within a minute; its outcome appears below the actions." in page
    assert "Reload this page to see it." in status_block(page)
    assert client.post(f"{detail}/refresh", headers=HX).status_code == 400  # no CSRF token


def test_the_history_is_newest_first_and_paged(partners, client, db, feed_provider):
    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the night Europe's clocks go back
    for n in range(12):
        failed = n % 4 == 3
        record_refresh(
            db, feed_provider.id, start + timedelta(hours=n),
            RefreshOutcome.FAILED if failed else RefreshOutcome.STORED,
            new=n, error="The server answered 503 (busy)." if failed else None,
        )  # fmt: skip
    db.commit()
    detail = f"/portal/acme/providers/{feed_provider.id}"
    page = client.get(detail).get_data(as_text=True)
    times = re.findall(r'<time datetime="[^"]+">([^<]+)</time>', page)
    assert times[0] == "25 Oct 2026, 11:30 UTC" and len(times) == 10
    assert "10 new · 0 updated · 0 expired" in page
    assert '<p class="history__error">The server answered 503 (busy).</p>' in page
    assert "Page 1 of 2" in page
    older = client.get(f"{detail}/history?page=2", headers=HX).get_data(as_text=True)
    assert "<html" not in older
    assert re.findall(r'<time datetime="[^"]+">([^<]+)</time>', older) == [
        "25 Oct 2026, 01:30 UTC", "25 Oct 2026, 00:30 UTC"]  # fmt: skip
    assert f'href="{detail}?page=1#refresh-history"' in older  # works without JavaScript too
    assert client.get(f"{detail}?page=2").status_code == 200
    beyond = client.get(f"{detail}/history?page=99", headers=HX).get_data(as_text=True)
    assert "Page 2 of 2" in beyond and "No refresh yet" not in beyond


def test_another_organisations_provider_status_is_not_found(partners, client, db, acme):
    other = partners.org("globex", "Globex")
    theirs = partners.provider(other, "Theirs")
    assert client.get(f"/portal/acme/providers/{theirs.id}/status", headers=HX).status_code == 404
    assert db.exec(select(Provider).where(Provider.id == theirs.id)).one().next_run_at is None


def test_the_preview_lists_what_the_source_would_leave_out(
    app, partners, client, db, acme, httpserver
):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    httpserver.expect_request("/f.xml").respond_with_data(
        feed(PICTURED, NO_TITLE), content_type="application/rss+xml"
    )
    path = "/portal/acme/providers/new/product_feed"
    token = partners.csrf(client, path)
    page = client.post(
        path,
        data={"csrf_token": token, "action": "preview", "interests": "shoes",
              "config.url": httpserver.url_for("/f.xml")},
        headers=HX,
    ).get_data(as_text=True)  # fmt: skip
    preview = page[page.index('id="preview"') :]
    assert "This source would give shoppers 1 card right now." in preview
    assert "1 item from the source would be left out" in preview
    assert re.findall(r'rejected__item">([^<]+)</span><span class="muted">: ([^<]+)<', preview) == [
        ("https://acme.example/untitled", "it has no title")
    ]
    assert db.exec(select(Provider)).all() == []
