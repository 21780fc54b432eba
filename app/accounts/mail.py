"""Emails about an account (a sign-up link, a reset link, an address to confirm, a
notice of a change), sent at once through the SMTP server of ``PLAZA_SMTP_URL``, as
notifications are. Every one is rendered from ``templates/account/email/``.

They are not queued in the notification outbox: a link carries a secret that must not
be stored, and a confirmation goes to an address no account has yet. They are sent
from a background thread so that a request takes as long whether or not an email goes
out (a sign-up or a reset asked for an address with an account answers as fast as for
one without). Nothing about the recipient is logged.

Without an SMTP server (development), nothing can be sent: the message is written to
the log instead, so a developer can still follow a link; in production only the fact
that it could not be sent is logged, never the link.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage

from flask import current_app, render_template

from app.notifications.config import notify_config
from app.notifications.outcome import Outcome
from app.notifications.smtp import SmtpSender, SmtpServer, SmtpUrlError

log = logging.getLogger(__name__)
_sending = ThreadPoolExecutor(max_workers=2, thread_name_prefix="account-mail")


def send_account_mail(to: str, subject: str, template: str, **context: object) -> None:
    """Send ``templates/account/email/<template>.txt`` to ``to`` in the background."""
    cfg = notify_config(current_app)
    context = {"base_url": cfg.base_url, **context}
    message = EmailMessage()
    message["From"] = cfg.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(render_template(f"account/email/{template}.txt", **context))
    if not cfg.smtp_url:
        if current_app.config["ENV_NAME"] == "production":
            log.error("PLAZA_SMTP_URL is not set: an account email (%s) was not sent", template)
        else:
            log.warning("No PLAZA_SMTP_URL; this email was not sent:\n%s", message)
        return
    try:
        sender = SmtpSender(SmtpServer.from_url(cfg.smtp_url), cfg.smtp_timeout)
    except SmtpUrlError:
        log.exception("an account email (%s) was not sent", template)
        return
    _sending.submit(_send, sender, message, template)


def absolute_url(path: str) -> str:
    """``path`` on Plaza's public address (``PLAZA_NOTIFY_BASE_URL``), for links in email."""
    return notify_config(current_app).base_url + path


def _send(sender: SmtpSender, message: EmailMessage, template: str) -> None:
    def report(_row: int, outcome: Outcome) -> None:
        if not outcome.ok:  # a refusal may echo the address: that stays out of the log
            reason = "the server refused it" if "@" in outcome.reason else outcome.reason
            log.error("an account email (%s) was not sent: %s", template, reason)

    try:
        sender.send_all([(0, message)], report)
    except Exception:  # a thread's exception would otherwise vanish unseen
        log.exception("an account email (%s) was not sent", template)
