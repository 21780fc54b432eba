"""The worker: what is due, claimed once, even by two worker processes at once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.ingest.due import CLAIM_LEASE, claim_due
from app.models import Organization, Provider


def add_providers(db, count: int, **fields) -> list[int]:
    org = Organization(slug="acme", name="Acme")
    db.add(org)
    db.flush()
    providers = [
        Provider(organization_id=org.id, name=f"p{n}", **{"kind": "product_feed", **fields})
        for n in range(count)
    ]
    db.add_all(providers)
    db.commit()
    return [p.id for p in providers]


def test_only_due_active_providers_are_claimed_and_leased(db):
    now = datetime.now(UTC)
    due = add_providers(db, 3, next_run_at=now - timedelta(minutes=1))
    later = Provider(
        organization_id=1, kind="product_feed", name="later", next_run_at=now + timedelta(hours=1)
    )
    paused = Provider(organization_id=1, kind="product_feed", name="paused", status="paused")
    db.add_all([later, paused])
    db.commit()
    assert sorted(claim_due(db, now)) == sorted(due)
    assert claim_due(db, now) == []  # leased: not due again until the lease ends
    db.expire_all()
    leased = db.exec(select(Provider).where(Provider.name == "p0")).one()
    assert leased.next_run_at == now + CLAIM_LEASE


CLAIMING_WORKER = """
import json, sys
from datetime import UTC, datetime
from sqlmodel import Session, func, select
from app.db import make_engine
from app.models import Provider
from app.ingest.due import claim_due

engine = make_engine(sys.argv[1])
claimed = []
print("ready", flush=True)
sys.stdin.readline()  # start together
with Session(engine) as db:
    # Each worker stops at 250 of the 400, so the other one always has work too.
    while len(claimed) < 250:
        ids = claim_due(db, datetime.now(UTC), limit=3)
        claimed += ids
        unclaimed = db.exec(select(func.count()).where(Provider.next_run_at.is_(None))).one()
        if not ids and not unclaimed:
            break
print(json.dumps(claimed))
"""


def test_two_worker_processes_never_claim_the_same_provider(db, database_url):
    all_ids = add_providers(db, 400)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMING_WORKER, database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.stdout.readline().strip() == "ready", worker.stderr.read()
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        results.append(json.loads(out))
    first, second = results
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == sorted(all_ids)


def test_the_scheduled_job_refreshes_what_is_due(app, db, httpserver):
    from app.worker import build_scheduler, refresh_due_providers

    app.config["FETCH_ALLOW"] = "127.0.0.1"
    httpserver.expect_request("/acme/camp-kitchen.rss").respond_with_data(
        PIN_BOARD, content_type="text/xml"
    )
    (provider_id,) = add_providers(
        db, 1, kind="pinterest", config={"url": httpserver.url_for("/acme/camp-kitchen.rss")}
    )
    build_scheduler(app)  # binds the app for the module-level jobs
    refresh_due_providers()
    db.expire_all()
    provider = db.get(Provider, provider_id)
    assert provider.last_error is None and provider.card_count == 1
    due_in = provider.next_run_at - datetime.now(UTC)
    assert timedelta(seconds=provider.interval_seconds - 60) < due_in


def test_a_source_that_asks_to_wait_is_not_asked_again_before(app, db):
    from app.ingest.refresh import refresh_provider
    from cards.errors import SourceError
    from cards.registry import registered
    from cards.spec import CardKind

    reset = datetime.now(UTC) + timedelta(hours=9)

    class OverQuota(CardKind):
        """Always over quota."""

        name = "over_quota"

        def refresh(self, config, context):
            raise SourceError("Quota used up.", retry_after=reset)

    (provider_id,) = add_providers(db, 1, kind="over_quota")
    provider = db.get(Provider, provider_id)
    with registered(OverQuota()), app.app_context():
        outcome = refresh_provider(db, provider, context=None, now=datetime.now(UTC))  # type: ignore[arg-type]
    assert not outcome.ok and outcome.error == "Quota used up."
    db.refresh(provider)
    assert provider.next_run_at == reset
    assert provider.status == "backing_off"


PIN_BOARD = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Camp kitchen</title>
<link>https://www.pinterest.com/acme/camp-kitchen/</link><description>Ideas</description>
<item><title>Skillet breakfast</title><link>https://www.pinterest.com/pin/1/</link>
<description>&lt;a href="/pin/1/"&gt;&lt;img src="https://i.pinimg.com/1.jpg"&gt;&lt;/a&gt;Eggs</description>
<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate><guid>1</guid></item>
</channel></rss>"""
