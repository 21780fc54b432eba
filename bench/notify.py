"""How fast Plaza delivers notifications, to real SMTP and Web Push receivers on loopback.

    .venv/bin/python bench/notify.py [--consumers 10000] [--batch 200] [--concurrency 8]
                                     [--database-url postgresql://...] [--verify] [--json]

Set-up (not timed): a fresh SQLite database migrated with ``app.migrate.upgrade`` (or
the given throw-away database), N consumers who follow ``shoes`` with no quiet hours,
each with one Web Push subscription (https, a test CA) and email "right away"; an
aiosmtpd server and a TLS push service from ``tests/notifications/receivers.py``.

What is timed (wall clock, the real ``app.notifications`` code paths):

* **enqueue**: one new product card for all N consumers: find the audience, load their
  profiles (a few hundred consumers per batch of queries), rank, plan and insert the
  outbox rows (in-app rows are sent right here).
* **push**: delivering the N instant pushes: claim in batches, decide, compose,
  encrypt (aes128gcm, a fresh ECDH key each), sign VAPID, POST over a fresh TLS
  connection through the guarded sender, record each result.
* **email**: the same for N instant emails (a second card, of a kind whose push is
  off), over SMTP connections reused within a batch.

The receivers only count (``--verify`` makes the push service check every VAPID
signature and decrypt every payload too, on the same CPU as the sender).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.ingest.store import store_drafts  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import ConsumerInterest, Organization, Provider, User  # noqa: E402
from app.models.notifications import (  # noqa: E402
    Notification,
    NotificationPreference,
    NotificationSettings,
    PushSubscription,
)
from app.notifications.candidates import enqueue_card_news  # noqa: E402
from app.notifications.config import notify_config  # noqa: E402
from app.notifications.jobs import run  # noqa: E402
from app.notifications.preferences import new_settings  # noqa: E402
from app.notifications.subscriptions import endpoint_hash  # noqa: E402
from app.taxonomy_store import taxonomy  # noqa: E402
from cards.spec import CardDraft  # noqa: E402
from tests.notifications.receivers import MailReceiver, PushService, make_tls  # noqa: E402

CHUNK = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consumers", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--verify", action="store_true", help="decrypt and check every push")
    parser.add_argument("--json", action="store_true", help="print all figures as one JSON object")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    figures = bench(args)
    if args.json:
        print(json.dumps(figures))
        return
    print(f"{args.consumers} consumers on {figures['database']}, batch {args.batch}, "
          f"concurrency {args.concurrency}")  # fmt: skip
    enqueue = figures["enqueue"]
    print(f"  enqueue: {enqueue['rows']} outbox rows in {enqueue['seconds']:.2f} s "
          f"({enqueue['per_second']:.0f}/s)")  # fmt: skip
    for channel in ("push", "email"):
        f = figures[channel]
        print(f"  {channel:<6} {f['delivered']} delivered in {f['seconds']:.2f} s: "
              f"{f['per_second']:.0f} deliveries/s")  # fmt: skip


def bench(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="plaza-bench-notify-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    tls = make_tls(workdir / "tls")
    mail = MailReceiver(keep=False).start()
    push = PushService(tls, verify=args.verify).start()
    try:
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "DATABASE_URL": url,
                "SMTP_URL": mail.url,
                "FETCH_ALLOW": "127.0.0.1",
                "NOTIFY_PUSH_CA_CERTS": str(tls.ca),
                "NOTIFY_BATCH": args.batch,
                "NOTIFY_CONCURRENCY": args.concurrency,
            }
        )
        app.instance_path = str(workdir / "instance")
        with app.app_context(), Session(app.extensions["plaza.engine"]) as db:
            provider_ids = _arrange(db, push, args.consumers)
            enqueue = _timed_enqueue(app, db, provider_ids["product_feed"])
            push_figures = _timed_delivery(app, db, "push", lambda: push.count)
            _timed_enqueue(app, db, provider_ids["youtube"])
            email_figures = _timed_delivery(app, db, "email", lambda: mail.count)
            backend = db.get_bind().dialect.name
    finally:
        mail.stop()
        push.stop()
    return {
        "consumers": args.consumers,
        "database": backend,
        "batch": args.batch,
        "concurrency": args.concurrency,
        "verified_pushes": args.verify,
        "push_errors": len(push.errors),
        "enqueue": enqueue,
        "push": push_figures,
        "email": email_figures,
    }


def _arrange(db: Session, push: PushService, consumers: int) -> dict[str, int]:
    """N consumers following shoes, each with a push subscription; email right away for
    products' kin (videos), push off for videos, so each phase times one channel."""
    now = datetime.now(UTC)
    org = Organization(slug="bench", name="Bench")
    db.add(org)
    db.flush()
    providers = {kind: Provider(organization_id=org.id, kind=kind, name=kind) for kind in
                 ("product_feed", "youtube")}  # fmt: skip
    db.add_all(providers.values())
    db.flush()
    template = push.browser()
    first = db.exec(select(func.coalesce(func.max(User.id), 0))).one() + 1
    for start in range(0, consumers, CHUNK):
        ids = range(first + start, first + min(start + CHUNK, consumers))
        db.execute(insert(User), [
            {"id": i, "email": f"c{i}@bench.example", "password_hash": "x", "role": "consumer",
             "display_name": "", "active": True, "created_at": now, "onboarded_at": now}
            for i in ids
        ])  # fmt: skip
        db.execute(insert(ConsumerInterest), [
            {"user_id": i, "slug": "shoes", "state": "follow", "created_at": now} for i in ids
        ])  # fmt: skip
        settings = []
        for i in ids:
            row = new_settings(i, now, 8).model_dump()
            row.update(quiet_start=None, quiet_end=None, push_daily_cap=50)
            settings.append(row)
        db.execute(insert(NotificationSettings), settings)
        db.execute(insert(NotificationPreference), [
            {"user_id": i, "category": category, "channel": channel, "frequency": frequency}
            for i in ids
            for category, channel, frequency in (
                ("products", "email", "off"), ("videos", "email", "instant"),
                ("videos", "push", "off"),
            )
        ])  # fmt: skip
        subscriptions = []
        for i in ids:
            browser = push.browser(like=template)
            keys = browser.subscription["keys"]
            subscriptions.append({
                "user_id": i, "endpoint": browser.endpoint,
                "endpoint_hash": endpoint_hash(browser.endpoint), "p256dh": keys["p256dh"],
                "auth": keys["auth"], "user_agent": "bench", "created_at": now,
                "last_success_at": None,
            })  # fmt: skip
        db.execute(insert(PushSubscription), subscriptions)
    db.commit()
    return {kind: p.id or 0 for kind, p in providers.items()}


def _timed_enqueue(app: Any, db: Session, provider_id: int) -> dict[str, float]:
    provider = db.get(Provider, provider_id)
    assert provider is not None
    now = datetime.now(UTC)
    draft = CardDraft(
        external_id=f"bench-{provider.kind}",
        title=f"Bench {provider.kind} card",
        url="https://shop.example/bench",
        interests=["shoes"],
        payload={"price": "49.00", "currency": "USD"},
        published_at=now,
    )
    store_drafts(db, provider, [draft], taxonomy(), now)
    db.commit()
    before = _count(db)
    started = time.perf_counter()
    enqueue_card_news(db, datetime.now(UTC), taxonomy(), notify_config(app))
    seconds = time.perf_counter() - started
    rows = _count(db) - before
    return {"rows": rows, "seconds": seconds, "per_second": rows / seconds}


def _timed_delivery(app: Any, db: Session, channel: str, received: Any) -> dict[str, float]:
    before = received()
    started = time.perf_counter()
    run(app, drain=True)
    seconds = time.perf_counter() - started
    delivered = received() - before
    db.expire_all()
    sent = db.exec(
        select(func.count()).where(Notification.channel == channel, Notification.state == "sent")
    ).one()
    failed = db.exec(
        select(func.count()).where(
            Notification.channel == channel, col(Notification.state).in_(["failed", "pending"])
        )
    ).one()
    return {
        "delivered": delivered,
        "sent_rows": sent,
        "failed_rows": failed,
        "seconds": seconds,
        "per_second": delivered / seconds,
    }


def _count(db: Session) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(Notification)).one()


if __name__ == "__main__":
    main()
