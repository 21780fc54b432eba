"""pictures partners upload for their cards

``upload``: the re-encoded picture (no metadata), named by the digest of its bytes,
owned by an organisation (deleted with it), served at ``/media/<digest>.webp``.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organization_id', 'digest', name='uq_upload_org_digest'),
    )
    op.create_index('ix_upload_organization_id', 'upload', ['organization_id'])
    op.create_index('ix_upload_digest', 'upload', ['digest'])


def downgrade() -> None:
    op.drop_index('ix_upload_digest', table_name='upload')
    op.drop_index('ix_upload_organization_id', table_name='upload')
    op.drop_table('upload')
