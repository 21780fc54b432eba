"""Argon2id password hashing with cost settings from the app config."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# Not an Argon2 hash, so no password matches it: for accounts nobody signs in to.
UNUSABLE_PASSWORD_HASH = "!"  # noqa: S105 (the opposite of a password)


def _hasher() -> PasswordHasher:
    return PasswordHasher(
        time_cost=current_app.config["ARGON2_TIME_COST"],
        memory_cost=current_app.config["ARGON2_MEMORY_COST"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches. A stored value that is no Argon2 hash (such as
    :data:`UNUSABLE_PASSWORD_HASH`) never matches, after the same work as a real check,
    so a quick refusal does not tell that the account exists."""
    try:
        return _hasher().verify(password_hash, password)
    except VerificationError:
        return False
    except InvalidHashError:
        hash_password(password)
        return False


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    return None
