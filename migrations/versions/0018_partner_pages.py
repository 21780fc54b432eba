"""partner pages: an organisation's public profile, its suspension, and shoppers' follows

An organisation gets what its page at /o/<slug> shows (a description, its website and
social links, written by its members in the portal) and the moment staff suspended it;
``partner_follow`` holds which shoppers follow which organisations. Organisations whose
every provider is suspended already (what suspending an organisation did until now)
are counted suspended from the upgrade on.

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-07 05:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0018'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'organization', sa.Column('description', sa.Text(), server_default='', nullable=False)
    )
    op.add_column('organization', sa.Column('website_url', sa.String(length=500), nullable=True))
    op.add_column(
        'organization', sa.Column('social_links', sa.JSON(), server_default='[]', nullable=False)
    )
    op.add_column(
        'organization', sa.Column('suspended_at', UTCDateTime(timezone=True), nullable=True)
    )
    op.execute(
        "UPDATE organization SET suspended_at = CURRENT_TIMESTAMP"
        " WHERE EXISTS (SELECT 1 FROM provider WHERE provider.organization_id = organization.id)"
        " AND NOT EXISTS (SELECT 1 FROM provider WHERE provider.organization_id = organization.id"
        " AND provider.status != 'suspended')"
    )
    op.create_table(
        'partner_follow',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'organization_id'),
    )
    op.create_index(
        op.f('ix_partner_follow_organization_id'), 'partner_follow', ['organization_id']
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_partner_follow_organization_id'), table_name='partner_follow')
    op.drop_table('partner_follow')
    # SQLite (3.35 and later) and PostgreSQL drop a column in place: a batch would copy
    # the table and drop the original, which the providers' foreign keys refuse.
    for column in ('suspended_at', 'social_links', 'website_url', 'description'):
        op.drop_column('organization', column)
