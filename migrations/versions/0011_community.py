"""community: questions on cards and their answers, suggestions to organisations, votes,
and the staff's screening rules

Every text keeps the screener's outcome (status: visible, held or removed; the reason it
was flagged) so staff can list what waits for them; vote counts live on the voted rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 02:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.models.columns import UTCDateTime

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('screening_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pattern', sa.String(length=500), nullable=False),
    sa.Column('is_regex', sa.Boolean(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('flagged_reason', sa.String(length=200), nullable=True),
    sa.Column('reviewed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.String(length=500), nullable=True),
    sa.Column('answered_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['card_id'], ['card.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_card_id'), ['card_id'], unique=False)
        batch_op.create_index('ix_question_org_time', ['organization_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_user_id'), ['user_id'], unique=False)

    op.create_table('suggestion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('card_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('flagged_reason', sa.String(length=200), nullable=True),
    sa.Column('reviewed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.String(length=500), nullable=True),
    sa.Column('stage', sa.String(length=20), nullable=False),
    sa.Column('stage_note', sa.String(), nullable=False),
    sa.Column('stage_changed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('available_card_id', sa.Integer(), nullable=True),
    sa.Column('available_provider_id', sa.Integer(), nullable=True),
    sa.Column('vote_count', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['available_card_id'], ['card.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['available_provider_id'], ['provider.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['card_id'], ['card.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.create_index('ix_suggestion_org_votes', ['organization_id', 'vote_count'], unique=False)
        batch_op.create_index(batch_op.f('ix_suggestion_user_id'), ['user_id'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.String(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('flagged_reason', sa.String(length=200), nullable=True),
    sa.Column('reviewed_at', UTCDateTime(timezone=True), nullable=True),
    sa.Column('review_reason', sa.String(length=500), nullable=True),
    sa.Column('helpful_count', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organization.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_answer_user_id'), ['user_id'], unique=False)

    op.create_table('suggestion_vote',
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestion.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('suggestion_id', 'user_id')
    )
    with op.batch_alter_table('suggestion_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_vote_user_id'), ['user_id'], unique=False)

    op.create_table('answer_vote',
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['answer_id'], ['answer.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('answer_id', 'user_id')
    )
    with op.batch_alter_table('answer_vote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_vote_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('answer_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_vote_user_id'))

    op.drop_table('answer_vote')
    with op.batch_alter_table('suggestion_vote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_vote_user_id'))

    op.drop_table('suggestion_vote')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_user_id'))
        batch_op.drop_index(batch_op.f('ix_answer_question_id'))

    op.drop_table('answer')
    with op.batch_alter_table('suggestion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_user_id'))
        batch_op.drop_index('ix_suggestion_org_votes')

    op.drop_table('suggestion')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_user_id'))
        batch_op.drop_index('ix_question_org_time')
        batch_op.drop_index(batch_op.f('ix_question_card_id'))

    op.drop_table('question')
    op.drop_table('screening_rule')
