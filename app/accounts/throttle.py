"""Throttling of account actions, counted in the database so that every limit holds
across every web process: login attempts that slow down, and rate limits on the
actions that send email or check a second factor.

**Logins** slow guessing down without locking anyone out. Failed logins are counted
per email and per client address, within ``PLAZA_LOGIN_WINDOW_SECONDS``. Past
``PLAZA_LOGIN_MAX_FAILURES`` for an email (``..._PER_IP`` for an address) each
further attempt must wait twice as long after the latest failure as the one before
(1 s, 2 s, 4 s, ... never more than the window): a guesser gets a handful of
tries an hour, and the account's owner waits seconds, not the whole window.

The client address is ``request.remote_addr``: behind a proxy every shopper shares
the proxy's, so Plaza believes ``X-Forwarded-For`` only as far as
``PLAZA_PROXY_COUNT`` says (:mod:`app.web.security`). Even so, many people share
one address (an office, a phone carrier's NAT); someone signing in from a browser
that signed in to the same account before carries a **known-device** cookie
(signed, set at each successful login), and their right password goes through
whatever strangers on their address, or guessers of their email, have done. A
wrong password from a known device forgets the device, so a stolen cookie buys
one unthrottled guess.

**Other account actions** (reset emails asked for, address changes, wrong second
factors) are counted as :class:`AccountThrottle` rows under a key such as
``reset-ip:<address>``; the caller refuses once :func:`attempts` within its window
reaches its limit. Keys of an email address keep a digest, never the address.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from flask import Request, current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import delete, func
from sqlmodel import Session, col, select
from werkzeug.wrappers import Response

from app.db import rows_changed
from app.models import AccountThrottle, LoginAttempt

DEVICE_COOKIE = "plaza_device"
DEVICE_LIFETIME = timedelta(days=365)
FIRST_DELAY_SECONDS = 1


# --- Logins ---------------------------------------------------------------------------


def wait_seconds(db: Session, email: str, ip: str, now: datetime) -> int:
    """How long this attempt must wait (0: go ahead), the longer of the email's and the
    address's slow-downs."""
    config = current_app.config
    window = config["LOGIN_WINDOW_SECONDS"]
    since = now - timedelta(seconds=window)
    waits = [0]
    for column, value, limit in (
        (LoginAttempt.email, email, config["LOGIN_MAX_FAILURES"]),
        (LoginAttempt.ip, ip, config["LOGIN_MAX_FAILURES_PER_IP"]),
    ):
        failures, latest = db.exec(
            select(func.count(), func.max(LoginAttempt.created_at)).where(
                column == value,
                LoginAttempt.succeeded == False,  # noqa: E712
                LoginAttempt.created_at > since,
            )
        ).one()
        if failures < limit or latest is None:
            continue
        latest = latest if latest.tzinfo else latest.replace(tzinfo=UTC)
        delay = min(window, FIRST_DELAY_SECONDS * 2 ** min(failures - limit, 32))
        waits.append(math.ceil((latest + timedelta(seconds=delay) - now).total_seconds()))
    return max(waits)


def describe_wait(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' * (seconds != 1)}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' * (minutes != 1)}"


def prune(db: Session, now: datetime, keep: timedelta) -> int:
    """Delete login attempts older than ``keep`` (the caller commits); how many went."""
    return rows_changed(
        db.execute(delete(LoginAttempt).where(col(LoginAttempt.created_at) < now - keep))
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="plaza.known-device")


def known_device(request: Request, user_id: int | None) -> bool:
    """Whether the browser signed in to account ``user_id`` before (its device cookie)."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or user_id is None:
        return False
    try:
        data = _serializer().loads(raw, max_age=int(DEVICE_LIFETIME.total_seconds()))
    except BadSignature:
        return False
    return isinstance(data, dict) and data.get("u") == user_id


def remember_device(response: Response, user_id: int) -> None:
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer().dumps({"u": user_id}),
        max_age=int(DEVICE_LIFETIME.total_seconds()),
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )


def forget_device(response: Response) -> None:
    response.delete_cookie(DEVICE_COOKIE)


# --- Rate limits of other account actions ---------------------------------------------


def client_ip() -> str:
    """The asking client's address (ProxyFix has corrected it behind trusted proxies)."""
    return request.remote_addr or "unknown"


def address_key(prefix: str, email: str) -> str:
    """A key for an email address that does not keep the address itself."""
    return f"{prefix}:{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:40]}"


def user_key(prefix: str, user_id: int) -> str:
    return f"{prefix}:{user_id}"


# Every key an account's own actions are counted under, for its deletion.
COMMUNITY_POSTS = "community-post"  # questions, answers and ideas (app.community.posting)
INVITATION_EMAILS = "invitation-email"  # portal invitations sent by email (app.partners.orgs)
USER_PREFIXES = ("two-factor", "email-change", COMMUNITY_POSTS, INVITATION_EMAILS)
ADDRESS_PREFIXES = ("reset-email", "signup-email")


def account_keys(user_id: int, email: str) -> list[str]:
    return [user_key(p, user_id) for p in USER_PREFIXES] + [
        address_key(p, email) for p in ADDRESS_PREFIXES
    ]


def attempts(db: Session, key: str, window: timedelta, now: datetime) -> int:
    """How many attempts ``key`` made within ``window`` before ``now``."""
    return db.exec(
        select(func.count()).where(
            AccountThrottle.key == key, col(AccountThrottle.created_at) > now - window
        )
    ).one()


def count(db: Session, key: str, now: datetime) -> None:
    """Count one attempt under ``key`` (the caller commits)."""
    db.add(AccountThrottle(key=key, created_at=now))


def within_limits(
    db: Session, limits: Sequence[tuple[str, int]], window: timedelta, now: datetime
) -> bool:
    """Whether each (key, limit) of ``limits`` made fewer than its limit of attempts within
    ``window``; if so, this attempt is counted under each key (the caller commits)."""
    if any(attempts(db, key, window, now) >= limit for key, limit in limits):
        return False
    for key, _limit in limits:
        count(db, key, now)
    return True


def forget(db: Session, key: str) -> None:
    db.exec(delete(AccountThrottle).where(col(AccountThrottle.key) == key))


def prune_throttle(db: Session, before: datetime) -> int:
    """Drop counted attempts older than ``before``, past every window (the caller
    commits; the retention job does); how many went."""
    return rows_changed(
        db.execute(delete(AccountThrottle).where(col(AccountThrottle.created_at) < before))
    )
