"""Web Push: encrypt a payload for one browser and hand it to its push service.

The payload is encrypted with ``aes128gcm`` (RFC 8291) to the subscription's
P-256 key and auth secret, and signed for with a VAPID JWT (RFC 8292). Each
message carries a ``Topic`` naming its outbox row, so a retry after a crash
replaces an undelivered copy at the push service instead of adding one, and
the service worker shows it under the same tag. A 404 or 410 means the
subscription is gone and is reported as such, so the caller removes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import http_ece
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from app.notifications.outcome import DELIVERED, Outcome
from app.notifications.vapid import b64url_decode
from feeds.client import retry_after
from feeds.fetch import FetchError, FetchPolicy
from feeds.post import post

TOKEN_LIFETIME = 12 * 3600
TOKEN_REUSE = 3600
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER = timedelta(hours=6)  # a push service asking for longer is retried sooner
PERMANENT_CODES = frozenset({"bad_url", "refused_address", "bad_scheme"})


@dataclass(frozen=True)
class Device:
    """A push subscription as delivery needs it."""

    id: int
    endpoint: str
    p256dh: str
    auth: str


def encrypt(payload: bytes, p256dh: str, auth: str) -> bytes:
    """The aes128gcm body for one subscription, with a fresh sender key each time."""
    sender_key = ec.generate_private_key(ec.SECP256R1())
    body: bytes = http_ece.encrypt(
        payload,
        private_key=sender_key,
        dh=b64url_decode(p256dh),
        auth_secret=b64url_decode(auth),
        version="aes128gcm",
    )
    return body


class PushSender:
    def __init__(self, vapid: Vapid02, subject: str, policy: FetchPolicy, ttl: int) -> None:
        self.vapid = vapid
        self.subject = subject
        self.policy = policy
        self.ttl = ttl
        self._tokens: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def send(self, device: Device, payload: bytes, *, topic: str, urgency: str) -> Outcome:
        try:
            body = encrypt(payload, device.p256dh, device.auth)
            audience = _origin(device.endpoint)
        except (ValueError, TypeError) as exc:
            return Outcome(False, f"The push subscription's keys are not valid ({exc}).")
        headers = {
            "TTL": str(self.ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "Topic": topic,
            "Urgency": urgency,
            "Authorization": self._authorization(audience),
        }
        try:
            response = post(device.endpoint, body, headers, self.policy)
        except FetchError as exc:
            return Outcome(False, exc.reason, retry=exc.code not in PERMANENT_CODES)
        return _judge(response.status, response.headers, response.body)

    def _authorization(self, audience: str) -> str:
        """A VAPID header per push service, signed once an hour rather than per message."""
        now = time.time()
        with self._lock:
            cached = self._tokens.get(audience)
            if cached and cached[0] > now:
                return cached[1]
        claims = {"sub": self.subject, "aud": audience, "exp": int(now) + TOKEN_LIFETIME}
        header: str = self.vapid.sign(claims)["Authorization"]
        with self._lock:
            self._tokens[audience] = (now + TOKEN_REUSE, header)
        return header


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme != "https" or not parts.netloc:
        raise ValueError("the endpoint is not an https address")
    return f"{parts.scheme}://{parts.netloc}"


def _judge(status: int, headers: Mapping[str, str], body: bytes) -> Outcome:
    if 200 <= status < 300:
        return DELIVERED
    said = body.decode("utf-8", "replace").strip()[:200]
    detail = f"The push service answered {status}" + (f": {said}" if said else "") + "."
    if status in (404, 410):
        return Outcome(False, detail, gone=True)
    if status in RETRY_STATUSES:
        later = retry_after(headers.get("Retry-After"), datetime.now(UTC), MAX_RETRY_AFTER)
        return Outcome(False, detail, retry=True, retry_after=later)
    return Outcome(False, detail)
