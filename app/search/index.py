"""The full-text index of cards: one document per card, on SQLite and PostgreSQL alike.

A card's document holds its title, its brand (a promotion's sponsor), its summary, its
provider's name and the names and aliases of its interests ("Sneakers" finds a card
about athletic shoes). Interests are taxonomy slugs whose names ship with the code, not
in the database, so documents are written here, in Python, by whatever writes cards:
the ingest store for every new or changed card (:mod:`app.ingest.store`), the worker
after a provider's rename (:func:`index_renamed_providers`), and the migration that made
the index (which filled it for the cards already there). A deleted card takes its
document along (a trigger on SQLite, a cascading foreign key on PostgreSQL), so pruning
needs nothing here. A card that may no longer be shown (removed, ended, not started, its
provider suspended) keeps its document: what may be shown is decided when searching, by
the feed's own rules.

SQLite keeps the documents in an FTS5 table (Porter stemming over ``unicode61``) ranked
by BM25; PostgreSQL in ``tsvector`` documents (the ``english`` configuration, weighted
title > brand, provider and interests > summary) under a GIN index, ranked by
``ts_rank``. Both answer the same :class:`Match`: the words of a search, each with the
words it may also be (see :mod:`app.search.spelling`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass

from sqlalchemy import ColumnElement, Float, bindparam, column, func, literal_column, table, text
from sqlalchemy import select as sqlalchemy_select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.expression import Subquery
from sqlmodel import Session, col, select, update

from app.db import writers_turn
from app.models import Card, CardInterest, Provider, SearchTerm
from cards.taxonomy import Taxonomy

INDEX_TABLE = "card_search"  # and, on SQLite, the FTS5 shadow tables named after it
BATCH = 500  # documents written per statement
SUMMARY_MAX = 2_000  # characters of a summary worth searching
WORD = re.compile(r"[^\W\d_]+")  # the vocabulary's words: letters only, no SKUs or prices
WORD_LENGTHS = range(3, 41)
# BM25 with the FTS5 columns' weights in their order (title, brand, summary, provider,
# interests): a word in the title says most about a card, one in its summary least.
# bm25() is lower for a better match, relevance higher.
SQLITE_RELEVANCE = "-bm25(card_search, 10.0, 6.0, 1.0, 4.0, 4.0)"


def is_index_table(name: str | None) -> bool:
    """Whether a table is the index (or one of FTS5's tables behind it): it has no model,
    so Alembic's comparison of the models with the database leaves it out."""
    return name is not None and (name == INDEX_TABLE or name.startswith(f"{INDEX_TABLE}_"))


@dataclass(frozen=True)
class Document:
    card_id: int
    title: str
    brand: str
    summary: str
    provider: str
    interests: str

    def words(self) -> set[str]:
        """Its words, lower-case, for the vocabulary."""
        texts = (self.title, self.brand, self.summary, self.provider, self.interests)
        return {
            word
            for text_ in texts
            for word in WORD.findall(text_.lower())
            if len(word) in WORD_LENGTHS
        }


@dataclass(frozen=True)
class Match:
    """The newest documents that match a search, to join with cards: ``matched`` (a
    subquery to select from), its ``card_id`` and each one's ``relevance`` (higher is
    better)."""

    matched: Subquery
    card_id: ColumnElement[int]
    relevance: ColumnElement[float]


def index_cards(db: Session, card_ids: Iterable[int], taxonomy: Taxonomy) -> None:
    """Write the documents of ``card_ids`` as the cards are now (the caller commits)."""
    ids = sorted(set(card_ids))
    for start in range(0, len(ids), BATCH):
        documents = _documents(db, ids[start : start + BATCH], taxonomy)
        if documents:
            _write(db, documents)
            _remember_words(db, documents)


def index_renamed_providers(db: Session, taxonomy: Taxonomy) -> int:
    """Write again the documents of the cards of every provider renamed since they were
    written (``provider.indexed_name``), a thousand cards a commit so that pages and
    refreshes get in between; the worker's refresh job, every tick. Returns how many
    cards."""
    renamed = db.exec(
        select(Provider.id, Provider.name).where(
            col(Provider.indexed_name).is_not(None), col(Provider.indexed_name) != Provider.name
        )
    ).all()
    total = 0
    for provider_id, name in renamed:
        total += index_everything(db, taxonomy, provider_id=provider_id, per_commit=1_000)
        # Done, unless it was renamed again meanwhile: then the next tick writes them again.
        db.execute(
            update(Provider)
            .where(col(Provider.id) == provider_id, col(Provider.name) == name)
            .values(indexed_name=None)
        )
        db.commit()
    return total


def index_everything(
    db: Session,
    taxonomy: Taxonomy,
    *,
    after: int = 0,
    per_commit: int = 10_000,
    provider_id: int | None = None,
) -> int:
    """Write the document of every card (with an id above ``after``; of one provider if
    ``provider_id``), committing every ``per_commit`` cards: the migration that made the
    index, the benchmark's catalog and a renamed provider. Returns how many cards."""
    last, total = after, 0
    of_provider = () if provider_id is None else (col(Card.provider_id) == provider_id,)
    while ids := list(
        db.exec(
            select(Card.id)
            .where(col(Card.id) > last, *of_provider)
            .order_by(col(Card.id))
            .limit(per_commit)
        )
    ):
        index_cards(db, [card_id for card_id in ids if card_id is not None], taxonomy)
        db.commit()
        if len(ids) == per_commit:  # more to come
            writers_turn(db)
        last, total = ids[-1] or last, total + len(ids)
    return total


def match(db: Session, alternatives: Sequence[Sequence[str]], *, newest: int) -> Match:
    """The ``newest`` documents (by card id: the cards stored last) holding, for each word
    of a search, that word or one of its alternatives.

    Only the newest matches are ranked, so that a search costs the same in a catalog of
    a million cards as in one of a hundred thousand: a word in tens of thousands of
    cards ("shoes") would otherwise have every one of them scored. Both indexes read
    their matches in card id order (FTS5's doclists are, and PostgreSQL walks the
    primary key backwards or sorts a bitmap's matches), and relevance is computed for
    the kept ones only.

    Words are letters and digits only (:mod:`app.search.query`), so they are quoted for
    FTS5 and given to ``to_tsquery`` as plain lexemes: nothing a shopper types reaches
    either as syntax."""
    if _is_postgres(db):
        index = table(INDEX_TABLE, column("card_id"), column("document"))
        groups = " & ".join("(" + " | ".join(words) + ")" for words in alternatives)
        query = func.to_tsquery(literal_column("'english'::regconfig"), bindparam("terms", groups))
        matched = (
            select(index.c.card_id, index.c.document)
            .where(index.c.document.op("@@")(query))
            .order_by(index.c.card_id.desc())
            .limit(newest)
            .subquery("matched")
        )
        return Match(
            matched=matched,
            card_id=matched.c.card_id,
            relevance=func.ts_rank(matched.c.document, query, type_=Float),
        )
    index = table(INDEX_TABLE, column("rowid"))
    expression = " AND ".join(
        "(" + " OR ".join(f'"{word}"' for word in words) + ")" for words in alternatives
    )
    matched = (
        select(
            index.c.rowid.label("card_id"),
            literal_column(SQLITE_RELEVANCE, type_=Float).label("relevance"),
        )
        .select_from(index)
        .where(text("card_search MATCH :terms").bindparams(terms=expression))
        .order_by(index.c.rowid.desc())
        .limit(newest)
        .subquery("matched")
    )
    return Match(matched=matched, card_id=matched.c.card_id, relevance=matched.c.relevance)


def _documents(db: Session, card_ids: list[int], taxonomy: Taxonomy) -> list[Document]:
    rows = db.execute(
        sqlalchemy_select(
            col(Card.id), col(Card.title), col(Card.summary), col(Card.payload), col(Provider.name)
        )
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(col(Card.id).in_(card_ids))
    ).all()
    slugs: dict[int, list[str]] = {}
    for card_id, slug in db.exec(
        select(CardInterest.card_id, CardInterest.slug).where(
            col(CardInterest.card_id).in_(card_ids)
        )
    ):
        slugs.setdefault(card_id, []).append(slug)
    return [
        Document(
            card_id=card_id or 0,
            title=title,
            brand=str(payload.get("brand") or payload.get("sponsor") or ""),
            summary=summary[:SUMMARY_MAX],
            provider=provider,
            interests=" ".join(_interest_words(slugs.get(card_id or 0, ()), taxonomy)),
        )
        for card_id, title, summary, payload, provider in rows
    ]


def _interest_words(slugs: Iterable[str], taxonomy: Taxonomy) -> list[str]:
    """The names and aliases of the interests, each once."""
    words: dict[str, None] = {}
    for slug in slugs:
        interest = taxonomy.get(slug)
        if interest is not None:
            words.update(dict.fromkeys((interest.name, *interest.aliases)))
    return list(words)


# How PostgreSQL weighs a document's parts: title (A) > brand, provider, interests (B) >
# summary (D); ``ts_rank`` counts an A match ten times a D one.
PG_UPSERT = text(
    "INSERT INTO card_search (card_id, document) VALUES (:card_id,"
    " setweight(to_tsvector('english', CAST(:title AS text)), 'A')"
    " || setweight(to_tsvector('english', CAST(:brand AS text)), 'B')"
    " || setweight(to_tsvector('english', CAST(:provider AS text)), 'B')"
    " || setweight(to_tsvector('english', CAST(:interests AS text)), 'B')"
    " || setweight(to_tsvector('english', CAST(:summary AS text)), 'D'))"
    " ON CONFLICT (card_id) DO UPDATE SET document = excluded.document"
)
SQLITE_FORGET = text("DELETE FROM card_search WHERE rowid IN :ids").bindparams(
    bindparam("ids", expanding=True)
)
SQLITE_INSERT = text(
    "INSERT INTO card_search (rowid, title, brand, summary, provider, interests)"
    " VALUES (:card_id, :title, :brand, :summary, :provider, :interests)"
)


def _write(db: Session, documents: list[Document]) -> None:
    rows = [asdict(document) for document in documents]
    if _is_postgres(db):
        db.execute(PG_UPSERT, rows)
        return
    db.execute(SQLITE_FORGET, {"ids": [document.card_id for document in documents]})
    db.execute(SQLITE_INSERT, rows)


def _remember_words(db: Session, documents: list[Document]) -> None:
    words = sorted(set().union(*(document.words() for document in documents)))
    if not words:
        return
    insert = pg_insert if _is_postgres(db) else sqlite_insert
    db.execute(insert(SearchTerm).on_conflict_do_nothing(), [{"term": word} for word in words])


def _is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"
