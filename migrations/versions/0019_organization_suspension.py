"""partial indexes on the texts that wait for staff, one community provider per
organisation

``ix_question_waiting``, ``ix_answer_waiting`` and ``ix_suggestion_waiting`` hold only
the held texts and the flagged ones staff have not looked at, oldest first: the staff's
queue and its count read a handful of index entries instead of every text.

``uq_provider_community``: Plaza keeps one provider of its ``community_post`` kind per
organisation (app.community.feed_posts); two workers making one at once cannot make two.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WAITING = (
    "status = 'held' OR (status = 'visible' AND flagged_reason IS NOT NULL "
    "AND reviewed_at IS NULL)"
)
TEXTS = ('question', 'answer', 'suggestion')
ONE_COMMUNITY_PROVIDER = "kind = 'community_post'"


def upgrade() -> None:
    for table in TEXTS:
        op.create_index(
            f'ix_{table}_waiting', table, ['created_at', 'id'],
            sqlite_where=sa.text(WAITING), postgresql_where=sa.text(WAITING),
        )
    op.create_index(
        'uq_provider_community', 'provider', ['organization_id'], unique=True,
        sqlite_where=sa.text(ONE_COMMUNITY_PROVIDER),
        postgresql_where=sa.text(ONE_COMMUNITY_PROVIDER),
    )


def downgrade() -> None:
    op.drop_index('uq_provider_community', table_name='provider')
    for table in TEXTS:
        op.drop_index(f'ix_{table}_waiting', table_name=table)
