"""Links sent by email that act for an account once: a password reset (valid an hour),
a new address to confirm (valid a day).

Only a SHA-256 digest of each link's secret is stored: the secret has 256 random bits,
so the digest cannot be reversed, and a copy of the database opens no account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.db import rows_changed
from app.models import AccountToken, TokenPurpose, User, stored_id

VALID_FOR = {
    TokenPurpose.RESET_PASSWORD: timedelta(hours=1),
    TokenPurpose.CONFIRM_EMAIL: timedelta(hours=24),
}


class LinkInvalid(ValueError):
    """The link cannot be used; the message says why, for a person."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_link(
    db: Session, user: User, purpose: TokenPurpose, now: datetime, new_email: str | None = None
) -> str:
    """A new link's secret (the caller commits). Earlier links of the same purpose stop
    working: only the newest reset or confirmation email counts."""
    spend_links(db, stored_id(user), purpose, now)
    secret = secrets.token_urlsafe(32)
    db.add(
        AccountToken(
            user_id=stored_id(user),
            purpose=purpose,
            token_hash=_digest(secret),
            new_email=new_email,
            created_at=now,
            expires_at=now + VALID_FOR[purpose],
        )
    )
    return secret


def spend_links(db: Session, user_id: int, purpose: TokenPurpose, now: datetime) -> None:
    db.exec(
        update(AccountToken)
        .where(
            col(AccountToken.user_id) == user_id,
            col(AccountToken.purpose) == purpose,
            col(AccountToken.used_at).is_(None),
        )
        .values(used_at=now)
    )


def find_link(db: Session, secret: str, purpose: TokenPurpose, now: datetime) -> AccountToken:
    """The unused, unexpired link ``secret`` names; raises LinkInvalid otherwise."""
    token = None
    if 0 < len(secret) <= 100:
        token = db.exec(
            select(AccountToken).where(
                AccountToken.token_hash == _digest(secret), AccountToken.purpose == purpose
            )
        ).first()
    if token is None:
        raise LinkInvalid("This link is not valid. Check that it was copied whole.")
    if token.used_at is not None:
        raise LinkInvalid("This link was already used. Each link works once.")
    if token.expires_at <= now:
        raise LinkInvalid("This link has expired.")
    return token


def use_link(db: Session, secret: str, purpose: TokenPurpose, now: datetime) -> AccountToken:
    """Spend the link (and every other of its purpose for the account); the caller commits.

    The spending is one conditional UPDATE, so of two requests racing with one link only
    one gets it."""
    token = find_link(db, secret, purpose, now)
    spent = db.exec(
        update(AccountToken)
        .where(col(AccountToken.id) == token.id, col(AccountToken.used_at).is_(None))
        .values(used_at=now)
    )
    if not rows_changed(spent):
        raise LinkInvalid("This link was already used. Each link works once.")
    spend_links(db, token.user_id, purpose, now)
    return token
