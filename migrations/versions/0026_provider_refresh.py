"""provider refresh history: one row per refresh, with the newest one's rejected items

``provider_refresh`` records when each refresh of a provider ran, its outcome, the cards
it added, changed and expired, the error in words, and (on the provider's newest row
only) the items the source sent that were left out, with why. The portal's provider page
lists them, newest first. Rows go with their provider.

Revision ID: 0026
Revises: 0021
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0026'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'provider_refresh',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('provider_id', sa.Integer(), nullable=False),
        sa.Column('at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('outcome', sa.String(length=16), nullable=False),
        sa.Column('new', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('expired', sa.Integer(), nullable=False),
        sa.Column('error', sa.String(), nullable=True),
        sa.Column('rejected_count', sa.Integer(), nullable=False),
        sa.Column('rejected', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_provider_refresh_newest', 'provider_refresh', ['provider_id', 'id'])


def downgrade() -> None:
    op.drop_index('ix_provider_refresh_newest', table_name='provider_refresh')
    op.drop_table('provider_refresh')
