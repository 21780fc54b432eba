"""Several `plaza worker` processes on one PostgreSQL: every item done exactly once.

Two real workers (the scheduler as production runs it) start together against one
database holding work of every kind: providers due for a refresh, served by a loopback
feed server; events to roll up into popularity and partners' results; shoppers whose
email notifications the new cards cause; cards and events past their retention. Each
item must be done once: each feed asked for once, each email received once, each
event counted once by each rollup, each old card and event deleted and reported once.
A second test kills one of two workers in the middle of its batch of emails and checks
that the other finishes everything.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer
from sqlalchemy import func, insert, update
from sqlmodel import Session, col, select

from app import create_app
from app.accounts.users import create_user
from app.db import make_engine
from app.event_rollup import POPULARITY, RESULTS
from app.ingest.retention import MAX_AGE
from app.ingest.store import store_drafts
from app.models import (
    Card,
    Event,
    InterestState,
    Notification,
    NotificationPreference,
    Organization,
    Provider,
)
from app.models.popularity import RollupProgress
from app.notifications.preferences import new_settings
from app.notifications.vapid import KEY_FILE, vapid_for
from app.shopper.interests import set_interest_state
from app.taxonomy_store import taxonomy
from cards.spec import CardDraft
from tests.notifications.receivers import MailReceiver

ROOT = Path(__file__).resolve().parents[2]
FEEDS = 6
ITEMS_PER_FEED = 3
SHOPPERS = 4
EVENT_RETENTION_DAYS = 30


@dataclass
class Plaza:
    """The database the workers share, and what the test put in it."""

    app: Flask
    db: Session
    url: str
    mail: MailReceiver

    def env(self, **settings: str) -> dict[str, str]:
        """A worker's environment: this database and mail server, short intervals."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("PLAZA_")}
        return base | {
            "PYTHONPATH": str(ROOT),
            "PLAZA_DATABASE_URL": self.url,
            "PLAZA_SECRET_KEY": "many-workers",
            "PLAZA_SMTP_URL": self.mail.url,
            "PLAZA_FETCH_ALLOW": "127.0.0.1",
            "PLAZA_NOTIFY_BASE_URL": "https://plaza.example",
            "PLAZA_VAPID_PRIVATE_KEY": (Path(self.app.instance_path) / KEY_FILE).read_text(),
            "PLAZA_SCREENING_WARM_UP": "false",
            "PLAZA_LOG_FORMAT": "json",
            "PLAZA_WORKER_TICK_SECONDS": "1",
            "PLAZA_NOTIFY_TICK_SECONDS": "1",
            "PLAZA_WORKER_PRUNE_SECONDS": "2",
            "PLAZA_NOTIFY_INSTANT_PER_RUN": "100",
            "PLAZA_EVENT_RETENTION_DAYS": str(EVENT_RETENTION_DAYS),
            **{f"PLAZA_{name}": value for name, value in settings.items()},
        }

    def count(self, query: object) -> int:
        self.db.expire_all()
        return int(self.db.exec(query).one())  # type: ignore[call-overload]

    def emails(self) -> list[Notification]:
        self.db.expire_all()
        return list(self.db.exec(select(Notification).where(Notification.channel == "email")))


@pytest.fixture
def plaza(migrated_postgres: str, tmp_path: Path) -> Iterator[Plaza]:
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "many-workers",
            "DATABASE_URL": migrated_postgres,
            "SCREENING_WARM_UP": False,
        }
    )
    app.instance_path = str(tmp_path / "instance")
    vapid_for(app)  # made once here; both workers are given it
    mail = MailReceiver().start()
    engine = make_engine(migrated_postgres)
    with Session(engine, expire_on_commit=False) as db:
        yield Plaza(app, db, migrated_postgres, mail)
    mail.stop()
    engine.dispose()
    app.extensions["plaza.engine"].dispose()


def product_feed(name: str, now: datetime) -> str:
    """A shop's Google Merchant feed of new shoes."""
    items = "".join(
        f"""<item><g:id>{name}-{n}</g:id><title>{name} trail shoe {n}</title>
        <link>https://{name}.example/p/{n}</link><description>Grippy and light.</description>
        <g:price>{90 + n}.00 USD</g:price><g:availability>in_stock</g:availability>
        <g:brand>{name}</g:brand>
        <g:google_product_category>Apparel &amp; Accessories &gt; Shoes</g:google_product_category>
        <pubDate>{format_datetime(now - timedelta(hours=1))}</pubDate></item>"""
        for n in range(ITEMS_PER_FEED)
    )
    return (
        '<?xml version="1.0"?><rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">'
        f"<channel><title>{name}</title><link>https://{name}.example/</link>"
        f"<description>New</description>{items}</channel></rss>"
    )


def shoppers_following_apparel(plaza: Plaza, now: datetime) -> list[int]:
    """Shoppers who want an email for every new product about apparel."""
    ids = []
    with plaza.app.app_context():
        for n in range(SHOPPERS):
            user = create_user(plaza.db, f"shopper{n}@example.com", "a long enough password")
            set_interest_state(plaza.db, user.id, "apparel", InterestState.FOLLOW)
            settings = new_settings(user.id, now, 8)
            settings.quiet_start = settings.quiet_end = None
            plaza.db.add(settings)
            plaza.db.add(
                NotificationPreference(
                    user_id=user.id, category="products", channel="email", frequency="instant"
                )
            )
            ids.append(user.id)
        plaza.db.commit()
    return ids


def due_feeds(plaza: Plaza, httpserver: HTTPServer, now: datetime) -> list[str]:
    """``FEEDS`` product-feed providers, all due now; returns their feeds' paths."""
    org = Organization(slug="acme", name="Acme Outfitters")
    plaza.db.add(org)
    plaza.db.flush()
    paths = []
    for n in range(FEEDS):
        path = f"/shop{n}/products.xml"
        httpserver.expect_request(path).respond_with_data(
            product_feed(f"shop{n}", now), content_type="application/rss+xml"
        )
        plaza.db.add(
            Provider(
                organization_id=org.id,
                kind="product_feed",
                name=f"Shop {n}",
                config={"url": httpserver.url_for(path)},
                interests=["apparel"],
            )
        )
        paths.append(path)
    plaza.db.commit()
    return paths


def stored_cards(plaza: Plaza, now: datetime, count: int, *, name: str) -> list[int]:
    """Cards of a provider that is not due, stored through the ingest path."""
    org = plaza.db.exec(select(Organization)).first()
    assert org is not None
    provider = Provider(
        organization_id=org.id, kind="product_feed", name=name, next_run_at=now + timedelta(days=1)
    )
    plaza.db.add(provider)
    plaza.db.commit()
    drafts = [
        CardDraft(
            external_id=f"{name}-{n}",
            title=f"{name} {n}",
            url=f"https://x.example/{n}",
            interests=["apparel"],
            payload={"price": "10.00", "currency": "USD"},
            published_at=now - timedelta(days=3),
        )
        for n in range(count)
    ]
    with plaza.app.app_context():
        store_drafts(plaza.db, provider, drafts, taxonomy(), now)
    plaza.db.commit()
    return list(plaza.db.exec(select(Card.id).where(Card.provider_id == provider.id)))


def add_events(plaza: Plaza, user_id: int, card_ids: list[int], when: datetime) -> int:
    """Impressions and opens of ``card_ids``, as the feed writes them."""
    provider_of = dict(plaza.db.exec(select(Card.id, Card.provider_id)).all())
    rows = [
        {"user_id": user_id, "card_id": card_id, "provider_id": provider_of[card_id],
         "kind": kind, "detail": {}, "created_at": when}
        for card_id in card_ids
        for kind in ("impression", "impression", "open")
    ]  # fmt: skip
    plaza.db.execute(insert(Event), rows)
    plaza.db.commit()
    return len(rows)


def start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(workers: list[subprocess.Popen[str]]) -> list[dict[str, object]]:
    """Stops the workers; their JSON log lines, all of them."""
    lines: list[dict[str, object]] = []
    for worker in workers:
        if worker.poll() is None:
            worker.send_signal(signal.SIGINT)
        _, err = worker.communicate(timeout=30)
        for line in err.splitlines():
            if line.startswith("{"):
                lines.append(json.loads(line))
    return lines


def wait_until(
    done: Callable[[], bool], workers: list[subprocess.Popen[str]], *, seconds: float = 90
) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        for worker in workers:
            if worker.poll() is not None and worker.returncode != -signal.SIGKILL:
                _, err = worker.communicate()
                pytest.fail(f"a worker stopped ({worker.returncode}): {err[-3000:]}")
        assert time.monotonic() < deadline, "the workers did not finish in time"
        time.sleep(0.2)


def finished(plaza: Plaza, last_event: int, expected: tuple[int, int, int]) -> bool:
    """Every job's work is done: feeds stored, old rows pruned, events counted, every
    email queued and sent, and the mail server holds every email sent."""
    cards, old_events, emails = expected
    plaza.db.expire_all()
    rollups = plaza.db.exec(select(RollupProgress.name, RollupProgress.last_event_id)).all()
    states = Counter(r.state for r in plaza.emails())
    return (
        plaza.count(select(func.count()).select_from(Card)) == cards
        and plaza.count(select(func.count()).select_from(Event)) == old_events
        and dict(rollups) == {POPULARITY: last_event, RESULTS: last_event}
        and states["sent"] == emails  # not only those of the feeds stored first
        and not states.keys() & {"pending", "sending"}
        and len(plaza.mail.messages) >= states["sent"]
    )


def sum_logged(lines: list[dict[str, object]], pattern: str) -> int:
    """The sum over the log lines matching ``pattern`` of the number it captures."""
    found = [re.fullmatch(pattern, str(line["message"])) for line in lines]
    return sum(int(match[1]) for match in found if match)


def test_two_workers_do_every_item_of_every_job_exactly_once(
    plaza: Plaza, httpserver: HTTPServer
) -> None:
    now = datetime.now(UTC)
    shoppers = shoppers_following_apparel(plaza, now)
    feed_paths = due_feeds(plaza, httpserver, now)
    shown = stored_cards(plaza, now, 10, name="Shown")
    recent_events = add_events(plaza, shoppers[0], shown, now - timedelta(hours=2))
    old_events = add_events(plaza, shoppers[1], shown[:4], now - timedelta(days=45))
    stale = stored_cards(plaza, now, 7, name="Stale")
    plaza.db.execute(
        update(Card)
        .where(col(Card.id).in_(stale))
        .values(published_at=now - MAX_AGE - timedelta(days=1))
    )
    plaza.db.commit()
    last_event = plaza.count(select(func.max(Event.id)))
    new_cards = FEEDS * ITEMS_PER_FEED

    workers = [start_worker(plaza.env()) for _ in range(2)]
    try:
        wait_until(
            lambda: finished(
                plaza,
                last_event,
                (len(shown) + new_cards, recent_events, len(shoppers) * new_cards),
            ),
            workers,
        )
        time.sleep(3)  # a job done twice would show by now: every job has ticked again
    finally:
        lines = stop(workers)
    assert [line["message"] for line in lines if line["level"] == "ERROR"] == []

    # Refresh: each feed asked for once, each of its items stored once.
    assert Counter(request.path for request, _ in httpserver.log) == Counter(feed_paths)
    titles = Counter(plaza.db.exec(select(Card.title).where(col(Card.title).contains("trail"))))
    assert len(titles) == new_cards and set(titles.values()) == {1}

    # Notifications: each new shoe to each shopper by email, received once.
    new_ids = set(plaza.db.exec(select(Card.id).where(col(Card.title).contains("trail"))))
    rows = plaza.emails()
    assert {(r.user_id, r.card_id) for r in rows} == {(u, c) for u in shoppers for c in new_ids}
    assert {r.state for r in rows} == {"sent"}
    received = Counter(message["Message-ID"] for message in plaza.mail.messages)
    assert set(received.values()) == {1}
    assert received.keys() == {f"<notification.{r.id}.{r.user_id}@plaza.invalid>" for r in rows}

    # Rollups: each counted every event once, between the two workers. Popularity
    # counts only its window's days; partners' results count the old ones too.
    assert sum_logged(lines, r"popularity: counted (\d+) events, .*") == recent_events
    assert sum_logged(lines, r"results: counted (\d+) events, .*") == recent_events + old_events

    # Pruning and retention: each old card and event deleted, and reported, once.
    assert not set(plaza.db.exec(select(Card.id).where(col(Card.id).in_(stale))))
    assert sum_logged(lines, r"pruned (\d+) old cards") == len(stale)
    assert sum_logged(lines, r"retention: deleted (\d+) events, .*") == old_events


def test_when_one_of_two_workers_is_killed_mid_batch_the_other_finishes_its_work(
    plaza: Plaza, httpserver: HTTPServer
) -> None:
    """Each worker sends through its own mail server, so what each sent is known."""
    now = datetime.now(UTC)
    shoppers = shoppers_following_apparel(plaza, now)
    due_feeds(plaza, httpserver, now)
    survivor_mail = MailReceiver(delay=0.05).start()
    plaza.mail.delay = 0.05
    # A lease long enough that a busy machine does not take a live worker's batch from it.
    lease = {"NOTIFY_LEASE_SECONDS": "5", "NOTIFY_BATCH": "6", "NOTIFY_CONCURRENCY": "2"}
    doomed = start_worker(plaza.env(**lease))
    survivor = start_worker(plaza.env(**lease, SMTP_URL=survivor_mail.url))
    try:
        wait_until(lambda: len(plaza.mail.messages) >= 3, [doomed, survivor])
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(10)
        sent_by_doomed = len(plaza.mail.messages)
        left_leased = [r for r in plaza.emails() if r.state == "sending"]
        wait_until(
            lambda: (
                {r.state for r in plaza.emails()} == {"sent"}
                and len(survivor_mail.messages) + sent_by_doomed >= len(plaza.emails())
            ),
            [survivor],
        )
    finally:
        stop([doomed, survivor])
        survivor_mail.stop()

    assert doomed.returncode == -signal.SIGKILL
    assert left_leased, "the kill must land while the worker held a batch"
    assert len(plaza.mail.messages) == sent_by_doomed  # nothing from the dead one since
    rows = plaza.emails()
    new_ids = set(plaza.db.exec(select(Card.id)))
    assert {(r.user_id, r.card_id) for r in rows} == {(u, c) for u in shoppers for c in new_ids}
    received = Counter(m["Message-ID"] for m in plaza.mail.messages + survivor_mail.messages)
    assert received.keys() == {f"<notification.{r.id}.{r.user_id}@plaza.invalid>" for r in rows}
    # A message goes out twice only when the dead worker had sent it and not yet recorded
    # it (its batch, at most): never twice from one worker, and under the same Message-ID,
    # which mail clients collapse.
    by_doomed = Counter(m["Message-ID"] for m in plaza.mail.messages)
    by_survivor = Counter(m["Message-ID"] for m in survivor_mail.messages)
    assert set(by_doomed.values()) == set(by_survivor.values()) == {1}
    assert len(by_doomed.keys() & by_survivor.keys()) <= int(lease["NOTIFY_BATCH"])
