"""browser sessions and an outbox for account emails

Each signed-in browser gets a row (browser_session) whose key its cookies carry, so a
logout ends that browser only and the account page can list and end the others. The
account-wide session token this replaces is dropped: every browser signed in before is
signed out once. Account emails (reset and sign-up links, confirmations, notices) wait
in account_mail until the worker sends them.

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-07 02:00:00
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'browser_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('remembered', sa.Boolean(), nullable=False),
        sa.Column('device', sa.String(length=100), nullable=False),
        sa.Column('network', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_browser_session_user_id', 'browser_session', ['user_id'])
    op.create_index('ix_browser_session_expires_at', 'browser_session', ['expires_at'])
    op.create_table(
        'account_mail',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('template', sa.String(length=40), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('due_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('lease_until', UTCDateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('sent_at', UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_account_mail_due', 'account_mail', ['state', 'due_at'])
    op.create_index('ix_account_mail_to_address', 'account_mail', ['to_address'])
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('session_token')


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    connection = op.get_bind()
    user = sa.table('user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    for (user_id,) in connection.execute(sa.select(user.c.id)).all():
        connection.execute(
            user.update().where(user.c.id == user_id).values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
    op.drop_table('account_mail')
    op.drop_table('browser_session')
