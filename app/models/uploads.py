"""Pictures partners upload for their cards, kept in the database and served by Plaza.

In the database rather than on disk: web machines keep nothing of their own (several
run behind one address on PostgreSQL), and a picture goes with its organisation when
that is deleted. Only the re-encoded picture is kept, never the file as sent, so no
metadata (a camera's GPS position, an author's name) survives. The digest of those
bytes names it: the same picture uploaded twice by one organisation is stored once, and
its address never changes, so browsers may cache it for good. (Two organisations that
upload the same picture each keep their own row, so deleting one leaves the other's.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.columns import created_column


class Upload(SQLModel, table=True):
    __tablename__ = "upload"
    __table_args__ = (UniqueConstraint("organization_id", "digest", name="uq_upload_org_digest"),)
    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True, ondelete="CASCADE")
    digest: str = Field(sa_column=Column(String(64), nullable=False, index=True))
    content_type: str = Field(max_length=32)
    width: int
    height: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = created_column()
