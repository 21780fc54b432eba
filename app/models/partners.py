"""Tables of the partner side: organisations, invitations, API tokens and API rate-limit
counters.

Secrets (invitation links, API tokens) are stored only as SHA-256 digests; see
:mod:`app.partners.secrets` for why that suffices. Rate-limit counters live in
the database, not in process memory, so the limit holds across every web
process.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, String, Text
from sqlmodel import Field, SQLModel

from app.models.columns import UTCDateTime, created_column, json_column, time_column


class Organization(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    name: str = Field(max_length=200)
    # What the name looks like (app.accounts.lookalikes): look-alikes are refused.
    name_skeleton: str | None = Field(default=None, max_length=200, index=True)
    kind: str = Field(default="retailer", max_length=20)  # retailer | brand
    created_at: datetime = created_column()
    # Its page at /o/<slug>, written by its members in the portal (app.partners.profile):
    # plain text, and http(s) addresses checked before they are stored.
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    website_url: str | None = Field(default=None, max_length=500)
    social_links: list[str] = json_column(list)
    # Staff suspended the whole organisation (app.staff.actions): none of its providers'
    # cards show, those registered later included, its page is not shown, nobody may
    # start following it, and its members cannot publish until staff restore it.
    suspended_at: datetime | None = time_column()


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"


class Invitation(SQLModel, table=True):
    """A single-use link that lets someone join an organisation as a retailer."""

    __tablename__ = "invitation"
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_column()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = time_column()
    used_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    revoked_at: datetime | None = time_column()
    # The address a member emailed the link to, if they did; forgotten a month after the
    # invitation ended (app.accounts.retention).
    sent_to: str | None = Field(default=None, max_length=320)


class ApiToken(SQLModel, table=True):
    """A bearer token of one organisation; ``hint`` is shown to tell tokens apart."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    scope: str = Field(default=TokenScope.READ, max_length=10)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    hint: str = Field(max_length=16)
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_column()
    last_used_at: datetime | None = time_column()
    revoked_at: datetime | None = time_column()


class ApiRateWindow(SQLModel, table=True):
    """Requests one token made in one fixed window (``bucket`` = epoch seconds // length)."""

    __tablename__ = "api_rate_window"
    token_id: int = Field(foreign_key="api_token.id", primary_key=True, ondelete="CASCADE")
    bucket: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    count: int = 0
