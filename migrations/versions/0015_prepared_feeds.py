"""prepared feeds: a shopper's next first page, ranked ahead by the worker

One row per shopper who visits their feed (app.ranking.prepared): when they last
visited, the plan of their next visit's first pages and when it was ranked, whether a
visit used it, how many times they changed their interests (and how many times when the
plan's shopper was claimed), and a worker's claim while it ranks.

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-07 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'prepared_feed',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('visited_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('prepared_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('plan', sa.JSON(), nullable=True),
        sa.Column('consumed_at', UTCDateTime(timezone=True), nullable=True),
        sa.Column('changes', sa.Integer(), nullable=False),
        sa.Column('prepared_changes', sa.Integer(), nullable=True),
        sa.Column('claimed_until', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    op.create_index('ix_prepared_feed_visited', 'prepared_feed', ['visited_at'])


def downgrade() -> None:
    op.drop_index('ix_prepared_feed_visited', table_name='prepared_feed')
    op.drop_table('prepared_feed')
