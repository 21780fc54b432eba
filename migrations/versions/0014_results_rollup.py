"""results rollup: partners' counts per card and UTC day, kept apart from raw events

The table starts with every counted event the popularity rollup had already passed
(its watermark, an id no event still being written is below), counted in one grouped
INSERT ... SELECT, and the results rollup's mark starts there: the results pages read
the table plus the events after the mark, so no figure changes across the upgrade.

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-07 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The events the results show (app.partners.stats.METRICS), as of this revision.
METRICS = {'impression': 'impressions', 'open': 'opens', 'save': 'saves',
           'dismiss': 'dismisses'}


def upgrade() -> None:
    op.create_table('card_results_day',
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=False),
    sa.Column('impressions', sa.Integer(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.Column('saves', sa.Integer(), nullable=False),
    sa.Column('dismisses', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['provider_id'], ['provider.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('provider_id', 'day', 'card_id'),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('card_results_day', schema=None) as batch_op:
        batch_op.create_index('ix_card_results_day_card', ['card_id', 'day'], unique=False)
    _backfill()


def _backfill() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    day = "date(timezone('UTC', created_at))" if postgresql else 'date(created_at)'
    sums = ', '.join(
        f"sum(CASE WHEN kind = '{kind}' THEN 1 ELSE 0 END)" for kind in METRICS
    )
    kinds = ', '.join(f"'{kind}'" for kind in METRICS)
    mark = ("(SELECT coalesce(max(last_event_id), 0) FROM rollup_progress"
            " WHERE name = 'popularity')")
    op.execute(
        f"INSERT INTO card_results_day (provider_id, day, card_id, {', '.join(METRICS.values())})"
        f" SELECT provider_id, {day}, card_id, {sums} FROM event"
        f" WHERE kind IN ({kinds}) AND card_id IS NOT NULL AND provider_id IS NOT NULL"
        f" AND id <= {mark}"
        f" GROUP BY provider_id, {day}, card_id"
    )
    op.execute(
        f"INSERT INTO rollup_progress (name, last_event_id) SELECT 'results', {mark}"
    )


def downgrade() -> None:
    op.execute("DELETE FROM rollup_progress WHERE name = 'results'")
    with op.batch_alter_table('card_results_day', schema=None) as batch_op:
        batch_op.drop_index('ix_card_results_day_card')

    op.drop_table('card_results_day')
