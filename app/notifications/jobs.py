"""The notification run that the worker's tick and ``plaza notify run`` share.

One run does the three steps in order (new cards become candidates, due
digests are folded, the outbox is delivered) so a card found in a tick can go
out in the same tick. The worker (:mod:`app.worker`) runs it one instance at a
time; several worker processes may run it at once, since every step claims its
work in the database.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

from flask import Flask
from sqlalchemy import and_, exists, or_
from sqlmodel import Session, col, select

from app.db import engine
from app.metrics import recorded
from app.models.notifications import Notification, State
from app.notifications.candidates import enqueue_card_news
from app.notifications.config import notify_config
from app.notifications.delivery import Senders, deliver_batch
from app.notifications.digests import build_due_digests
from app.taxonomy_store import taxonomy

DRAIN_POLL = 0.2
BUDGET_TICKS = 4  # a tick delivers for at most this many tick lengths, then lets the next start


def utcnow() -> datetime:
    return datetime.now(UTC)


def run(
    app: Flask,
    *,
    clock: Callable[[], datetime] = utcnow,
    drain: bool = False,
) -> Counter[str]:
    """Enqueue, fold digests, deliver. With ``drain``, keep going until nothing is due
    or in flight (waiting out the leases of a worker that died), for the CLI and tests."""
    cfg = notify_config(app)
    total: Counter[str] = Counter()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        total["planned"] += enqueue_card_news(db, clock(), taxonomy(), cfg)
        total["digests"] += build_due_digests(db, clock(), cfg)
        senders = Senders.for_app(app, cfg)
        ends = time.monotonic() + cfg.tick_seconds * BUDGET_TICKS
        while True:
            tally = deliver_batch(db, senders, cfg, clock)
            recorded.deliveries(tally)
            total.update(tally)
            if tally and (drain or time.monotonic() < ends):
                continue
            if not drain or not _in_flight(db, clock()):
                break
            time.sleep(DRAIN_POLL)
    return total


def _in_flight(db: Session, now: datetime) -> bool:
    due = and_(col(Notification.state) == State.PENDING, col(Notification.due_at) <= now)
    busy = col(Notification.state) == State.SENDING
    return bool(db.exec(select(exists().where(or_(due, busy)))).one())
