"""notification settings: whether the consumer chose their time zone or it was detected

Until now a zone could only come from the settings page, so the zones already stored
count as chosen; browser detection at sign-up and on the feed fills only the others.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('timezone_chosen', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        "UPDATE notification_settings SET timezone_chosen = TRUE WHERE timezone IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('notification_settings', schema=None) as batch_op:
        batch_op.drop_column('timezone_chosen')
