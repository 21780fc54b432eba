"""The search index's vocabulary: every word the index has seen in a card.

The full-text index itself (``card_search``) is not a model: on SQLite it is an FTS5
virtual table, on PostgreSQL a table of ``tsvector`` documents, so each database gets its
own in the migration and :mod:`app.search.index` writes both. The vocabulary is the same
table on both, so that one piece of code suggests a word near a misspelt one.
"""

from __future__ import annotations

from sqlalchemy import String
from sqlmodel import Field, SQLModel

# Byte order on PostgreSQL too ("C"), as on SQLite: a range of words starting with some
# letters is then an index range, whatever the database's locale.
TERM_TYPE = String(40).with_variant(String(40, collation="C"), "postgresql")


class SearchTerm(SQLModel, table=True):
    """A lower-case word of some card's title, brand, summary, provider or interests.
    Words are only added: a word whose cards are gone suggests nothing that matches."""

    __tablename__ = "search_term"
    term: str = Field(sa_type=TERM_TYPE, primary_key=True)
