"""Delivering the outbox: claim a batch, decide, compose, send, record.

The database work happens on the caller's thread; only the network work
(SMTP, push) runs in a thread pool, and each result is recorded and
committed as soon as it arrives, so a worker killed mid-batch has recorded
everything that finished and leaves only what was in flight to be claimed
again. A slow or broken server delays only the messages bound for it.
"""

from __future__ import annotations

import logging
import queue
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import Flask
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.models import User
from app.models.notifications import Notification, PushSubscription, State
from app.notifications import outbox
from app.notifications.catalog import Category, Channel, Frequency
from app.notifications.compose import Composed, Links, email_message, push_payload
from app.notifications.config import NotifyConfig
from app.notifications.content import Contents
from app.notifications.outbox import Recipient
from app.notifications.outcome import Outcome
from app.notifications.policy import Action, Pending, decide
from app.notifications.recipients import load_recipients
from app.notifications.smtp import SmtpSender, SmtpServer, SmtpUrlError
from app.notifications.timing import day_start, zone
from app.notifications.unsubscribe import make_token
from app.notifications.vapid import vapid_for
from app.notifications.webpush import Device, PushSender
from feeds.fetch import FetchPolicy

log = logging.getLogger(__name__)

SMTP_CONNECTIONS = 2
CAP_WINDOW = timedelta(hours=27)  # longer than any local day, DST included

PushResults = list[tuple[Device, Outcome]]


@dataclass
class Senders:
    """The channels' senders and what composing needs, made once per worker run."""

    push: PushSender
    email: SmtpSender | None
    links: Links
    mail_from: str
    secret_key: str

    @classmethod
    def for_app(cls, app: Flask, cfg: NotifyConfig) -> Senders:
        # A push is one small exchange, so the push timeout bounds all of it:
        # a service that never answers fails at the deadline, as one that trickles.
        policy = FetchPolicy.from_allow_string(
            cfg.fetch_allow,
            connect_timeout=min(5.0, cfg.push_timeout),
            read_timeout=cfg.push_timeout,
            deadline=cfg.push_timeout,
            ca_certs=cfg.push_ca_certs,
        )
        email = None
        if cfg.smtp_url:
            try:
                email = SmtpSender(SmtpServer.from_url(cfg.smtp_url), cfg.smtp_timeout)
            except SmtpUrlError:
                log.exception("email is switched off")
        return cls(
            push=PushSender(vapid_for(app), cfg.vapid_subject, policy, cfg.push_ttl),
            email=email,
            links=Links(app, cfg.base_url),
            mail_from=cfg.mail_from,
            secret_key=app.config["SECRET_KEY"],
        )


@dataclass
class _Batch:
    """What deciding and composing a batch needs, read in a few queries."""

    recipients: dict[int, Recipient]
    pushes_today: Counter[int]
    devices: dict[int, list[Device]]
    emails: dict[int, str]
    contents: Contents

    @classmethod
    def load(
        cls, db: Session, rows: list[Notification], now: datetime, cfg: NotifyConfig
    ) -> _Batch:
        users = {r.user_id for r in rows}
        push_users = {r.user_id for r in rows if r.channel == Channel.PUSH}
        recipients = load_recipients(db, users, now, cfg.digest_hour)
        devices: dict[int, list[Device]] = defaultdict(list)
        for sub in db.exec(
            select(PushSubscription).where(col(PushSubscription.user_id).in_(push_users))
        ):
            devices[sub.user_id].append(Device(sub.id or 0, sub.endpoint, sub.p256dh, sub.auth))
        email_users = {r.user_id for r in rows if r.channel == Channel.EMAIL}
        emails = db.exec(select(User.id, User.email).where(col(User.id).in_(email_users))).all()
        return cls(
            recipients=recipients,
            pushes_today=_pushes_today(db, recipients, push_users, now),
            devices=devices,
            emails={user_id: email for user_id, email in emails if user_id is not None},
            contents=Contents.load(db, rows),
        )


def _pushes_today(
    db: Session, recipients: dict[int, Recipient], users: set[int], now: datetime
) -> Counter[int]:
    counts: Counter[int] = Counter()
    sent_at = db.exec(
        select(Notification.user_id, Notification.sent_at).where(
            col(Notification.user_id).in_(users),
            Notification.channel == Channel.PUSH,
            Notification.state == State.SENT,
            col(Notification.sent_at) >= now - CAP_WINDOW,
        )
    ).all()
    for user_id, moment in sent_at:
        if moment and moment >= day_start(now, zone(recipients[user_id].settings.timezone)):
            counts[user_id] += 1
    return counts


def deliver_batch(
    db: Session, senders: Senders, cfg: NotifyConfig, clock: Callable[[], datetime]
) -> Counter[str]:
    """Claim and deliver one batch; returns what became of its rows."""
    now = clock()
    rows = outbox.claim(db, now, cfg.batch, cfg.lease, Notification)
    tally: Counter[str] = Counter()
    if not rows:
        return tally
    batch = _Batch.load(db, rows, now, cfg)
    emails: list[tuple[Notification, EmailMessage]] = []
    pushes: list[tuple[Notification, bytes, list[Device]]] = []
    for row in rows:
        channel = Channel(row.channel)
        recipient = batch.recipients[row.user_id]
        verdict = decide(
            Pending(channel, row.category, row.mode == Frequency.INSTANT, row.created_at),
            recipient.settings,
            recipient.choices,
            now,
            pushes_today=batch.pushes_today[row.user_id],
            push_max_hold=cfg.push_max_hold,
        )
        if verdict.action == Action.HOLD:
            assert verdict.until is not None
            tally[_counted(outbox.held(db, row, verdict.until, verdict.reason), "held")] += 1
            continue
        if verdict.action == Action.DIGEST:
            tally[_counted(outbox.to_digest(db, row, verdict.reason), "digest")] += 1
            continue
        if verdict.action == Action.SKIP:
            tally[_counted(outbox.skipped(db, row, verdict.reason), "skipped")] += 1
            continue
        composed = batch.contents.compose(row)
        problem = _undeliverable(row, composed, batch, senders)
        if problem:
            tally[_counted(outbox.skipped(db, row, problem), "skipped")] += 1
            continue
        assert composed is not None
        if channel == Channel.IN_APP:
            tally[_counted(outbox.sent(db, row, now), "sent")] += 1
        elif channel == Channel.PUSH:
            batch.pushes_today[row.user_id] += 1
            payload = push_payload(row, composed.heading, senders.links)
            pushes.append((row, payload, batch.devices[row.user_id]))
        else:
            emails.append((row, _email(row, batch, composed, senders)))
    db.commit()
    _send(db, emails, pushes, senders, cfg, clock, tally)
    return tally


def _counted(written: bool, outcome: str) -> str:
    return outcome if written else "lost_lease"


def _undeliverable(
    row: Notification,
    composed: Composed | None,
    batch: _Batch,
    senders: Senders,
) -> str | None:
    if composed is None:
        return "The card is no longer shown to this consumer (removed, ended or dismissed)."
    if row.channel == Channel.PUSH and not batch.devices.get(row.user_id):
        return "No browser is subscribed to push any more."
    if row.channel == Channel.EMAIL and senders.email is None:
        return "Email is not set up on this server (PLAZA_SMTP_URL)."
    if row.channel == Channel.EMAIL and row.user_id not in batch.emails:
        return "The account has no email address."
    return None


def _email(row: Notification, batch: _Batch, composed: Composed, senders: Senders) -> EmailMessage:
    token = make_token(senders.secret_key, row.user_id)
    return email_message(
        row,
        batch.emails[row.user_id],
        composed,
        links=senders.links,
        mail_from=senders.mail_from,
        unsubscribe_url=senders.links.url("notifications.unsubscribe", token=token),
    )


def _send(
    db: Session,
    emails: list[tuple[Notification, EmailMessage]],
    pushes: list[tuple[Notification, bytes, list[Device]]],
    senders: Senders,
    cfg: NotifyConfig,
    clock: Callable[[], datetime],
    tally: Counter[str],
) -> None:
    """Send in the pool; record each result on this thread as it arrives."""
    if not emails and not pushes:
        return
    results: queue.SimpleQueue[tuple[int, Outcome | PushResults]] = queue.SimpleQueue()
    rows = {row.id or 0: row for row, _ in emails} | {row.id or 0: row for row, _, _ in pushes}
    with ThreadPoolExecutor(max_workers=cfg.concurrency, thread_name_prefix="notify") as pool:
        if emails and senders.email is not None:
            for part in range(SMTP_CONNECTIONS):
                chunk = [(row.id or 0, message) for row, message in emails[part::SMTP_CONNECTIONS]]
                if chunk:  # in a copy of this run's context, for its log lines
                    pool.submit(copy_context().run, _send_emails, senders.email, chunk, results.put)
        for row, payload, devices in pushes:
            pool.submit(
                copy_context().run, _send_push, senders.push, row, payload, devices, results.put
            )
        for _ in range(len(rows)):
            row_id, result = results.get()
            row = rows[row_id]
            now = clock()
            if isinstance(result, Outcome):
                outcome = _record_email(db, row, result, now, cfg)
            else:
                outcome = _record_push(db, row, result, now, cfg)
            db.commit()
            tally[outcome] += 1


def _send_emails(
    sender: SmtpSender,
    chunk: list[tuple[int, EmailMessage]],
    report: Callable[[tuple[int, Outcome | PushResults]], None],
) -> None:
    """Send a chunk; whatever happens, every row in it gets exactly one report."""
    unreported = {row_id for row_id, _ in chunk}

    def once(row_id: int, outcome: Outcome) -> None:
        unreported.discard(row_id)
        report((row_id, outcome))

    try:
        sender.send_all(chunk, once)
    except Exception:
        log.exception("sending email failed")
    for row_id in sorted(unreported):
        report((row_id, Outcome(False, "Plaza hit an internal error sending email.", retry=True)))


def _send_push(
    sender: PushSender,
    row: Notification,
    payload: bytes,
    devices: Iterable[Device],
    report: Callable[[tuple[int, Outcome | PushResults]], None],
) -> None:
    urgency = "high" if row.category in (Category.PRICE_DROPS, Category.ACCOUNT) else "normal"
    results: PushResults = []
    for device in devices:
        try:
            outcome = sender.send(device, payload, topic=f"n{row.id}", urgency=urgency)
        except Exception:
            log.exception("sending push %s failed", row.id)
            outcome = Outcome(False, "Plaza hit an internal error sending push.", retry=True)
        results.append((device, outcome))
    report((row.id or 0, results))


def _record_email(
    db: Session, row: Notification, outcome: Outcome, now: datetime, cfg: NotifyConfig
) -> str:
    if outcome.ok:
        return _counted(outbox.sent(db, row, now), "sent")
    return _failure(db, row, outcome.reason, now, cfg, retry=outcome.retry)


def _record_push(
    db: Session, row: Notification, results: PushResults, now: datetime, cfg: NotifyConfig
) -> str:
    """One browser that took it is enough; gone ones are removed; the rest explain."""
    delivered = [d.id for d, o in results if o.ok]
    gone = [d.id for d, o in results if o.gone]
    if gone:
        db.exec(
            delete(PushSubscription)
            .where(col(PushSubscription.id).in_(gone))
            .execution_options(synchronize_session=False)
        )
    if delivered:
        db.exec(
            update(PushSubscription)
            .where(col(PushSubscription.id).in_(delivered))
            .values(last_success_at=now)
            .execution_options(synchronize_session=False)
        )
    problems = [o for _, o in results if not o.ok and not o.gone]
    if delivered:
        note = problems[0].reason if problems else None
        return _counted(outbox.sent(db, row, now, note), "sent")
    if not problems:
        reason = "Every push subscription of this consumer is gone (404/410 from the service)."
        return _counted(outbox.skipped(db, row, reason), "skipped")
    retry_after = max((o.retry_after for o in problems if o.retry_after), default=None)
    return _failure(
        db,
        row,
        problems[0].reason,
        now,
        cfg,
        retry=any(o.retry for o in problems),
        retry_after=retry_after,
    )


def _failure(
    db: Session,
    row: Notification,
    reason: str,
    now: datetime,
    cfg: NotifyConfig,
    *,
    retry: bool,
    retry_after: datetime | None = None,
) -> str:
    written = outbox.failed(
        db,
        row,
        reason,
        now,
        retry=retry,
        max_attempts=cfg.max_attempts,
        retry_base=cfg.retry_base,
        retry_after=retry_after,
    )
    final = not retry or row.attempts >= cfg.max_attempts
    return _counted(written, "failed" if final else "retry")
