"""card search: a full-text index of cards and the vocabulary of its words

SQLite: an FTS5 table ``card_search`` (rowid = the card's id; Porter stemming over
unicode61) and a trigger that deletes a card's document with the card. PostgreSQL: a
table of ``tsvector`` documents under a GIN index, deleted with their card by a
cascading foreign key. Both: ``search_term``, the words the index has seen (what a
misspelt word may have meant). The cards already stored are indexed here
(app.search.index writes the documents, as the ingest store does from now on).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from app.models.search import TERM_TYPE
from app.search.index import INDEX_TABLE, index_everything
from cards.taxonomy import default_taxonomy

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'search_term',
        sa.Column('term', TERM_TYPE, nullable=False),
        sa.PrimaryKeyConstraint('term'),
    )
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            f'CREATE TABLE {INDEX_TABLE} ('
            ' card_id integer PRIMARY KEY REFERENCES card (id) ON DELETE CASCADE,'
            ' document tsvector NOT NULL)'
        )
        op.execute(f'CREATE INDEX ix_{INDEX_TABLE}_document ON {INDEX_TABLE} USING gin (document)')
    else:
        op.execute(
            f'CREATE VIRTUAL TABLE {INDEX_TABLE} USING fts5('
            ' title, brand, summary, provider, interests,'
            " tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            f'CREATE TRIGGER {INDEX_TABLE}_forget AFTER DELETE ON card'
            f' BEGIN DELETE FROM {INDEX_TABLE} WHERE rowid = old.id; END'
        )
    with Session(bind=op.get_bind()) as db:
        index_everything(db, default_taxonomy())


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        op.execute(f'DROP TRIGGER {INDEX_TABLE}_forget')
    op.execute(f'DROP TABLE {INDEX_TABLE}')
    op.drop_table('search_term')
