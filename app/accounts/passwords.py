"""Argon2id password hashing with cost settings from the app config."""

from __future__ import annotations

from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MIN_STRENGTH = 3  # zxcvbn's score, 0 to 4: 3 is "safely unguessable" for an online attack
ESTIMATE_CHARACTERS = 100
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


def password_problem(password: str, user_inputs: Iterable[str] = ()) -> str | None:
    """Why a new password is not acceptable, or None.

    Length alone lets ``aaaaaaaaaaaa`` and ``password1234`` through, so a password must
    also be hard to guess by zxcvbn's estimate (a score of at least
    :data:`MIN_STRENGTH` of 4): it knows common and breached passwords, words, names,
    dates, keyboard runs and repeats, and ``user_inputs`` (the email, say) as words a
    guesser would try first.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    # zxcvbn's work grows with the length; a guesser's does not need more than this.
    estimate = zxcvbn(password[:ESTIMATE_CHARACTERS], user_inputs=[*user_inputs, "plaza"])
    if estimate["score"] >= MIN_STRENGTH:
        return None
    feedback = estimate["feedback"]
    advice = [feedback.get("warning") or "", *(feedback.get("suggestions") or [])]
    hint = " ".join(a for a in advice if a) or "Add another word or two; uncommon words are better."
    return f"This password is too easy to guess. {hint}"
