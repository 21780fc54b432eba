"""API tokens: issued per organisation with a scope, shown once, stored as a digest.

Shared by the portal's token page and ``plaza tokens create``, so both apply
the same rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from app.models import Organization, User, stored_id
from app.models.partners import ApiToken, TokenScope
from app.partners.secrets import digest, new_secret

TOKEN_PREFIX = "plaza_"  # noqa: S105 (a public prefix, not a secret)
HINT_LENGTH = len(TOKEN_PREFIX) + 6


class TokenProblem(ValueError):
    """The token cannot be issued; the message says why."""


def issue_token(
    db: Session,
    organization: Organization,
    scope: str,
    name: str,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret (the caller commits and shows the secret once)."""
    name = name.strip()
    if scope not in tuple(TokenScope):
        raise TokenProblem(f"Choose the scope {TokenScope.READ} or {TokenScope.WRITE}.")
    if not 1 <= len(name) <= 100:
        raise TokenProblem("Give the token a name of 1 to 100 characters, e.g. what uses it.")
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        organization_id=stored_id(organization),
        name=name,
        scope=scope,
        token_hash=digest(secret),
        hint=secret[:HINT_LENGTH],
        created_by_id=created_by.id if created_by else None,
    )
    db.add(token)
    db.flush()
    return token, secret


def active_token(db: Session, secret: str) -> ApiToken | None:
    """The unrevoked token with this secret, or None."""
    return db.exec(
        select(ApiToken).where(
            ApiToken.token_hash == digest(secret), col(ApiToken.revoked_at).is_(None)
        )
    ).first()


def tokens_of(db: Session, organization: Organization) -> list[ApiToken]:
    return list(
        db.exec(
            select(ApiToken)
            .where(ApiToken.organization_id == organization.id)
            .order_by(col(ApiToken.revoked_at).is_not(None), col(ApiToken.id).desc())
        )
    )


def revoke(token: ApiToken, now: datetime) -> None:
    if token.revoked_at is None:
        token.revoked_at = now
