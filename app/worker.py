"""The worker: APScheduler 3.x jobs that refresh due providers, prune old cards
and roll impressions and opens up into the popularity counts ranking reads.

The database decides what is due. A worker claims a provider by pushing its
``next_run_at`` forward by a lease inside one transaction (on PostgreSQL the
due rows are locked with ``FOR UPDATE SKIP LOCKED`` first), so two workers
never refresh the same provider at once. Jobs are module-level functions with
explicit ids, as APScheduler's job stores expect.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.contexts import LiveContext, SampleContext
from app.db import engine
from app.models import Provider, ProviderStatus
from app.popularity_counts import roll_up
from app.refresh import refresh_provider
from app.retention import prune_cards
from app.taxonomy_store import taxonomy
from feeds.fetch import FetchPolicy

log = logging.getLogger(__name__)

CLAIM_LEASE = timedelta(minutes=10)
POPULARITY_EVERY = timedelta(minutes=5)
CLAIM_ROUNDS = 3  # another worker may win some rows; look again a few times
BATCH = 20
_app: Flask | None = None


def claim_due(db: Session, now: datetime, limit: int = BATCH) -> list[int]:
    """Ids of due providers, now leased to this worker; commits the claim.

    Each claim is a compare-and-set on ``next_run_at``, so a provider another
    worker claimed in the meantime is simply not ours. On PostgreSQL the due
    rows are also locked with ``SKIP LOCKED`` so workers do not even wait on
    each other; SQLite has no row locks, so its read ends before the writes.
    """
    due_now = (
        col(Provider.status).in_([ProviderStatus.ACTIVE, ProviderStatus.BACKING_OFF]),
        or_(col(Provider.next_run_at).is_(None), col(Provider.next_run_at) <= now),
    )
    claimed: list[int] = []
    tried: set[int] = set()
    for _ in range(CLAIM_ROUNDS):
        ids = db.exec(
            select(Provider.id)
            .where(*due_now, col(Provider.id).not_in(tried))
            .order_by(col(Provider.next_run_at).asc())
            .limit(limit - len(claimed))
            .with_for_update(skip_locked=True)
        ).all()
        if not ids:
            break
        if db.get_bind().dialect.name == "sqlite":
            db.commit()
        for provider_id in ids:
            tried.add(provider_id)
            won = db.execute(
                update(Provider)
                .where(col(Provider.id) == provider_id, *due_now)
                .values(next_run_at=now + CLAIM_LEASE)
            )
            if won.rowcount == 1:
                claimed.append(provider_id)
        db.commit()
        if len(claimed) >= limit:
            break
    return claimed


def refresh_one(app: Flask, provider_id: int) -> None:
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        provider = db.get(Provider, provider_id)
        if provider is None:
            return
        now = datetime.now(UTC)
        outcome = refresh_provider(db, provider, context_for(app, provider, now), now)
        log.info("provider %s (%s): %s", provider.id, provider.name, outcome)


def context_for(app: Flask, provider: Provider, now: datetime) -> LiveContext | SampleContext:
    if provider.demo_samples:
        return SampleContext(samples=provider.demo_samples, now=now, taxonomy=taxonomy())
    return LiveContext(
        provider=provider,
        now=now,
        taxonomy=taxonomy(),
        policy=fetch_policy(app),
        secrets={"youtube_api_key": app.config.get("YOUTUBE_API_KEY")},
        settings={"youtube_feed_url": app.config.get("YOUTUBE_FEED_URL")},
    )


def _job_app() -> Flask:
    """The app the scheduler was built for; jobs are module-level functions."""
    if _app is None:
        raise RuntimeError("build the scheduler with build_scheduler(app) first")
    return _app


def fetch_policy(app: Flask) -> FetchPolicy:
    """The fetcher's limits for this deployment (the allow-list comes from config)."""
    return FetchPolicy.from_allow_string(app.config["FETCH_ALLOW"])


def refresh_due_providers() -> None:
    """Scheduled job: refresh what is due, a few providers at a time."""
    refresh_due(_job_app())


def refresh_due(app: Flask) -> None:
    """One tick of a worker: claim the providers due in ``app``'s database and refresh them."""
    with app.app_context():
        with Session(engine(), expire_on_commit=False) as db:
            ids = claim_due(db, datetime.now(UTC))
        if not ids:
            return
        with ThreadPoolExecutor(max_workers=app.config["WORKER_CONCURRENCY"]) as pool:
            for provider_id in ids:
                pool.submit(refresh_one, app, provider_id)


def prune_old_cards() -> None:
    """Scheduled job: housekeeping of the card table (see app.retention)."""
    app = _job_app()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        removed = prune_cards(db, datetime.now(UTC))
    log.info("pruned %d old cards", removed)


def roll_up_popularity() -> None:
    """Scheduled job: count new impressions and opens for ranking (see app.popularity_counts)."""
    app = _job_app()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        report = roll_up(db, datetime.now(UTC))
    log.info("popularity: counted %d events, forgot %d days", report.counted, report.forgotten)


def build_scheduler(app: Flask, *, blocking: bool) -> BaseScheduler:
    global _app
    _app = app
    scheduler: BaseScheduler = (
        BlockingScheduler(timezone=UTC)
        if blocking
        else BackgroundScheduler(timezone=UTC, daemon=True)
    )
    scheduler.add_job(
        refresh_due_providers,
        "interval",
        id="refresh_due_providers",
        seconds=app.config["WORKER_TICK_SECONDS"],
        jitter=5,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    scheduler.add_job(
        prune_old_cards,
        "interval",
        id="prune_old_cards",
        hours=6,
        jitter=600,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    scheduler.add_job(
        roll_up_popularity,
        "interval",
        id="roll_up_popularity",
        seconds=POPULARITY_EVERY.total_seconds(),
        jitter=30,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
    from app.notifications.jobs import schedule_jobs

    schedule_jobs(scheduler, app)
    return scheduler
