"""Each refresh of a provider leaves a row of history: its outcome, counts, error in words
and (the newest only) the items the source sent that were left out, with why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from alembic import command
from sqlalchemy import inspect
from sqlmodel import col, select

from app.db import make_engine
from app.ingest.history import KEEP_ROWS, REJECTED_KEPT, record_refresh, refresh_page
from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.migrate import alembic_config, upgrade
from app.models import Provider, ProviderRefresh, RefreshOutcome

START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # Europe's clocks go forward that night


def feed(*items: str) -> str:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Acme</title>'
        + "".join(f"<item>{item}</item>" for item in items)
        + "</channel></rss>"
    )


def item(body: str, guid: int) -> str:
    """An item whose guid is no link, so an item without a link really has none."""
    return f"{body}<guid isPermaLink='false'>{guid}</guid>"


GOOD = [
    item("<title>Trail shoe</title><link>https://acme.example/trail</link>", 1),
    item("<title>Road shoe</title><link>https://acme.example/road</link>", 2),
]
NO_LINK = item("<title>Mystery boot</title>", 3)
NO_TITLE = item("<link>https://acme.example/untitled</link>", 4)
BAD_LINK = item("<title>Sneaky sock</title><link>javascript:alert(1)</link>", 5)


def refresh(app, db, provider: Provider, now: datetime):  # type: ignore[no-untyped-def]
    with app.app_context():
        return refresh_provider(db, provider, context_for(app, provider, now), now)


def history(db, provider_id: int) -> list[ProviderRefresh]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return list(
        db.exec(
            select(ProviderRefresh)
            .where(ProviderRefresh.provider_id == provider_id)
            .order_by(col(ProviderRefresh.id).desc())
        ).all()
    )


def test_a_good_then_a_failing_refresh_are_both_in_the_history(app, db, world, httpserver):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    url = httpserver.url_for("/feed.xml")
    provider = world.provider("Acme feed", config={"url": url}, interests=["shoes"])
    httpserver.expect_oneshot_request("/feed.xml").respond_with_data(
        feed(*GOOD, NO_LINK, NO_TITLE, BAD_LINK), content_type="application/rss+xml"
    )
    with time_machine.travel(START, tick=False):
        assert refresh(app, db, provider, datetime.now(UTC)).ok
    httpserver.expect_oneshot_request("/feed.xml").respond_with_data("down", status=503)
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        assert not refresh(app, db, provider, datetime.now(UTC)).ok

    failed, stored = history(db, provider.id)
    assert (stored.outcome, stored.new, stored.updated, stored.expired) == ("stored", 2, 0, 0)
    assert stored.at == START and stored.error is None
    assert stored.rejected_count == 3
    assert stored.rejected == []  # the newest refresh keeps the items, older ones the count
    assert failed.outcome == "failed" and failed.at == START + timedelta(hours=1)
    assert failed.error and "503" in failed.error
    assert failed.new == failed.updated == failed.expired == 0


def test_the_newest_refresh_lists_what_was_left_out_and_why(app, db, world, httpserver):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    provider = world.provider("Acme feed", config={"url": httpserver.url_for("/feed.xml")})
    httpserver.expect_request("/feed.xml").respond_with_data(
        feed(*GOOD, NO_LINK, NO_TITLE, BAD_LINK), content_type="application/rss+xml"
    )
    assert refresh(app, db, provider, datetime.now(UTC)).ok
    (row,) = history(db, provider.id)
    assert row.rejected == [
        {"item": "Mystery boot",
         "reason": "it has no link to the product's page (an https:// address)"},
        {"item": "https://acme.example/untitled", "reason": "it has no title"},
        {"item": "Sneaky sock",
         "reason": "it has no link to the product's page (an https:// address)"},
    ]  # fmt: skip
    assert refresh(app, db, provider, datetime.now(UTC)).ok  # the same again: nothing new
    newest, older = history(db, provider.id)
    assert (newest.new, newest.rejected_count, len(newest.rejected)) == (0, 3, 3)
    assert older.rejected == [] and older.rejected_count == 3


def test_rejections_and_rows_are_capped(db, world):
    provider = world.provider("Acme feed")
    from app.ingest.history import Rejections

    many = Rejections()
    for n in range(REJECTED_KEPT + 70):
        many.add(f"Item {n}", "it has no title")
    for n in range(KEEP_ROWS + 5):
        record_refresh(db, provider.id, START + timedelta(minutes=n), RefreshOutcome.STORED,
                       rejections=many)  # fmt: skip
        db.commit()
    rows, total = refresh_page(db, provider.id, 1, 10)
    assert total == KEEP_ROWS
    assert rows[0].at == START + timedelta(minutes=KEEP_ROWS + 4)  # newest first
    assert rows[0].rejected_count == REJECTED_KEPT + 70
    assert len(rows[0].rejected) == REJECTED_KEPT
    last_page, _ = refresh_page(db, provider.id, KEEP_ROWS // 10, 10)
    assert last_page[-1].at == START + timedelta(minutes=5)  # the five oldest are forgotten


def test_the_history_goes_with_its_provider(db, world):
    from app.partners.changes import delete_provider

    provider = world.provider("Acme feed")
    record_refresh(db, provider.id, START, RefreshOutcome.FAILED, error="Down.")
    db.commit()
    delete_provider(db, provider)
    db.commit()
    assert db.exec(select(ProviderRefresh)).all() == []


def test_the_migration_adds_and_removes_the_table(db, database_url):
    engine = make_engine(database_url)
    db.commit()
    command.downgrade(alembic_config(engine), "0021")
    assert "provider_refresh" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "provider_refresh" in inspect(engine).get_table_names()


def test_pins_without_a_picture_or_link_are_listed_as_left_out(app, db, world, httpserver):
    app.config["FETCH_ALLOW"] = "127.0.0.1"
    board = httpserver.url_for("/acme/camp-kitchen.rss")
    provider = world.provider("Camp kitchen", kind="pinterest", config={"url": board})
    httpserver.expect_request("/acme/camp-kitchen.rss").respond_with_data(
        """<?xml version="1.0"?><rss version="2.0"><channel><title>Camp kitchen</title>
<item><title>Skillet breakfast</title><link>https://www.pinterest.com/pin/1/</link>
<description>&lt;img src="https://i.pinimg.com/1.jpg"&gt;Eggs</description><guid>1</guid></item>
<item><title>Words only</title><link>https://www.pinterest.com/pin/2/</link>
<description>No picture here</description><guid>2</guid></item>
</channel></rss>""",
        content_type="text/xml",
    )
    assert refresh(app, db, provider, datetime.now(UTC)).ok
    (row,) = history(db, provider.id)
    assert row.new == 1
    assert row.rejected == [{"item": "Words only", "reason": "it has no picture"}]


def test_a_video_without_a_title_is_listed_as_left_out():
    from app.ingest.history import Rejections
    from cards.youtube import _video

    class Context:
        rejections = Rejections()

        def reject(self, item: str, reason: str) -> None:
            self.rejections.add(item, reason)

    context = Context()
    unused = ("description", "channel_title", "channel_id", "published", "image_url",
              "duration_seconds", "view_count")  # fmt: skip
    kept = {**dict.fromkeys(unused), "categories": []}
    assert _video(context, video_id="dQw4w9WgXcQ", title="  ", **kept) is None  # type: ignore[arg-type]
    assert _video(context, video_id="bad id", title="Trail tips", **kept) is None  # type: ignore[arg-type]
    assert context.rejections.items == [
        {"item": "dQw4w9WgXcQ", "reason": "it has no title"},
        {"item": "Trail tips", "reason": "its video id is not a YouTube video id"},
    ]
