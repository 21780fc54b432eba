"""popularity: expected opens, the opens the viewers' usual open rates would have given

Impressions now carry their viewer's usual open rate (event.viewer_rate), and the
rollup adds it up. Counts rolled up before this did not record who was shown
what: their impressions count as shown to average viewers, expecting the table's
overall open rate, until the window forgets them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 22:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('card_popularity', 'card_popularity_day', 'provider_popularity', 'provider_popularity_day')


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('viewer_rate', sa.Float(), nullable=True))
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('expected_opens', sa.Float(), server_default='0', nullable=False)
            )
        op.execute(
            f"UPDATE {table} SET expected_opens = impressions * COALESCE("
            f"(SELECT CAST(SUM(opens) AS FLOAT) / NULLIF(SUM(impressions), 0) FROM {table}), 0)"
        )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('expected_opens')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_column('viewer_rate')
