"""Signed one-click unsubscribe links: they work without a login, and only as issued.

The token names the consumer and is signed with the app's secret key (its own
salt, so no other signed value can pass for one). It has no expiry: an
unsubscribe link in a months-old email must still work.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "plaza.unsubscribe"


def make_token(secret_key: str, user_id: int) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps({"u": user_id})


def read_token(secret_key: str, token: str) -> int | None:
    """The consumer's id, or None for a token that was altered or never issued."""
    try:
        data = URLSafeSerializer(secret_key, salt=SALT).loads(token)
        user_id = data["u"]
    except (BadSignature, KeyError, TypeError):
        return None
    return user_id if isinstance(user_id, int) else None
