"""People: accounts and the login attempts that guard them."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, String
from sqlmodel import Field, SQLModel

from app.models.columns import created_column, time_column


class Role(StrEnum):
    CONSUMER = "consumer"
    RETAILER = "retailer"
    STAFF = "staff"


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_column=Column(String(254), unique=True, nullable=False))
    password_hash: str
    role: str = Field(default=Role.CONSUMER, max_length=20)
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    display_name: str = Field(default="", max_length=100)
    active: bool = True
    onboarded_at: datetime | None = time_column()
    created_at: datetime = created_column()
    # Part of every session and remember-me cookie (Flask-Login's alternative id, see
    # get_id): replacing it ends every session of the account at its next request.
    session_token: str = Field(default_factory=lambda: new_session_token(), max_length=64)

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
        """What the session and the remember-me cookie carry: the id and the current
        session token, so that a cookie outlives neither a logout nor a password change."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Every session and remember-me cookie of the account stops working."""
        self.session_token = new_session_token()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


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
