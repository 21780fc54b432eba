"""High-entropy secrets (API tokens, invitation links) and how they are stored.

A secret is 32 random bytes, so its SHA-256 digest cannot be reversed by
guessing: a slow password hash such as Argon2 only helps low-entropy
secrets that people choose. An unsalted, deterministic digest also lets the
database find a token by an indexed lookup on every API request, where
Argon2 would cost tens of milliseconds and megabytes of memory per call and
could not be looked up at all without a separate identifier.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> str:
    """A fresh secret; the prefix lets people (and secret scanners) recognise it."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What Plaza stores and looks up instead of the secret itself."""
    return hashlib.sha256(secret.encode()).hexdigest()
