"""feed preferences: how a shopper shaped their feed

One row per shopper who changed anything on ``/settings/feed`` (app.shopper.feed_settings):
more, less or none of each card kind (promotions as they are or lower), only products in
stock, only deals, and compact or comfortable cards. No row means every default.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 08:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'feed_preference',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kinds', sa.JSON(), nullable=False),
        sa.Column('in_stock_only', sa.Boolean(), nullable=False),
        sa.Column('deals_only', sa.Boolean(), nullable=False),
        sa.Column('density', sa.String(length=20), nullable=False),
        sa.Column('updated_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('feed_preference')
