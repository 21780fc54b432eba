"""A worker killed in the middle of a batch loses nothing and sends nothing twice.

A real ``plaza notify run --drain`` subprocess delivers to slow loopback receivers and
is killed with SIGKILL once some messages are through; a second run finishes the job.
Every (consumer, card, channel) then has one outbox row, sent, and reached its receiver
under exactly one idempotency key (Message-ID, push Topic). The one message a killed
worker may have had in flight on each connection is sent again under the same key,
which mail clients and the service worker collapse; that count is bounded and checked.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from app.notifications.candidates import enqueue_card_news
from app.notifications.config import notify_config
from app.notifications.vapid import KEY_FILE, vapid_for
from app.taxonomy_store import taxonomy

ROOT = Path(__file__).resolve().parents[2]
CONSUMERS = 12
CONCURRENCY = 2
BATCH = 6


def worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """``plaza notify run --drain`` in its own process, on this test's clock."""
    now = datetime.now(UTC).isoformat()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.travel",
            now,
            "flask",
            "--app",
            "app",
            "notify",
            "run",
            "--drain",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(world, notify, tls):
    users = []
    for n in range(CONSUMERS):
        user = notify.consumer(world, f"shopper{n}@example.com")
        notify.subscribe(user)
        notify.choose(user, "products", "email", "instant")
        users.append(user)
    (card_id,) = world.cards(world.provider(), 1)
    app = notify.app
    vapid_for(app)  # made once, in the test app's instance folder; the worker gets it too
    with app.app_context():
        enqueue_card_news(notify.db, datetime.now(UTC), taxonomy(), notify_config(app))
    expected = {(u, card_id, ch) for u in users for ch in ("push", "email")}
    assert {(r.user_id, r.card_id, r.channel) for r in notify.rows(state="pending")} == expected

    notify.mail.delay = 0.05
    notify.push.delay = 0.05
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PLAZA_")},
        "PLAZA_DATABASE_URL": app.config["DATABASE_URL"],
        "PLAZA_SECRET_KEY": app.config["SECRET_KEY"],
        "PLAZA_SMTP_URL": notify.mail.url,
        "PLAZA_FETCH_ALLOW": "127.0.0.1",
        "PLAZA_NOTIFY_PUSH_CA_CERTS": str(tls.ca),
        "PLAZA_VAPID_PRIVATE_KEY": (Path(app.instance_path) / KEY_FILE).read_text(),
        "PLAZA_NOTIFY_BASE_URL": app.config["NOTIFY_BASE_URL"],
        "PLAZA_NOTIFY_LEASE_SECONDS": "2",
        "PLAZA_NOTIFY_BATCH": str(BATCH),
        "PLAZA_NOTIFY_CONCURRENCY": str(CONCURRENCY),
        "PYTHONPATH": str(ROOT),
    }
    first = worker(env)
    deadline = time.monotonic() + 30
    while notify.mail.count + notify.push.count < 6 and time.monotonic() < deadline:
        assert first.poll() is None, first.stdout.read().decode() if first.stdout else ""
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert first.returncode == -signal.SIGKILL
    delivered_before = notify.mail.count + notify.push.count
    assert 6 <= delivered_before < len(expected), "the kill must land mid-batch"
    in_flight = notify.rows(state="sending")
    assert in_flight, "the killed worker left leased rows behind"

    second = worker(env)
    output, _ = second.communicate(timeout=90)
    assert second.returncode == 0, output.decode()

    rows = notify.rows()
    assert {(r.user_id, r.card_id, r.channel) for r in rows if r.channel != "in_app"} == expected
    assert {r.state for r in rows} == {"sent"}
    message_ids = Counter(m["Message-ID"] for m in notify.mail.messages)
    topics = Counter(p.topic for p in notify.push.received)
    email_rows = {r.id for r in rows if r.channel == "email"}
    push_rows = {r.id for r in rows if r.channel == "push"}
    assert set(message_ids) == {
        f"<notification.{r.id}.{r.user_id}@plaza.invalid>" for r in rows if r.id in email_rows
    }
    assert set(topics) == {f"n{i}" for i in push_rows}
    assert notify.push.errors == []
    # Only what the worker had sent and not yet recorded when it died may have reached a
    # server twice: its senders do not wait for each result to be written, so that is at
    # most its batch, however many it sends at once.
    resent = sum(message_ids.values()) - len(message_ids) + sum(topics.values()) - len(topics)
    assert resent <= BATCH
