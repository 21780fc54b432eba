"""Two-factor authentication: a TOTP app (RFC 6238, through pyotp) and one-time
recovery codes.

Setting up stores a new secret on the account while ``totp_enabled_at`` is still empty
(pending: shown as a QR code, it does nothing yet); the first code that matches it
turns it on and brings ten recovery codes, shown once and stored only as SHA-256
digests (each has 50 random bits; they are rate limited with the codes). A code is
accepted for its 30-second step or a neighbouring one (a phone's clock drifts), and
never twice: the last step used is kept. Wrong codes are counted per account
(:mod:`.throttle`); after ``MAX_FAILURES`` in ``FAILURE_WINDOW`` every code is refused
for a while, the right one too, so that six digits cannot be guessed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.accounts import throttle
from app.db import rows_changed
from app.models import RecoveryCode, User, stored_id

ISSUER = "Plaza"
RECOVERY_CODES = 10
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class CodeRefused(ValueError):
    """The code was not accepted; the message says why, for a person."""


def enabled(user: User) -> bool:
    return user.totp_enabled_at is not None and user.totp_secret is not None


def start_setup(db: Session, user: User) -> str:
    """A new pending secret (replacing an earlier pending one); the caller commits."""
    if enabled(user):
        raise CodeRefused("Two-factor authentication is already on.")
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret or "").provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as an SVG document (paths only, no script or style)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    return str(image.to_string(encoding="unicode"))


def _digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def new_recovery_codes(db: Session, user: User) -> list[str]:
    """Ten fresh codes replacing any earlier ones; shown once (the caller commits)."""
    user_id = stored_id(user)
    db.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.add(RecoveryCode(user_id=user_id, code_hash=_digest(raw)))
    return codes


def _failure_key(user: User) -> str:
    return throttle.user_key("two-factor", stored_id(user))


def check_code(db: Session, user: User, code: str, now: datetime, *, pending: bool = False) -> str:
    """Accept ``code`` (an app's six digits, or a recovery code unless ``pending``) and
    say which it was, or raise CodeRefused; commits either way (a failure is counted)."""
    key = _failure_key(user)
    if throttle.attempts(db, key, FAILURE_WINDOW, now) >= MAX_FAILURES:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise CodeRefused(f"Too many wrong codes. Wait {minutes} minutes, then try again.")
    if (pending or enabled(user)) and user.totp_secret:
        kind = _accept_totp(db, user, code, now) or (
            None if pending else _accept_recovery(db, user, code, now)
        )
        if kind:
            throttle.forget(db, key)
            db.commit()
            return kind
    throttle.count(db, key, now)
    db.commit()
    raise CodeRefused("That code is not right. Check your app's current code and try again.")


def _accept_totp(db: Session, user: User, code: str, now: datetime) -> str | None:
    digits = "".join(ch for ch in code if ch.isdigit())
    if len(digits) != 6 or len(code) > 20:
        return None
    totp = pyotp.TOTP(user.totp_secret or "")
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), digits):
            if user.totp_last_step is not None and candidate <= user.totp_last_step:
                return None  # used already (or an older one): no replay
            user.totp_last_step = candidate
            return "app"
    return None


def _accept_recovery(db: Session, user: User, code: str, now: datetime) -> str | None:
    cleaned = _normalised(code)
    if len(cleaned) != 10:
        return None
    used = db.exec(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == stored_id(user),
            col(RecoveryCode.code_hash) == _digest(cleaned),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return "recovery" if rows_changed(used) else None


def finish_setup(db: Session, user: User, code: str, now: datetime) -> list[str]:
    """Turn two-factor on with the first code from the app; returns the recovery codes.
    Every other session ends: from now on a session needs the second factor."""
    if user.totp_secret is None or enabled(user):
        raise CodeRefused("Start the set-up again: scan the new QR code.")
    check_code(db, user, code, now, pending=True)
    user.totp_enabled_at = now
    codes = new_recovery_codes(db, user)
    db.commit()
    return codes


def turn_off(db: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.exec(delete(RecoveryCode).where(col(RecoveryCode.user_id) == stored_id(user)))
    db.commit()


def recovery_codes_left(db: Session, user: User) -> int:
    return len(
        db.exec(
            select(RecoveryCode.id).where(
                RecoveryCode.user_id == stored_id(user), col(RecoveryCode.used_at).is_(None)
            )
        ).all()
    )
