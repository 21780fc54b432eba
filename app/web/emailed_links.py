"""Emailed (or shared) links whose secret leaves the address bar at once.

A link in an email must carry its secret, and in the path it reaches places a secret
should not: the access log of every proxy on the way, the browser's history, and the
``Referer`` of anything the page loads or links to. So the link's page, at its first
GET, moves the secret into the session (a signed cookie, which logs do not keep) and
redirects to the same page without it; reloading, going back and every later request
name only the token-free address. The page reads the secret from the session, and
forgets it once it is used or found invalid.

A link may carry two secrets (an invitation's, and the token of the sign-up it led to):
the page keeps one and stashes the other. Logging in keeps the secrets of the links the
browser is following (:func:`followed_links`), so a link that asks its holder to log in
first still works once they have.
"""

from __future__ import annotations

from flask import redirect, session
from werkzeug.wrappers import Response

MAX_SECRET = 512  # a link's secret is far shorter; anything longer is not kept


def _key(name: str) -> str:
    return f"link:{name}"


def keep_secret(name: str, secret: str) -> None:
    """Keep ``secret`` in the session under ``name``."""
    session[_key(name)] = secret[:MAX_SECRET]


def stash_secret(name: str, secret: str, target: str) -> Response:
    """Keep ``secret`` in the session under ``name`` and send the browser to ``target``,
    the page without the secret in its address."""
    keep_secret(name, secret)
    response = redirect(target, code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def stashed_secret(name: str) -> str:
    """The secret the link named ``name`` left in the session ("" when none did)."""
    value = session.get(_key(name))
    return value if isinstance(value, str) else ""


def forget_secret(name: str) -> None:
    session.pop(_key(name), None)


def followed_links() -> dict[str, str]:
    """Every secret the links this browser is following left in the session, as session
    items, for a fresh session to start with."""
    return {key: value for key, value in session.items() if key.startswith(_key(""))}
