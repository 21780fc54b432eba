"""Browsers' Web Push subscriptions: checked when they arrive, one row per endpoint.

A subscription is JSON a browser made (``PushSubscription.toJSON()``), but it
reaches us through a request anyone can forge, so every part is checked: an
endpoint of the shape the guarded client posts to (https, no credentials, no
host written as a number in an unusual form), a real P-256 public key and a
16-byte auth secret. The same browser subscribing again (or for another
account) updates its row instead of adding one.
"""

from __future__ import annotations

import binascii
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.models.notifications import PushSubscription
from app.notifications.vapid import b64url_decode
from feeds.fetch import FetchError
from feeds.post import parse_endpoint

MAX_DEVICES = 10
ENDPOINT_MAX = 2048


class InvalidSubscription(ValueError):
    """What is wrong with a subscription, in a sentence."""


@dataclass(frozen=True)
class SubscriptionInfo:
    endpoint: str
    p256dh: str
    auth: str


def parse_subscription(data: Any) -> SubscriptionInfo:
    if not isinstance(data, dict):
        raise InvalidSubscription("Send the subscription as a JSON object with endpoint and keys.")
    endpoint, keys = data.get("endpoint"), data.get("keys")
    if not isinstance(endpoint, str) or not endpoint or len(endpoint) > ENDPOINT_MAX:
        raise InvalidSubscription("The subscription has no usable endpoint.")
    try:
        parse_endpoint(endpoint)
    except FetchError as exc:
        raise InvalidSubscription(exc.reason) from None
    if not isinstance(keys, dict):
        raise InvalidSubscription("The subscription has no keys.")
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str):
        raise InvalidSubscription("The subscription's keys need p256dh and auth.")
    try:
        point = b64url_decode(p256dh)
        secret = b64url_decode(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        raise InvalidSubscription("The subscription's p256dh is not a P-256 public key.") from None
    if len(point) != 65 or len(secret) != 16:
        raise InvalidSubscription("The subscription's keys have the wrong length.")
    return SubscriptionInfo(endpoint, p256dh, auth)


def endpoint_hash(endpoint: str) -> str:
    return hashlib.sha256(endpoint.encode()).hexdigest()


def save_subscription(
    db: Session, user_id: int, info: SubscriptionInfo, user_agent: str, now: datetime
) -> PushSubscription:
    """Store the browser's subscription for ``user_id``; the caller commits."""
    digest = endpoint_hash(info.endpoint)
    sub = db.exec(select(PushSubscription).where(PushSubscription.endpoint_hash == digest)).first()
    if sub is None:
        sub = PushSubscription(
            endpoint=info.endpoint,
            endpoint_hash=digest,
            user_id=user_id,
            p256dh=info.p256dh,
            auth=info.auth,
        )
        sub.created_at = now
    sub.user_id = user_id
    sub.p256dh = info.p256dh
    sub.auth = info.auth
    sub.user_agent = user_agent[:200]
    db.add(sub)
    db.flush()
    _keep_newest(db, user_id)
    return sub


def _keep_newest(db: Session, user_id: int) -> None:
    stale = db.exec(
        select(PushSubscription.id)
        .where(PushSubscription.user_id == user_id)
        .order_by(col(PushSubscription.created_at).desc(), col(PushSubscription.id).desc())
        .offset(MAX_DEVICES)
    ).all()
    if stale:
        db.exec(delete(PushSubscription).where(col(PushSubscription.id).in_(stale)))


def remove_subscription(db: Session, user_id: int, endpoint: str) -> bool:
    result = db.exec(
        delete(PushSubscription).where(
            col(PushSubscription.user_id) == user_id,
            col(PushSubscription.endpoint_hash) == endpoint_hash(endpoint),
        )
    )
    return result.rowcount > 0


def remove_device(db: Session, user_id: int, subscription_id: int) -> bool:
    result = db.exec(
        delete(PushSubscription).where(
            col(PushSubscription.user_id) == user_id, col(PushSubscription.id) == subscription_id
        )
    )
    return result.rowcount > 0


def devices(db: Session, user_id: int) -> list[PushSubscription]:
    return list(
        db.exec(
            select(PushSubscription)
            .where(PushSubscription.user_id == user_id)
            .order_by(col(PushSubscription.created_at).desc())
        ).all()
    )
