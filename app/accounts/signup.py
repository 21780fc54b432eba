"""Sign-up that does not tell who has an account.

Anyone may type any address into the sign-up form (or an invitation's), so the
answer must be the same whether or not the address has an account: "check your
inbox". What differs is the email, which only the address's owner reads:

* a new address gets a link (signed, for :data:`LINK_LIFETIME`) to choose a
  password, and the account is created then, by whoever holds the mailbox (so
  nobody can create an account in another person's name and password);
* an address that has an account, or looks just like one that has
  (:mod:`app.accounts.lookalikes`), gets a notice saying so, with the way to log
  in or reset the password instead.

The same applies to the signed-out form of an invitation link.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlmodel import Session

from app.accounts import throttle
from app.accounts.mail import absolute_url, queue_account_mail
from app.accounts.users import find_user, lookalike_user

LINK_LIFETIME = timedelta(hours=24)
# Emails the forms may send: anyone can type anyone's address, and a form that mails on
# every submit would let them fill that inbox. The same for every address, account or
# not, so the limit tells nothing either.
EMAIL_WINDOW = timedelta(hours=1)
EMAILS_PER_ADDRESS = 3
EMAILS_PER_IP = 20


class TooManyEmails(Exception):
    """The form asked for more emails than :data:`EMAIL_WINDOW` allows."""

    message = (
        "Several emails were sent to this address already. Look for them in your inbox "
        "(and spam folder), or try again in an hour."
    )
    retry_after = int(EMAIL_WINDOW.total_seconds())


class LinkInvalid(ValueError):
    """The link cannot be used; the message says why, for the person holding it."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="plaza.signup-link")


def make_link_token(email: str, **extra: Any) -> str:
    return _serializer().dumps({"e": email, **extra})


def read_link_token(token: str) -> dict[str, Any]:
    """What a sign-up link carries; raises LinkInvalid saying why it cannot be used."""
    try:
        data = _serializer().loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise LinkInvalid("This link has expired; sign up again for a new one.") from None
    except BadSignature:
        raise LinkInvalid("This link is not valid. Check that you copied all of it.") from None
    if not isinstance(data, dict) or not isinstance(data.get("e"), str):
        raise LinkInvalid("This link is not valid. Check that you copied all of it.")
    return data


def offer_account(
    db: Session,
    address: str,
    finish_path: str,
    *,
    ip: str,
    now: datetime,
    joining: str | None = None,
) -> None:
    """Email ``address`` what happens next: a link to ``finish_path`` (to choose a
    password) when it has no account yet, a notice when it has one or looks like one.
    ``joining`` names the organisation of an invitation. Raises TooManyEmails past the
    limits of the address and of the asking ``ip``."""
    limits = (
        (throttle.address_key("signup-email", address), EMAILS_PER_ADDRESS),
        (f"signup-ip:{ip}"[:100], EMAILS_PER_IP),
    )
    if not throttle.within_limits(db, limits, EMAIL_WINDOW, now):
        raise TooManyEmails
    db.commit()
    what = f"join {joining} on Plaza" if joining else "create a Plaza account"
    if find_user(db, address) is not None:
        login = absolute_url(url_for("auth.login"))
        queue_account_mail(
            db,
            address,
            "You already have a Plaza account",
            "signup_taken",
            now,
            what=what,
            login=login,
            joining=joining,
        )
        return
    if lookalike_user(db, address) is not None:
        queue_account_mail(
            db,
            address,
            "This address cannot be used on Plaza",
            "signup_lookalike",
            now,
            what=f"{what} with this address",
        )
        return
    queue_account_mail(
        db,
        address,
        "Finish creating your Plaza account" if not joining else f"Join {joining} on Plaza",
        "signup_link",
        now,
        what=what,
        link=absolute_url(finish_path),
    )
