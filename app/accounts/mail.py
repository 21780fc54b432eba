"""Emails about an account (a sign-up link, a reset link, an address to confirm, a
notice of a change), queued in their own outbox and sent by the worker through the SMTP
server of ``PLAZA_SMTP_URL``, with retries as notifications have. Every one is rendered
from ``templates/account/email/`` when it is asked for.

Why an outbox of their own (:class:`AccountMail`) and not the notifications': a sign-up
link goes to an address no account has yet, and these emails ignore every notification
setting. Why an outbox at all: an email only handed to a thread of the web process was
lost with that process; a row waits for a server that is down, and is sent when it is
back (:func:`deliver_account_mail`, claimed and retried as :mod:`app.notifications.outbox`
does it).

A link's secret is in the row's text until it is sent: then the text and the recipient
are blanked (also when sending is given up), so the table keeps a link no longer than it
must. Queueing is one insert, so a page answers as fast whether or not it sends one (a
reset asked for an address with an account, or without). Nothing about the recipient is
logged.

Without an SMTP server (development), nothing can be sent: the worker logs which email
was not sent, never its recipient or its link (a log is read by more people, and kept
longer, than a mailbox). A developer who wants to follow links points
``PLAZA_SMTP_URL`` at a local catcher such as ``python -m aiosmtpd -n``.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from flask import Flask, current_app, render_template
from sqlmodel import Session

from app.db import engine
from app.models import AccountMail, State
from app.notifications import outbox
from app.notifications.config import NotifyConfig, notify_config
from app.notifications.outcome import Outcome
from app.notifications.smtp import SmtpSender, SmtpServer, SmtpUrlError

log = logging.getLogger(__name__)

BATCH = 50  # emails claimed at a time; each is recorded as soon as the server answers
NOT_SET_UP = "Email is not set up on this server (PLAZA_SMTP_URL)."
BLANK = {"to_address": "", "body": ""}  # what a row forgets once it is done with


def queue_account_mail(
    db: Session, to: str, subject: str, template: str, now: datetime, **context: object
) -> None:
    """Queue ``templates/account/email/<template>.txt`` for ``to``; commits, with
    whatever the caller added (a link's digest and its email are stored together)."""
    context = {"base_url": notify_config(current_app).base_url, **context}
    db.add(
        AccountMail(
            to_address=to,
            subject=subject,
            body=render_template(f"account/email/{template}.txt", **context),
            template=template,
            state=State.PENDING,
            due_at=now,
            created_at=now,
        )
    )
    db.commit()


def absolute_url(path: str) -> str:
    """``path`` on Plaza's public address (``PLAZA_NOTIFY_BASE_URL``), for links in email."""
    return notify_config(current_app).base_url + path


def send_queued(app: Flask, clock: Callable[[], datetime] | None = None) -> Counter[str]:
    """Send every account email that is due, a batch at a time (the worker's job)."""
    cfg = notify_config(app)
    total: Counter[str] = Counter()
    with app.app_context(), Session(engine(), expire_on_commit=False) as db:
        while tally := deliver_account_mail(db, cfg, clock or _utcnow):
            total.update(tally)
    return total


def _utcnow() -> datetime:
    return datetime.now(UTC)


def deliver_account_mail(
    db: Session, cfg: NotifyConfig, clock: Callable[[], datetime]
) -> Counter[str]:
    """Claim one batch of due account emails and send it; returns what became of them."""
    rows = outbox.claim(db, clock(), BATCH, cfg.lease, AccountMail)
    tally: Counter[str] = Counter()
    if not rows:
        return tally
    sender = _sender(cfg)
    if sender is None:
        for row in rows:
            log.error("PLAZA_SMTP_URL is not set: an account email (%s) was not sent", row.template)
            outbox.finish(db, row, state=State.FAILED, reason=NOT_SET_UP, **BLANK)
            tally["failed"] += 1
        db.commit()
        return tally
    by_id = {row.id or 0: row for row in rows}
    unreported = set(by_id)

    def record(row_id: int, result: Outcome) -> None:
        unreported.discard(row_id)
        tally[_record(db, by_id[row_id], result, clock(), cfg)] += 1
        db.commit()

    try:
        sender.send_all([(row.id or 0, _message(row, cfg)) for row in rows], record)
    except Exception:
        log.exception("sending account email failed")
    for row_id in sorted(unreported):
        record(row_id, Outcome(False, "Plaza hit an internal error sending email.", retry=True))
    return tally


def _sender(cfg: NotifyConfig) -> SmtpSender | None:
    if not cfg.smtp_url:
        return None
    try:
        return SmtpSender(SmtpServer.from_url(cfg.smtp_url), cfg.smtp_timeout)
    except SmtpUrlError:
        log.exception("account email is switched off")
        return None


def _message(row: AccountMail, cfg: NotifyConfig) -> EmailMessage:
    """The email of ``row``; the same Message-ID at every attempt, so a retry after a
    crash is recognisably the same message."""
    message = EmailMessage()
    message["From"] = cfg.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(cfg.mail_from)[1].rpartition("@")[2] or "plaza.invalid"
    message["Message-ID"] = f"<account.{row.id}@{domain}>"
    message.set_content(row.body)
    return message


def _record(
    db: Session, row: AccountMail, result: Outcome, now: datetime, cfg: NotifyConfig
) -> str:
    if result.ok:
        written = outbox.finish(db, row, state=State.SENT, sent_at=now, reason=None, **BLANK)
        return "sent" if written else "lost_lease"
    # A refusal may echo the address: that stays out of the row and the log.
    reason = "The mail server refused it." if "@" in result.reason else result.reason
    final = not result.retry or row.attempts >= cfg.max_attempts
    if final:
        log.error("an account email (%s) was not sent: %s", row.template, reason)
    written = outbox.failed(
        db,
        row,
        reason,
        now,
        retry=result.retry,
        max_attempts=cfg.max_attempts,
        retry_base=cfg.retry_base,
        to_address="",
        body="",
    )
    if not written:
        return "lost_lease"
    return "failed" if final else "retry"
