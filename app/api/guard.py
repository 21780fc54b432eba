"""What every API request passes before its view: size, token, scope, rate limit.

Only a bearer token authenticates: the session cookie a browser may also
send is never read, so a logged-in page cannot be tricked into calling the
API (which is why the API needs no CSRF token). A revoked or unknown token
is a 401, a read-only token trying to write is a 403, and a token over its
limit is a 429 with ``Retry-After``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

from flask import current_app, g, request
from sqlalchemy import update
from sqlmodel import col

from app import db
from app.api.problems import ApiProblem
from app.api.ratelimit import count_request
from app.models import Organization
from app.models.partners import ApiToken, TokenScope
from app.partners.orgs import SUSPENDED_NOTICE
from app.partners.tokens import active_token

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="plaza"'}


def setting(name: str) -> Any:
    """A ``PLAZA_API_*`` setting (see app.config.SETTINGS)."""
    return current_app.config[name]


def organization() -> Organization:
    """The organisation whose token made the current request."""
    return cast(Organization, g.api_organization)


def check_request() -> None:
    """The API blueprint's ``before_request``."""
    request.max_content_length = setting("API_MAX_BODY_BYTES")
    if request.endpoint in PUBLIC_ENDPOINTS or request.method == "OPTIONS":
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiProblem(
            401, "Send an API token as 'Authorization: Bearer <token>'.", (), CHALLENGE
        )
    session = db.session()
    token = active_token(session, secret.strip())
    if token is None:
        raise ApiProblem(401, "This token is not valid or has been revoked.", (), CHALLENGE)
    now = datetime.now(UTC)
    decision = count_request(
        session,
        token.id or 0,
        now,
        limit=setting("API_RATE_LIMIT"),
        window_seconds=setting("API_RATE_WINDOW_SECONDS"),
    )
    if not decision.allowed:
        raise ApiProblem(
            429,
            f"This token made more than {setting('API_RATE_LIMIT')} requests in "
            f"{setting('API_RATE_WINDOW_SECONDS')} seconds; wait before trying again.",
            (),
            {"Retry-After": str(decision.reset_seconds)},
        )
    if request.method not in READ_METHODS and token.scope != TokenScope.WRITE:
        raise ApiProblem(403, "This token may only read; create a token with the write scope.")
    _note_use(token, now)
    owner = session.get(Organization, token.organization_id)
    assert owner is not None  # tokens go with their organisation (ON DELETE CASCADE)
    if owner.suspended_at is not None and request.method not in READ_METHODS:
        raise ApiProblem(403, SUSPENDED_NOTICE)
    g.api_organization = owner


def _note_use(token: ApiToken, now: datetime) -> None:
    """Record when the token was last used, at most once a minute (commits)."""
    last = token.last_used_at
    if last is not None and (now - last).total_seconds() < 60:
        return
    session = db.session()
    session.execute(update(ApiToken).where(col(ApiToken.id) == token.id).values(last_used_at=now))
    session.commit()
