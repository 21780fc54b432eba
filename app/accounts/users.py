"""Creating accounts, shared by sign-up, the CLI and the demo data."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlmodel import Session, select

from app.accounts.passwords import hash_password, password_problem
from app.models import Organization, Role, User


class AccountError(ValueError):
    """The account cannot be created; the message says why, for a person."""


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise AccountError(f"{email!r} is not a valid email address.") from exc


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
    problem = password_problem(password)
    if problem:
        raise AccountError(f"The password is too weak. {problem}")
    if find_user(db, address):
        raise AccountError(f"An account for {address} already exists.")
    if role == Role.RETAILER and organization is None:
        raise AccountError("A retailer account belongs to an organisation: give --org.")
    user = User(
        email=address,
        password_hash=hash_password(password),
        role=role,
        organization_id=organization.id if organization else None,
    )
    db.add(user)
    db.flush()
    return user
