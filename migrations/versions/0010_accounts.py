"""accounts: revocable sessions, emailed links, two-factor authentication

Every session and remember-me cookie carries the account's session token (Flask-Login's
alternative id); a new token ends them all. Existing accounts get a token each, so the
cookies issued before (which carry only the account's id) stop working once.
Password-reset and email-confirmation links (account_token) and recovery codes are
stored as digests; account_throttle counts attempts for rate limits. Events and survey
answers may belong to no account: a deleted one's, which partners' counts keep.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 23:00:00
"""
import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
        batch_op.add_column(sa.Column('totp_secret', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('totp_enabled_at', UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
    op.create_table(
        'account_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('new_email', sa.String(length=254), nullable=True),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', UTCDateTime(timezone=True), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_account_token_user_id', 'account_token', ['user_id'])
    op.create_table(
        'recovery_code',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('code_hash', sa.String(length=64), nullable=False),
        sa.Column('used_at', UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_recovery_code_user_id', 'recovery_code', ['user_id'])
    op.create_table(
        'account_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_account_throttle_key_time', 'account_throttle', ['key', 'created_at'])
    # A deleted account's events and survey answers that partners' counts include stay,
    # without the account.
    _user_optional(True)


def _user_optional(nullable: bool) -> None:
    """SQLite rebuilds the tables; ``event`` keeps AUTOINCREMENT (see 0004), which a
    rebuild from the reflected table would drop."""
    for table, kwargs in (('event', {'sqlite_autoincrement': True}), ('survey_answer', {})):
        with op.batch_alter_table(table, schema=None, table_kwargs=kwargs) as batch_op:
            batch_op.alter_column('user_id', existing_type=sa.Integer(), nullable=nullable)


def downgrade() -> None:
    for table in ('event', 'survey_answer'):
        op.execute(f'DELETE FROM {table} WHERE user_id IS NULL')  # noqa: S608 (two names)
    _user_optional(False)
    op.drop_table('account_throttle')
    op.drop_table('recovery_code')
    op.drop_table('account_token')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('totp_last_step')
        batch_op.drop_column('totp_enabled_at')
        batch_op.drop_column('totp_secret')
        batch_op.drop_column('session_token')
