"""People: accounts, their signed-in browsers, and the login attempts that guard them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String, Text
from sqlmodel import Field, SQLModel

from app.models.columns import UTCDateTime, created_column, time_column


class Role(StrEnum):
    CONSUMER = "consumer"
    RETAILER = "retailer"
    STAFF = "staff"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), unique=True, nullable=False))
    # What the address looks like (app.accounts.lookalikes): look-alikes are refused.
    email_skeleton: str | None = Field(default=None, max_length=254, index=True)
    password_hash: str
    role: str = Field(default=Role.CONSUMER, max_length=20)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    display_name: str = Field(default="", max_length=100)
    active: bool = True
    onboarded_at: datetime | None = time_column()
    created_at: datetime = created_column()
    # Two-factor authentication (app.accounts.two_factor): the TOTP secret once set up,
    # and the last time step a code was accepted for, so no code works twice.
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = time_column()
    totp_last_step: int | None = None

    # Flask-Login's user protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """The account's id. The session and remember-me cookies never carry it alone:
        :func:`app.accounts.sessions.begin_session` puts the browser session's key there
        instead, so that a cookie outlives neither its logout nor its row."""
        return str(self.id)


class BrowserSession(SQLModel, table=True):
    """One signed-in browser: its cookies carry ``"<id>:<secret>"`` and only a SHA-256
    digest of the secret is stored. Deleting the row signs that browser out, whichever
    of its cookies (session or remember-me) comes back."""

    __tablename__ = "browser_session"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64)
    created_at: datetime = created_column()
    # Written at most every few minutes (app.accounts.sessions.TOUCH_EVERY), not per request.
    last_seen_at: datetime = created_column()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    remembered: bool = False
    device: str = Field(default="", max_length=100)  # "Chrome on Android"
    network: str = Field(default="", max_length=64)  # the client's address, coarsened


class LoginAttempt(SQLModel, table=True):
    """Kept in the database so that throttling holds across web processes."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_time", "email", "created_at"),
        Index("ix_login_attempt_ip_time", "ip", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254)
    ip: str = Field(max_length=64)
    succeeded: bool = False
    created_at: datetime = created_column()


class TokenPurpose(StrEnum):
    RESET_PASSWORD = "reset_password"  # noqa: S105 (a name, not a password)
    CONFIRM_EMAIL = "confirm_email"


class AccountToken(SQLModel, table=True):
    """A link sent by email (a password reset, a new address to confirm): stored only as
    a SHA-256 digest, used once, valid until ``expires_at``."""

    __tablename__ = "account_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    purpose: str = Field(max_length=20)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    new_email: str | None = Field(default=None, max_length=254)  # the address to confirm
    created_at: datetime = created_column()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = time_column()


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the second factor, stored as a digest."""

    __tablename__ = "recovery_code"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = time_column()


class AccountThrottle(SQLModel, table=True):
    """One counted attempt (a reset email asked for, a wrong second factor) under a key
    such as ``reset-ip:<address>``: rate limits that hold across web processes."""

    __tablename__ = "account_throttle"
    __table_args__ = (Index("ix_account_throttle_key_time", "key", "created_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=100)
    created_at: datetime = created_column()


class AccountMail(SQLModel, table=True):
    """An account email waiting for the worker (app.accounts.mail): rendered when it was
    asked for, sent with retries. Once sent (or given up), the recipient and the text,
    which may hold a link's secret, are blanked; the row stays until retention prunes it."""

    __tablename__ = "account_mail"
    __table_args__ = (Index("ix_account_mail_due", "state", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(default="", max_length=254, index=True)
    subject: str = Field(default="", max_length=200)
    body: str = Field(default="", sa_column=Column(Text, nullable=False))
    template: str = Field(max_length=40)  # which email, for the log (never who or what)
    state: str = Field(max_length=10)  # a notifications State: pending, sending, sent, failed
    due_at: datetime = created_column()
    lease_until: datetime | None = time_column()
    attempts: int = 0
    reason: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = created_column()
    sent_at: datetime | None = time_column()
