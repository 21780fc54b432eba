"""look-alike names: the skeleton of each account's email and organisation's name

An address or a name that only looks like another one (Cyrillic letters, full-width
forms) is refused; each row keeps what it looks like (app.accounts.lookalikes) so a
look-alike is found in one indexed query.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.accounts.lookalikes import skeleton

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_skeleton', sa.String(length=254), nullable=True))
        batch_op.create_index('ix_user_email_skeleton', ['email_skeleton'], unique=False)
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_skeleton', sa.String(length=200), nullable=True))
        batch_op.create_index('ix_organization_name_skeleton', ['name_skeleton'], unique=False)
    connection = op.get_bind()
    user = sa.table('user', sa.column('id'), sa.column('email'), sa.column('email_skeleton'))
    for row in connection.execute(sa.select(user.c.id, user.c.email)).all():
        connection.execute(
            user.update().where(user.c.id == row.id).values(email_skeleton=skeleton(row.email))
        )
    org = sa.table('organization', sa.column('id'), sa.column('name'), sa.column('name_skeleton'))
    for row in connection.execute(sa.select(org.c.id, org.c.name)).all():
        connection.execute(
            org.update().where(org.c.id == row.id).values(name_skeleton=skeleton(row.name))
        )


def downgrade() -> None:
    with op.batch_alter_table('organization', schema=None) as batch_op:
        batch_op.drop_index('ix_organization_name_skeleton')
        batch_op.drop_column('name_skeleton')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_index('ix_user_email_skeleton')
        batch_op.drop_column('email_skeleton')
