"""Rate limits for account actions (reset emails, second-factor codes), in the database
so that they hold across every web process, as login attempts are counted."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.db import rows_changed
from app.models import AccountThrottle


def address_key(prefix: str, email: str) -> str:
    """A key for an email address that does not keep the address itself."""
    return f"{prefix}:{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]}"


def user_key(prefix: str, user_id: int) -> str:
    return f"{prefix}:{user_id}"


# Every key an account's own actions are counted under, for its deletion.
USER_PREFIXES = ("two-factor", "email-change")
ADDRESS_PREFIXES = ("reset-email",)


def account_keys(user_id: int, email: str) -> list[str]:
    return [user_key(p, user_id) for p in USER_PREFIXES] + [
        address_key(p, email) for p in ADDRESS_PREFIXES
    ]


def attempts(db: Session, key: str, window: timedelta, now: datetime) -> int:
    return db.exec(
        select(func.count()).where(
            AccountThrottle.key == key, col(AccountThrottle.created_at) > now - window
        )
    ).one()


def count(db: Session, key: str, now: datetime) -> None:
    """Count one attempt under ``key`` (the caller commits)."""
    db.add(AccountThrottle(key=key, created_at=now))


def forget(db: Session, key: str) -> None:
    db.exec(delete(AccountThrottle).where(col(AccountThrottle.key) == key))


def prune_throttle(db: Session, before: datetime) -> int:
    """Drop attempts older than every window (the worker's retention job)."""
    result = db.exec(delete(AccountThrottle).where(col(AccountThrottle.created_at) < before))
    db.commit()
    return rows_changed(result)
