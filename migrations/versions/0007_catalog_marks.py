"""catalog marks: what changed since a moment, and the newest cards about an interest

Each web process keeps the catalog's candidates in memory (app.ranking.catalog): it
builds them from the newest cards about each interest (card_interest now carries its
card's published_at, and one index walks them newest first), then reads only the
cards whose updated_at moved since it last looked; scheduled kinds (promotions,
surveys) are read by kind.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 21:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_card_updated', 'card', ['updated_at'])
    op.create_index('ix_card_kind_published', 'card', ['kind', 'published_at'])
    with op.batch_alter_table('card_interest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', UTCDateTime(timezone=True), nullable=True))
    op.execute(
        'UPDATE card_interest SET published_at = '
        '(SELECT published_at FROM card WHERE card.id = card_interest.card_id)'
    )
    op.create_index(
        'ix_card_interest_newest', 'card_interest', ['slug', 'published_at', 'card_id']
    )


def downgrade() -> None:
    op.drop_index('ix_card_interest_newest', table_name='card_interest')
    with op.batch_alter_table('card_interest', schema=None) as batch_op:
        batch_op.drop_column('published_at')
    op.drop_index('ix_card_kind_published', table_name='card')
    op.drop_index('ix_card_updated', table_name='card')
