"""The worker: what is due, claimed once, even by two worker processes at once."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.models import Organization, Provider
from app.worker import CLAIM_LEASE, claim_due


def add_providers(db, count: int, **fields) -> list[int]:
    org = Organization(slug="acme", name="Acme")
    db.add(org)
    db.flush()
    providers = [
        Provider(organization_id=org.id, kind="product_feed", name=f"p{n}", **fields)
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
from sqlmodel import Session
from app.db import make_engine
from app.worker import claim_due

engine = make_engine(sys.argv[1])
claimed = []
print("ready", flush=True)
sys.stdin.readline()  # start together
misses = 0
with Session(engine) as db:
    while misses < 3:
        ids = claim_due(db, datetime.now(UTC), limit=3)
        claimed += ids
        misses = 0 if ids else misses + 1
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
    assert first and second, "both workers should have found work"
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == sorted(all_ids)
