"""The VAPID key pair that identifies Plaza to push services (RFC 8292).

Browsers bind each subscription to the public key they were given, so the
key is made once and kept: ``PLAZA_VAPID_PRIVATE_KEY`` (PEM, or the raw key in
base64url as ``plaza notify vapid-key`` prints it), else a PEM file created on
first use in the instance folder. With several machines (web and worker on
Fly) set the variable: instance folders are not shared.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from flask import Flask
from py_vapid import Vapid02

KEY_FILE = "vapid_private_key.pem"

log = logging.getLogger(__name__)


def vapid_for(app: Flask) -> Vapid02:
    cached = app.extensions.get("plaza.vapid")
    if cached is None:
        cached = app.extensions["plaza.vapid"] = _load(app)
    return cached


def _load(app: Flask) -> Vapid02:
    configured = app.config.get("VAPID_PRIVATE_KEY")
    if configured:
        text = str(configured).strip()
        if "BEGIN" in text:
            return Vapid02.from_pem(text.encode())
        return Vapid02.from_string(text)
    return _instance_key(Path(app.instance_path) / KEY_FILE)


def _instance_key(path: Path) -> Vapid02:
    if path.exists():
        return Vapid02.from_pem(path.read_bytes())
    vapid = Vapid02()
    vapid.generate_keys()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return Vapid02.from_pem(path.read_bytes())
    with os.fdopen(fd, "wb") as handle:
        handle.write(vapid.private_pem())
    return vapid


def push_key(app: Flask) -> str | None:
    """The application server key browsers subscribe with, or None when Plaza has no
    VAPID key (the configured one cannot be read, or none can be kept in the instance
    folder): then push is not offered at all, rather than offered and never delivered."""
    try:
        return application_server_key(vapid_for(app))
    except (OSError, ValueError, TypeError) as exc:
        log.warning("Push is off: no usable VAPID key (%s).", exc)
        return None


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def application_server_key(vapid: Vapid02) -> str:
    """The public key as browsers want it for ``pushManager.subscribe``."""
    point = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(point)


def new_private_key() -> str:
    """A fresh private key in the form PLAZA_VAPID_PRIVATE_KEY accepts."""
    vapid = Vapid02()
    vapid.generate_keys()
    number = vapid.private_key.private_numbers().private_value
    return b64url(number.to_bytes(32, "big"))
