"""Signed-in sessions: always a fresh one at login, and ones that can be ended.

Flask-Login stores :meth:`User.get_id` (``"<id>:<session token>"``, its "alternative
id") in the session cookie and, when the person asked to be remembered, in the
remember-me cookie. A cookie is honoured only while the token it carries is the
account's current one, so replacing the token (at logout, at a password change, with
"sign out everywhere") makes every copy of every earlier cookie worthless at its next
request, on whatever device it was kept, and without a list of sessions to keep.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import datetime

from flask import current_app, request, session
from flask_login import login_user
from sqlmodel import Session

from app.models import User


def begin_session(user: User, *, remember: bool) -> None:
    """Sign ``user`` in on a fresh session: nothing the browser's session held before
    (a value planted by someone who had the browser, the CSRF token of the signed-out
    pages) survives, and the session cookie changes. Called at every login and when an
    account's powers change (joining an organisation).

    ``remember`` is the person's choice (remember-me is opt-in): only then does a
    remember-me cookie outlive the browser's session; without it, any earlier one the
    browser kept is deleted."""
    session.clear()
    if not remember:
        session["_remember"] = "clear"  # Flask-Login deletes the cookie with the response
    login_user(user, remember=remember)


def user_for_cookie(db: Session, value: str) -> User | None:
    """The active account a session or remember-me cookie names, if its token is current."""
    user_id, _, token = value.partition(":")
    if not user_id.isdigit() or not token or len(user_id) > 18:
        return None
    user = db.get(User, int(user_id))
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def remembered() -> bool:
    """Whether this browser sent a remember-me cookie (its session was remembered)."""
    return current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies


def end_other_sessions(db: Session, user: User) -> None:
    """Every other session and remember-me cookie of ``user`` stops working; this one
    goes on with the new token (and stays remembered if it was)."""
    user.end_sessions()
    db.commit()
    login_user(user, remember=remembered())


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
