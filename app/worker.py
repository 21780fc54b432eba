"""The worker: which background job runs when, with APScheduler 3.x, and nothing else.

Every job is a module-level function with an explicit id, as APScheduler's job
stores expect; each one opens the app and a session and calls the area that
does the work: refreshing due providers (:mod:`app.ingest.due`) and indexing renamed
ones again (:mod:`app.search.index`), pruning old cards (:mod:`app.ingest.retention`),
old login attempts (:mod:`app.accounts.throttle`)
and personal data past its retention (:mod:`app.accounts.retention`), rolling
the event log up into the counts ranking reads (:mod:`app.ranking.rollup`) and the
results partners read (:mod:`app.partners.rollup`), ranking recent visitors' next
first pages ahead (:mod:`app.ranking.prepared`), answered questions and popular ideas
becoming cards (:mod:`app.community.feed_posts`), the notification tick
(:mod:`app.notifications.jobs`) and account emails (:mod:`app.accounts.mail`).
Several workers may run at once: each job claims its work in the database. Every line
a run of a job logs carries that run's id (:func:`app.logs.job_run`). A worker told to
stop (SIGTERM or SIGINT) starts no job, lets the running ones finish for a grace period
and then leaves: what it had claimed and not finished is claimed again by the next run.
"""

from __future__ import annotations

import functools
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from flask import Flask
from sqlmodel import Session

from app.accounts.mail import send_queued
from app.accounts.retention import PreparedPages, prune_personal_data
from app.accounts.throttle import prune as prune_attempts
from app.catalog_store import catalog
from app.community.feed_posts import sync_community_cards
from app.db import engine
from app.ingest.due import refresh_due
from app.ingest.retention import prune_cards
from app.logs import job_run
from app.notifications import jobs as notifications
from app.notifications.config import notify_config
from app.partners.rollup import roll_up_results
from app.ranking.prepared import prepare_due
from app.ranking.rollup import roll_up
from app.search.index import index_renamed_providers
from app.taxonomy_store import taxonomy

log = logging.getLogger(__name__)

ROLLUP_EVERY = timedelta(minutes=5)
ACCOUNT_MAIL_EVERY = timedelta(seconds=5)  # a person waits for a reset link
COMMUNITY_EVERY = timedelta(minutes=1)
_app: Flask | None = None
_running: set[str] = set()  # the jobs running now, by name
_running_lock = threading.Lock()
_stopping = threading.Event()  # set: no job starts any more


def _job_app() -> Flask:
    """The app the scheduler was built for; jobs are module-level functions."""
    if _app is None:
        raise RuntimeError("build the scheduler with build_scheduler(app) first")
    return _app


def refresh_due_providers() -> None:
    """Scheduled job: refresh what is due, a few providers at a time; then write again
    the search documents of providers renamed since (app.search.index), so that their
    cards are found by the new name within a tick."""
    app = _job_app()
    refresh_due(app)
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        cards = index_renamed_providers(db, taxonomy())
    if cards:
        log.info("indexed %d cards of renamed providers again", cards)


def prune_old_cards() -> None:
    """Scheduled job: housekeeping of the card table (see app.ingest.retention)."""
    app = _job_app()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        removed = prune_cards(db, datetime.now(UTC))
    log.info("pruned %d old cards", removed)


def prune_login_attempts() -> None:
    """Scheduled job: forget login attempts older than PLAZA_LOGIN_ATTEMPT_RETENTION_DAYS
    (never those the login window still counts; see app.accounts.throttle)."""
    app = _job_app()
    keep = max(
        timedelta(days=app.config["LOGIN_ATTEMPT_RETENTION_DAYS"]),
        timedelta(seconds=app.config["LOGIN_WINDOW_SECONDS"]),
    )
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        removed = prune_attempts(db, datetime.now(UTC), keep)
        db.commit()
    log.info("pruned %d old login attempts", removed)


def prune_old_personal_data() -> None:
    """Scheduled job: raw events, finished notifications, old rate-limit counts,
    links, expired sessions and first pages ranked ahead past their retention (see
    app.accounts.retention)."""
    app = _job_app()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        pruned = prune_personal_data(
            db,
            datetime.now(UTC),
            event_days=app.config["EVENT_RETENTION_DAYS"],
            notification_days=app.config["NOTIFICATION_RETENTION_DAYS"],
            prepared=PreparedPages.configured(app.config),
        )
    log.info(
        "retention: deleted %d events, %d notifications, %d expired sessions, "
        "%d unusable prepared first pages",
        pruned.events,
        pruned.notifications,
        pruned.sessions,
        pruned.prepared_pages,
    )


def roll_up_popularity() -> None:
    """Scheduled job: count new impressions and opens for ranking (see app.ranking.rollup)."""
    app = _job_app()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        report = roll_up(db, datetime.now(UTC))
    log.info("popularity: counted %d events, forgot %d days", report.counted, report.forgotten)


def roll_up_partner_results() -> None:
    """Scheduled job: count new events into partners' results and forget the days older
    than PLAZA_RESULTS_RETENTION_DAYS (see app.partners.rollup)."""
    app = _job_app()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        report = roll_up_results(
            db, datetime.now(UTC), keep_days=app.config["RESULTS_RETENTION_DAYS"]
        )
    log.info("results: counted %d events, forgot %d card days", report.counted, report.forgotten)


def prepare_first_pages() -> None:
    """Scheduled job: rank recent visitors' next first pages ahead (see app.ranking.prepared)."""
    app = _job_app()
    config = app.config
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        started = time.thread_time()
        prepared = len(
            prepare_due(
                db,
                taxonomy(),
                catalog(),
                now=datetime.now(UTC),
                active=timedelta(days=config["PREPARED_FEED_ACTIVE_DAYS"]),
                max_age=timedelta(minutes=config["PREPARED_FEED_MAX_AGE_MINUTES"]),
                every=timedelta(seconds=config["PREPARED_FEED_EVERY_SECONDS"]),
                batch=config["PREPARED_FEED_BATCH"],
                page_size=config["FEED_PAGE_SIZE"],
                candidate_limit=config["CANDIDATE_LIMIT"],
            )
        )
    if prepared:
        cpu_ms = (time.thread_time() - started) * 1000
        log.info("prepared %d first pages (%.1f ms of CPU each)", prepared, cpu_ms / prepared)


def surface_community_posts() -> None:
    """Scheduled job: answered questions and popular ideas become cards, and removed ones
    leave (see app.community.feed_posts); the refresh job stores what changed."""
    app = _job_app()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        changed = sync_community_cards(db, datetime.now(UTC))
        db.commit()
    if changed:
        log.info("community: %d organisations' posts changed", changed)


def notify_tick() -> None:
    """Scheduled job: new cards become notifications, due digests are folded, the outbox
    is delivered (see app.notifications.jobs)."""
    totals = notifications.run(_job_app())
    if +totals:
        log.info("notifications: %s", dict(+totals))


def send_account_emails() -> None:
    """Scheduled job: send the queued account emails (links, notices); see app.accounts.mail."""
    totals = send_queued(_job_app())
    if +totals:
        log.info("account emails: %s", dict(+totals))


def _one_run(job: Callable[[], None]) -> Callable[[], None]:
    """``job``, whose every log line carries an id of this run of it (:mod:`app.logs`)."""

    @functools.wraps(job)
    def run() -> None:
        if _stopping.is_set():  # queued before the stop: it waits for the next worker
            return
        with _runs(job.__name__), job_run(job.__name__):
            job()

    return run


@contextmanager
def _runs(name: str) -> Iterator[None]:
    with _running_lock:
        _running.add(name)
    try:
        yield
    finally:
        with _running_lock:
            _running.discard(name)


def running_jobs() -> list[str]:
    with _running_lock:
        return sorted(_running)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _noted(number: int, frame: FrameType | None) -> None:
    """Python's own handler has written ``number`` to the wakeup pipe by now."""


def run_until_stopped(scheduler: BaseScheduler, grace_seconds: float) -> list[str]:
    """Runs ``scheduler``'s jobs until SIGTERM or SIGINT, then gives those running
    ``grace_seconds`` to finish (a second signal ends the wait); the jobs still running
    then, which the caller cuts short.

    The signal is waited for, not raised: an exception raised into the main thread could
    land anywhere, even inside APScheduler, which swallows it. Python writes a handled
    signal's number to the wakeup pipe whichever thread received it, and this thread
    reads it there. Both signals are handled whatever the process inherited: a shell
    starts a background command with SIGINT ignored, and a container's first process
    ignores a SIGTERM it has no handler for, so `docker stop` would wait out its timeout."""
    read, write = os.pipe()
    os.set_blocking(write, False)
    previous = signal.set_wakeup_fd(write)
    for number in STOP_SIGNALS:
        signal.signal(number, _noted)
    try:
        scheduler.start()
        while (received := os.read(read, 1)[0]) not in STOP_SIGNALS:
            continue
        _stopping.set()
        scheduler.shutdown(wait=False)
        running = running_jobs()
        log.info(
            "stopping (%s): no job starts now; %s", signal.Signals(received).name,
            f"waiting up to {grace_seconds:g} s for {', '.join(running)}"
            if running else "none was running",
        )  # fmt: skip
        ends = time.monotonic() + grace_seconds
        while running_jobs() and (left := ends - time.monotonic()) > 0:
            if select.select([read], [], [], min(left, 0.05))[0]:
                break  # asked again: stop now
        return running_jobs()
    finally:
        signal.set_wakeup_fd(previous)
        os.close(read)
        os.close(write)


def build_scheduler(app: Flask) -> BaseScheduler:
    global _app
    _app = app
    _stopping.clear()
    scheduler = BackgroundScheduler(timezone=UTC, daemon=True)
    now = datetime.now(UTC)
    # (job, seconds between runs, jitter, whether it runs at start); at most one of each
    # at a time, and runs missed while the worker was busy fold into one.
    prune_every = app.config["WORKER_PRUNE_SECONDS"]
    prune_jitter = min(600, prune_every // 10)
    jobs: tuple[tuple[Callable[[], None], float, int, bool], ...] = (
        (refresh_due_providers, app.config["WORKER_TICK_SECONDS"], 5, True),
        (prune_old_cards, prune_every, prune_jitter, False),
        (prune_login_attempts, prune_every, prune_jitter, True),
        (prune_old_personal_data, prune_every, prune_jitter, False),
        (roll_up_popularity, ROLLUP_EVERY.total_seconds(), 30, True),
        (roll_up_partner_results, ROLLUP_EVERY.total_seconds(), 30, True),
        (notify_tick, notify_config(app).tick_seconds, 2, True),
        (send_account_emails, ACCOUNT_MAIL_EVERY.total_seconds(), 1, True),
        (prepare_first_pages, app.config["PREPARED_FEED_EVERY_SECONDS"], 10, True),
        (surface_community_posts, COMMUNITY_EVERY.total_seconds(), 5, True),
    )
    for job, seconds, jitter, at_start in jobs:
        scheduler.add_job(
            _one_run(job),
            "interval",
            id=job.__name__,
            seconds=seconds,
            jitter=jitter,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            **({"next_run_time": now} if at_start else {}),
        )
    return scheduler
