"""Changes a person makes to their own account: name, email address, password.

Each returns what the page tells the person, or raises AccountError with the reason;
nothing changes on a refusal. Emails about a change go out through :mod:`.mail`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import delete
from sqlmodel import Session, col

from app.accounts import throttle
from app.accounts.links import issue_link, spend_links, use_link
from app.accounts.lookalikes import skeleton
from app.accounts.mail import queue_account_mail
from app.accounts.passwords import hash_password, password_problem, verify_password
from app.accounts.sessions import end_sessions
from app.accounts.users import AccountError, find_user, lookalike_user, normalise_email
from app.models import LoginAttempt, TokenPurpose, User, stored_id
from app.notifications.config import notify_config

WRONG_PASSWORD = "That is not your current password."  # noqa: S105 (a message)
EMAIL_CHANGES = 5  # confirmation emails an account may send to new addresses an hour
EMAIL_CHANGE_WINDOW = timedelta(hours=1)


def _link(endpoint: str, secret: str) -> str:
    return notify_config(current_app).base_url + url_for(endpoint, token=secret)


def masked(email: str) -> str:
    """``s***@example.com``: enough for its owner to recognise, not to copy."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def set_display_name(db: Session, user: User, name: str) -> None:
    cleaned = " ".join("".join(ch for ch in name if ch.isprintable()).split())
    if len(cleaned) > 100:
        raise AccountError("Use at most 100 characters.")
    user.display_name = cleaned
    db.commit()


def request_email_change(
    db: Session, user: User, new_email: str, password: str, now: datetime
) -> str:
    """Send a confirmation link to the new address and a notice to the current one.

    An address that already has an account gets a notice instead of a link, and the
    person asking sees the same answer either way: whether someone else uses an
    address is not theirs to learn from this form (the confirmation link says it).
    """
    key = throttle.user_key("email-change", stored_id(user))
    if throttle.attempts(db, key, EMAIL_CHANGE_WINDOW, now) >= EMAIL_CHANGES:
        raise AccountError(
            "You asked for several address changes in the last hour. Follow the link "
            "in the latest email, or try again in an hour."
        )
    if not verify_password(user.password_hash, password):
        raise AccountError(WRONG_PASSWORD)
    address = normalise_email(new_email)
    throttle.count(db, key, now)
    db.commit()
    if address == user.email:
        raise AccountError("That is already your address.")
    lookalike = lookalike_user(db, address)
    if lookalike is not None and lookalike.id != user.id and find_user(db, address) is None:
        # It cannot be told apart on a screen from another account's address.
        queue_account_mail(
            db,
            address,
            "This address cannot be used on Plaza",
            "signup_lookalike",
            now,
            what="move a Plaza account to this address",
        )
    elif find_user(db, address) is None:
        secret = issue_link(db, user, TokenPurpose.CONFIRM_EMAIL, now, new_email=address)
        queue_account_mail(
            db,
            address,
            "Confirm your new Plaza address",
            "confirm_email",
            now,
            link=_link("account.confirm_email_link", secret),
        )
    else:
        queue_account_mail(db, address, "Your address and Plaza", "email_in_use", now)
    queue_account_mail(
        db,
        user.email,
        "Your Plaza address is changing",
        "email_change_notice",
        now,
        new=masked(address),
    )
    return (
        f"We sent a link to {address}. Your address changes when you follow it "
        "(within a day); until then you keep signing in with the current one."
    )


def confirm_email_change(db: Session, secret: str, now: datetime) -> User:
    """Move the account to the address its link was sent to; raises LinkInvalid or
    AccountError (the address was taken meanwhile) and changes nothing then."""
    token = use_link(db, secret, TokenPurpose.CONFIRM_EMAIL, now)
    user = db.get(User, token.user_id)
    if user is None or token.new_email is None:
        db.rollback()
        raise AccountError("This account no longer exists.")
    lookalike = lookalike_user(db, token.new_email)
    taken = lookalike is not None and lookalike.id != user.id
    if find_user(db, token.new_email) is not None or taken:
        db.rollback()
        raise AccountError(
            f"{token.new_email} now belongs to another Plaza account, so your address "
            "stays as it was."
        )
    # The old address's login attempts would outlive the account's deletion otherwise.
    db.exec(delete(LoginAttempt).where(col(LoginAttempt.email) == user.email))
    user.email = token.new_email
    user.email_skeleton = skeleton(token.new_email)
    db.commit()
    return user


def _set_password(
    db: Session, user: User, new_password: str, now: datetime, *, keep_session: int | None
) -> None:
    """Set the password; every browser signed in to the account but ``keep_session``
    is signed out (whoever learned the old password may be one of them)."""
    problem = password_problem(new_password)
    if problem:
        raise AccountError(f"The new password is too weak. {problem}")
    user.password_hash = hash_password(new_password)
    end_sessions(db, stored_id(user), keep=keep_session)
    spend_links(db, stored_id(user), TokenPurpose.RESET_PASSWORD, now)
    db.commit()
    queue_account_mail(db, user.email, "Your Plaza password was changed", "password_changed", now)


def change_password(
    db: Session,
    user: User,
    current: str,
    new_password: str,
    now: datetime,
    *,
    keep_session: int | None,
) -> None:
    """Replace the password; every other browser of the account is signed out, the one
    that changed it (``keep_session``) goes on."""
    if not verify_password(user.password_hash, current):
        raise AccountError(WRONG_PASSWORD)
    _set_password(db, user, new_password, now, keep_session=keep_session)


def request_reset(db: Session, email: str, now: datetime) -> None:
    """Email a reset link when an account has that address; nothing otherwise (the page
    answers the same, so it tells no one whether an address has an account)."""
    user = find_user(db, email)
    if user is None or not user.active:
        return
    secret = issue_link(db, user, TokenPurpose.RESET_PASSWORD, now)
    queue_account_mail(
        db,
        user.email,
        "Choose a new Plaza password",
        "reset_password",
        now,
        link=_link("account.reset_password_link", secret),
    )


def reset_password(db: Session, secret: str, new_password: str, now: datetime) -> User:
    """Set a new password with a reset link; raises LinkInvalid or AccountError."""
    problem = password_problem(new_password)
    if problem:  # before the link is spent, so the person can try again with it
        raise AccountError(f"The new password is too weak. {problem}")
    token = use_link(db, secret, TokenPurpose.RESET_PASSWORD, now)
    user = db.get(User, token.user_id)
    if user is None:
        db.rollback()
        raise AccountError("This account no longer exists.")
    _set_password(db, user, new_password, now, keep_session=None)
    return user
