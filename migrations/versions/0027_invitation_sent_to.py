"""an invitation remembers the address it was emailed to

``invitation.sent_to``: members can send an invitation link by email from the portal,
and the list of invitations then says whom each was for. The retention job forgets
the address a month after the invitation ended.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 08:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('invitation', sa.Column('sent_to', sa.String(length=320), nullable=True))


def downgrade() -> None:
    op.drop_column('invitation', 'sent_to')
