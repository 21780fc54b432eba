"""Starting a signed-in session: always a fresh one."""

from __future__ import annotations

from flask import session
from flask_login import login_user

from app.models import User


def begin_session(user: User) -> None:
    """Sign ``user`` in on a fresh session: nothing the browser's session held before
    (a value planted by someone who had the browser, the CSRF token of the signed-out
    pages) survives, and the session cookie changes. Called at every login and when an
    account's powers change (joining an organisation)."""
    session.clear()
    login_user(user, remember=True)
