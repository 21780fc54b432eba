"""Moderation: people's reports, staff decisions on participants, appeals, and the audit log.

Things are named by a kind and an id (``("card", 17)``, ``("user", 4)``), not by
foreign keys: what can be reported is a registry in code
(:mod:`app.community.reports`), so a new kind of thing needs no migration.

The audit log (``audit_entry``) is append-only: triggers made by the migration refuse
every UPDATE and DELETE, on SQLite and PostgreSQL alike. Its rows hold no foreign key
either, so that deleting an account never has to touch them (a cascade or a ``SET NULL``
would be an UPDATE or DELETE the triggers refuse). They hold no personal data: people
are named by their account id only, and the snapshot of a participant is
"participant #<id>", never their name or address (:mod:`app.staff.audit`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Integer, String, text
from sqlmodel import Field, SQLModel

from app.models.columns import UTCDateTime, created_column, time_column


class ReportReason(StrEnum):
    SPAM = "spam"
    OFFENSIVE = "offensive"
    MISLEADING = "misleading"
    OTHER = "other"


class Resolution(StrEnum):
    DISMISSED = "dismissed"  # staff found nothing wrong
    ACTIONED = "actioned"  # staff acted on the target (removed it, sanctioned its author...)
    CLOSED = "closed"  # the account reported was deleted: nothing is left to decide


class Report(SQLModel, table=True):
    """One person's claim that one thing breaks the rules; open until staff decide."""

    __table_args__ = (
        # One open report per reporter and thing: reporting again changes nothing.
        Index(
            "uq_report_open",
            "reporter_id",
            "target_kind",
            "target_id",
            unique=True,
            sqlite_where=text("resolved_at IS NULL"),
            postgresql_where=text("resolved_at IS NULL"),
        ),
        Index("ix_report_target", "target_kind", "target_id"),
        Index("ix_report_open", "resolved_at", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    reporter_id: int = Field(foreign_key="user.id", ondelete="CASCADE")
    target_kind: str = Field(max_length=32)
    target_id: int
    reason: str = Field(max_length=20)
    text: str = Field(default="", max_length=1000)
    created_at: datetime = created_column()
    resolved_at: datetime | None = time_column()
    resolution: str | None = Field(default=None, max_length=20)
    resolved_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class DecisionAction(StrEnum):
    WARN = "warn"
    SUSPEND = "suspend"
    BAN = "ban"
    REMOVE = "remove"  # something the participant wrote was removed


class Decision(SQLModel, table=True):
    """A staff decision that concerns one participant: what they are told, and what they
    may appeal once. A suspension or ban is in force while ``reversed_at`` is empty and
    ``ends_at`` (none for a ban) is ahead."""

    __tablename__ = "moderation_decision"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True, ondelete="CASCADE")
    action: str = Field(max_length=20)
    target_kind: str = Field(max_length=32)
    target_id: int
    reason: str = Field(max_length=500)
    created_at: datetime = created_column()
    ends_at: datetime | None = time_column()
    staff_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    reversed_at: datetime | None = time_column()


class AppealOutcome(StrEnum):
    UPHELD = "upheld"
    REVERSED = "reversed"


class Appeal(SQLModel, table=True):
    """A participant's one appeal against one decision, decided by staff."""

    id: int | None = Field(default=None, primary_key=True)
    decision_id: int = Field(
        sa_column=Column(
            Integer,
            # A decision is appealed once: the database refuses a second appeal.
            ForeignKey("moderation_decision.id", ondelete="CASCADE"),
            unique=True,
            nullable=False,
        )
    )
    text: str = Field(max_length=1000)
    created_at: datetime = created_column()
    resolved_at: datetime | None = time_column()
    outcome: str | None = Field(default=None, max_length=20)
    resolved_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")


class AuditEntry(SQLModel, table=True):
    """One staff or automatic moderation action, as it was at that moment. Append-only."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_time", "created_at"),
        Index("ix_audit_entry_action_time", "action", "created_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    actor_id: int | None = None  # the staff member's account id; None: automatic
    action: str = Field(max_length=40)
    target_kind: str = Field(max_length=32)
    target_id: int
    snapshot: str = Field(sa_column=Column(String(500), nullable=False))
    reason: str = Field(max_length=500)
    reports_resolved: int = 0
