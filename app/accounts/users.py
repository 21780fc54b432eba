"""Creating accounts, shared by sign-up, the CLI and the demo data."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.lookalikes import hidden_characters, skeleton
from app.accounts.passwords import hash_password, password_problem
from app.models import Organization, Role, User


class AccountError(ValueError):
    """The account cannot be created; the message says why, for a person."""


class AccountExists(AccountError):
    """The address, or one that looks just like it, already has an account. Pages that
    anyone may use must not say so (that would tell who has an account here)."""


class WeakPassword(AccountError):
    """The password is too short, too long or too easy to guess."""


def normalise_email(email: str) -> str:
    """The address as Plaza stores it: NFKC (full-width letters are the plain ones),
    lower case; one with invisible or direction-changing characters is refused."""
    hidden = hidden_characters(email)
    if hidden:
        raise AccountError(
            f"That email address contains invisible or direction-changing characters "
            f"({', '.join(hidden[:3])}); type it again."
        )
    text = unicodedata.normalize("NFKC", email).strip()
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"{email!r} is not a valid email address.") from exc


def lookalike_user(db: Session, address: str) -> User | None:
    """An account whose address looks like ``address`` (the same skeleton)."""
    return db.exec(select(User).where(User.email_skeleton == skeleton(address))).first()


def _words_of(address: str) -> list[str]:
    """The parts of an address a guesser would try in its password."""
    local, _, domain = address.partition("@")
    return [address, local, *re.split(r"[._+-]", local), *domain.split(".")]


def find_user(db: Session, email: str) -> User | None:
    return db.exec(select(User).where(func.lower(User.email) == email.strip().lower())).first()


def create_user(
    db: Session,
    email: str,
    password: str,
    role: Role = Role.CONSUMER,
    organization: Organization | None = None,
) -> User:
    """Add a user (the caller commits); refuses a duplicate or weak password."""
    address = normalise_email(email)
    problem = password_problem(password, user_inputs=_words_of(address))
    if problem:
        raise WeakPassword(problem)
    if find_user(db, address):
        raise AccountExists(f"An account for {address} already exists.")
    if lookalike_user(db, address):
        raise AccountExists(
            f"{address} looks just like the address of another account; use another."
        )
    if role == Role.RETAILER and organization is None:
        raise AccountError("A retailer account belongs to an organisation: give --org.")
    user = User(
        email=address,
        email_skeleton=skeleton(address),
        password_hash=hash_password(password),
        role=role,
        organization_id=organization.id if organization else None,
    )
    db.add(user)
    db.flush()
    return user
