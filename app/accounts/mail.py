"""Email about an account itself (a sign-up link, a notice to its owner), sent at once
from the request through ``PLAZA_SMTP_URL``.

Without an SMTP server (development), nothing can be sent: the message is written
to the log instead, so a developer can still follow a sign-up link; in production
only the fact that it could not be sent is logged, never the link.
"""

from __future__ import annotations

import logging
from email.message import EmailMessage

from flask import current_app

from app.notifications.config import notify_config
from app.notifications.outcome import Outcome
from app.notifications.smtp import SmtpSender, SmtpServer

log = logging.getLogger(__name__)


def send_account_email(to: str, subject: str, body: str) -> bool:
    """Send one plain-text email; whether the server took it."""
    config = notify_config(current_app)
    message = EmailMessage()
    message["From"] = config.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if config.smtp_url is None:
        if current_app.config["ENV_NAME"] == "production":
            log.error("PLAZA_SMTP_URL is not set: an account email could not be sent")
        else:
            log.warning("No PLAZA_SMTP_URL; this email was not sent:\n%s", message)
        return False
    outcomes: list[Outcome] = []
    sender = SmtpSender(SmtpServer.from_url(config.smtp_url), current_app.config["SMTP_TIMEOUT"])
    sender.send_all([(0, message)], lambda _, outcome: outcomes.append(outcome))
    sent = bool(outcomes) and outcomes[0].ok
    if not sent:
        log.warning("an account email was not sent: %s", outcomes[0] if outcomes else "no outcome")
    return sent


def absolute_url(path: str) -> str:
    """``path`` on Plaza's public address (``PLAZA_NOTIFY_BASE_URL``), for links in email."""
    return notify_config(current_app).base_url + path
