"""The notification settings of a deployment, read from ``app.config`` into one value.

Every key is a ``PLAZA_*`` setting of :data:`app.config.SETTINGS` (``PLAZA_SMTP_URL``,
``PLAZA_NOTIFY_BATCH=500``), with its default and help there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from flask import Flask


@dataclass(frozen=True)
class NotifyConfig:
    smtp_url: str | None
    smtp_timeout: float
    base_url: str
    mail_from: str
    vapid_subject: str
    tick_seconds: int
    batch: int
    concurrency: int
    lease: timedelta
    max_attempts: int
    retry_base: timedelta
    instant_min_score: float
    instant_per_run: int
    card_max_age: timedelta
    digest_hour: int
    digest_size: int
    push_ttl: int
    push_timeout: float
    push_max_hold: timedelta
    push_ca_certs: str | None
    fetch_allow: str

    @classmethod
    def from_app(cls, app: Flask) -> NotifyConfig:
        c = app.config
        base_url = str(c["NOTIFY_BASE_URL"]).rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError("NOTIFY_BASE_URL must be an http:// or https:// address.")
        return cls(
            smtp_url=c["SMTP_URL"] or None,
            smtp_timeout=float(c["SMTP_TIMEOUT"]),
            base_url=base_url,
            mail_from=str(c["NOTIFY_MAIL_FROM"]),
            vapid_subject=str(c["NOTIFY_VAPID_SUBJECT"]),
            tick_seconds=int(c["NOTIFY_TICK_SECONDS"]),
            batch=int(c["NOTIFY_BATCH"]),
            concurrency=max(1, int(c["NOTIFY_CONCURRENCY"])),
            lease=timedelta(seconds=float(c["NOTIFY_LEASE_SECONDS"])),
            max_attempts=max(1, int(c["NOTIFY_MAX_ATTEMPTS"])),
            retry_base=timedelta(seconds=float(c["NOTIFY_RETRY_SECONDS"])),
            instant_min_score=float(c["NOTIFY_INSTANT_MIN_SCORE"]),
            instant_per_run=int(c["NOTIFY_INSTANT_PER_RUN"]),
            card_max_age=timedelta(hours=float(c["NOTIFY_CARD_MAX_AGE_HOURS"])),
            digest_hour=int(c["NOTIFY_DIGEST_HOUR"]) % 24,
            digest_size=max(1, int(c["NOTIFY_DIGEST_SIZE"])),
            push_ttl=int(c["NOTIFY_PUSH_TTL"]),
            push_timeout=float(c["NOTIFY_PUSH_TIMEOUT"]),
            push_max_hold=timedelta(seconds=float(c["NOTIFY_PUSH_MAX_HOLD_SECONDS"])),
            push_ca_certs=c["NOTIFY_PUSH_CA_CERTS"] or None,
            fetch_allow=str(c.get("FETCH_ALLOW") or ""),
        )


def notify_config(app: Flask) -> NotifyConfig:
    """The parsed settings; cheap enough to read afresh, so a changed config is seen."""
    return NotifyConfig.from_app(app)
