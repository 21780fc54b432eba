"""Signed-in browsers: a fresh session at every login, one row per browser, each one
endable on its own.

A login stores a :class:`BrowserSession` row and puts ``"<row id>:<secret>"`` where
Flask-Login keeps its user id (its "alternative id"): in the session cookie and, when
the person asked to be remembered, in the remember-me cookie. Only a digest of the
secret is stored. A cookie is honoured while its row exists and has not expired, so
deleting a row (a logout, "sign out" next to a device on the account page, "sign out
everywhere", a password change) ends that browser at its next request, whichever of
its cookies, or a copy of them, comes back; other browsers go on.

Reading a cookie is one primary-key read (the row joined with its account). The row's
``last_seen_at`` and sliding ``expires_at`` are written at most every
:data:`TOUCH_EVERY`, never on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, request, session
from flask_login import login_user
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.accounts.throttle import client_ip
from app.db import rows_changed
from app.models import BrowserSession, User, stored_id
from app.web.devices import device_name
from app.web.emailed_links import followed_links

TOUCH_EVERY = timedelta(minutes=5)
SESSION_KEY = "_user_id"  # where Flask-Login keeps the id it restores the user from
# The account this browser signed in to, kept in the signed session cookie beside the
# session's key: once the session row is gone (a ban ends every one of them), the
# next request can still tell whose it was and say why it ended.
ACCOUNT_KEY = "_account"


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def lifetime(remembered: bool) -> timedelta:
    """How long a browser stays signed in after it was last seen: as long as the
    remember-me cookie lasts when remembered, the session's lifetime otherwise."""
    name = "REMEMBER_COOKIE_DURATION" if remembered else "PERMANENT_SESSION_LIFETIME"
    duration: timedelta = current_app.config[name]
    return duration


def begin_session(db: Session, user: User, *, remember: bool, now: datetime) -> int:
    """Sign ``user`` in on a fresh session, as a new row; returns the row's id (commits).

    Nothing the browser's session held before (a value planted by someone who had the
    browser, the CSRF token of the signed-out pages) survives but the secrets of the
    emailed or shared links it is following (:func:`~app.web.emailed_links.followed_links`:
    an invitation opened signed out is joined after logging in), the session cookie
    changes, and the browser's earlier row, if any, is deleted. Called at every login
    and when an account's powers change.

    ``remember`` is the person's choice (remember-me is opt-in): only then does a
    remember-me cookie outlive the browser's session; without it, any earlier one the
    browser kept is deleted."""
    previous = current_session_id()
    if previous is not None:
        end_session(db, stored_id(user), previous)
    secret = secrets.token_urlsafe(32)
    row = BrowserSession(
        user_id=stored_id(user),
        token_hash=_digest(secret),
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime(remember),
        remembered=remember,
        device=device_name(request.headers.get("User-Agent", "")[:500]),
        network=coarse_network(client_ip()),
    )
    db.add(row)
    db.commit()
    links = followed_links()
    session.clear()
    session.update(links)
    if not remember:
        session["_remember"] = "clear"  # Flask-Login deletes the cookie with the response
    login_user(user, remember=remember)
    # The cookies carry the browser session's key, never the account id alone.
    session[SESSION_KEY] = f"{row.id}:{secret}"
    session[ACCOUNT_KEY] = stored_id(user)
    return stored_id(row)


def user_for_cookie(db: Session, value: str, now: datetime) -> User | None:
    """The active account a session or remember-me cookie signs in, while its browser
    session exists and has not expired."""
    session_id, _, secret = value.partition(":")
    if not session_id.isdigit() or len(session_id) > 18 or not 0 < len(secret) <= 100:
        return None
    found = db.exec(
        select(BrowserSession, User)
        .join(User, col(User.id) == BrowserSession.user_id)
        .where(BrowserSession.id == int(session_id))
    ).first()
    if found is None:
        return None
    row, user = found
    if not hmac.compare_digest(row.token_hash, _digest(secret)):
        return None
    if row.expires_at <= now or not user.active:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        db.exec(
            update(BrowserSession)
            .where(col(BrowserSession.id) == row.id)
            .values(last_seen_at=now, expires_at=now + lifetime(row.remembered))
        )
        db.commit()
    return user


def ended_session_account() -> int | None:
    """The account this browser's session was signed in to, when that session has
    ended but the browser still holds its cookie (forgotten once read)."""
    account = session.pop(ACCOUNT_KEY, None)
    return account if isinstance(account, int) else None


def current_session_id() -> int | None:
    """The id of this browser's session row, once a cookie signed it in."""
    value = session.get(SESSION_KEY)
    if not isinstance(value, str):
        return None
    session_id = value.partition(":")[0]
    return int(session_id) if session_id.isdigit() and len(session_id) <= 18 else None


def remembered() -> bool:
    """Whether this browser sent a remember-me cookie (its session was remembered)."""
    return current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies


def end_session(db: Session, user_id: int, session_id: int) -> bool:
    """Sign out one browser of account ``user_id`` (commits); False when it has no such
    session (another account's id changes nothing)."""
    ended = db.exec(
        delete(BrowserSession).where(
            col(BrowserSession.id) == session_id, col(BrowserSession.user_id) == user_id
        )
    )
    db.commit()
    return rows_changed(ended) == 1


def end_sessions(db: Session, user_id: int, *, keep: int | None) -> int:
    """Sign out every browser of the account but the session ``keep`` (None: all of
    them); how many were signed out. The caller commits."""
    condition = col(BrowserSession.user_id) == user_id
    if keep is not None:
        condition = condition & (col(BrowserSession.id) != keep)
    return rows_changed(db.exec(delete(BrowserSession).where(condition)))


def end_other_sessions(db: Session, user: User) -> int:
    """Every other browser of ``user`` is signed out; this one goes on (commits)."""
    ended = end_sessions(db, stored_id(user), keep=current_session_id())
    db.commit()
    return ended


def prune_sessions(db: Session, now: datetime) -> int:
    """Delete the sessions that expired (the caller commits); how many."""
    return rows_changed(
        db.exec(delete(BrowserSession).where(col(BrowserSession.expires_at) <= now))
    )


@dataclass(frozen=True)
class SignedIn:
    """A browser signed in to the account, as the account page lists it."""

    id: int
    device: str
    network: str
    last_seen_at: datetime
    created_at: datetime
    remembered: bool
    this_one: bool


def signed_in_browsers(db: Session, user_id: int, now: datetime) -> list[SignedIn]:
    """The account's live sessions, this browser first, then the most recently seen."""
    current = current_session_id()
    rows = db.exec(
        select(BrowserSession).where(
            BrowserSession.user_id == user_id, col(BrowserSession.expires_at) > now
        )
    ).all()
    browsers = [
        SignedIn(
            id=stored_id(row),
            device=row.device,
            network=row.network,
            last_seen_at=row.last_seen_at,
            created_at=row.created_at,
            remembered=row.remembered,
            this_one=row.id == current,
        )
        for row in rows
    ]
    return sorted(browsers, key=lambda b: (not b.this_one, -b.last_seen_at.timestamp()))


def coarse_network(address: str) -> str:
    """The client's network, not its address: IPv4 to /24, IPv6 to /48. Enough for a
    person to tell home from elsewhere, less than a precise address to keep."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


# Reasons an account with the right password still gets no session (a suspension, a
# ban): each area that can keep people out registers a check, so accounts needs to
# know none of them. A check returns the message to show, or None.
LoginRefusal = Callable[[Session, User, datetime], str | None]
LOGIN_REFUSALS: list[LoginRefusal] = []


def refuse_login_when(check: LoginRefusal) -> LoginRefusal:
    LOGIN_REFUSALS.append(check)
    return check


def login_refusal(db: Session, user: User, now: datetime) -> str | None:
    """Why ``user`` may not sign in now, if some area says so."""
    for check in LOGIN_REFUSALS:
        message = check(db, user, now)
        if message is not None:
            return message
    return None
