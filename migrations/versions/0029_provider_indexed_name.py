"""a renamed provider's cards are indexed again by the worker

``provider.indexed_name``: after a rename, the name its cards' search documents still
hold, until the worker's refresh job has written them again in batches
(``app.search.index.index_renamed_providers``); None when they hold ``provider.name``.
A rename used to write every document in the portal's request.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07 17:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('provider', sa.Column('indexed_name', sa.String(length=200), nullable=True))


def downgrade() -> None:
    op.drop_column('provider', 'indexed_name')
