"""Which providers are due, and refreshing them: one tick of the worker's refresh job.

The database decides what is due. A worker claims a provider by pushing its
``next_run_at`` forward by a lease inside one transaction (:mod:`app.claims`: on
PostgreSQL the due rows are locked with ``FOR UPDATE SKIP LOCKED`` first), so two
workers never refresh the same provider at once.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import or_
from sqlmodel import Session, col, select

from app import claims
from app.db import engine
from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.models import Organization, Provider, ProviderStatus

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)
CLAIM_ROUNDS = 3  # another worker may win some rows; look again a few times
BATCH = 20


def claim_due(db: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """Ids of due providers, now leased to this worker by pushing their ``next_run_at``
    forward (:func:`app.claims.claim_due`); commits the claim. Another worker may win some
    of the rows found: up to :data:`CLAIM_ROUNDS` looks make up for them."""
    due_now = (
        col(Provider.status).in_([ProviderStatus.ACTIVE, ProviderStatus.BACKING_OFF]),
        # An organisation staff suspended is not refreshed, its newer providers included.
        col(Provider.organization_id).not_in(
            select(Organization.id).where(col(Organization.suspended_at).is_not(None))
        ),
        or_(col(Provider.next_run_at).is_(None), col(Provider.next_run_at) <= now),
    )
    claimed = claims.claim_due(
        db,
        Provider,
        due_now,
        order_by=col(Provider.next_run_at).asc(),
        limit=limit,
        lease={"next_run_at": now + CLAIM_LEASE},
        rounds=CLAIM_ROUNDS,
    )
    return [provider_id for (provider_id,) in claimed]


def refresh_one(app: Flask, provider_id: int) -> None:
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        provider = db.get(Provider, provider_id)
        if provider is None:
            return
        now = datetime.now(UTC)
        outcome = refresh_provider(db, provider, context_for(app, provider, now), now)
        log.info("provider %s (%s): %s", provider.id, provider.name, outcome)


def refresh_due(app: Flask) -> None:
    """One tick of a worker: claim the providers due in ``app``'s database and refresh them."""
    with app.app_context():
        with Session(engine(), expire_on_commit=False) as db:
            ids = claim_due(db, datetime.now(UTC))
        if not ids:
            return
        with ThreadPoolExecutor(max_workers=app.config["WORKER_CONCURRENCY"]) as pool:
            for provider_id in ids:  # each in a copy of this run's context: its log lines
                pool.submit(copy_context().run, refresh_one, app, provider_id)
