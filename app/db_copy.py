"""Copying a Plaza database into PostgreSQL: ``plaza db copy --to postgresql://...``.

A Plaza that outgrew SQLite moves its data this way. Everything happens in one
PostgreSQL transaction, schema included (PostgreSQL's schema changes are
transactional): the target is migrated to the source's revision, every table is
copied parents first (the order of the foreign keys), the sequences are set past the
highest ids, and the row counts of both sides are compared; only then is it
committed. Any failure (a row PostgreSQL refuses, a dropped connection, a count that
differs) rolls the target back to what it was.

The source is read in one snapshot (a read transaction), so a Plaza still running
cannot hand over half of a change; its rows stream in batches, so memory stays the
same for a thousand cards or a million.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Table,
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql import Select
from sqlmodel import Session

from app.db import describe
from app.migrate import current_revision, upgrade_within
from app.search.index import index_everything, is_index_table
from cards.taxonomy import Taxonomy

BATCH_ROWS = 2000  # rows read and written at a time
PROGRESS_ROWS = 100_000  # a large table says how far it is every this many rows
SKIPPED_TABLES = frozenset({"alembic_version"})  # the migration writes the target's own
# The search index is made differently on each database (an FTS5 table and its shadow
# tables on SQLite, tsvector rows on PostgreSQL): it is written afresh on the target from
# the copied cards, with its vocabulary, rather than copied.
REBUILT_TABLES = frozenset({"search_term"})
# Tables the migrations themselves put rows in (a rollup's starting mark): a freshly
# migrated target has those and is still empty; the copy replaces them with the source's.
FILLED_BY_MIGRATIONS = frozenset({"rollup_progress"})

Say = Callable[[str], None]


class CopyRefused(Exception):
    """The copy cannot or should not start (or could not finish); nothing was changed.
    The message says why, for the person at the terminal."""


def copy_database(
    source: Engine,
    target: Engine,
    taxonomy: Taxonomy,
    *,
    force: bool,
    say: Say,
    batch: int = BATCH_ROWS,
) -> dict[str, int]:
    """Copy every table of ``source`` into the PostgreSQL database ``target`` (see the
    module's docstring); returns the rows copied per table. ``say`` prints progress.
    Raises :class:`CopyRefused` with nothing changed in the target."""
    if target.dialect.name != "postgresql":
        raise CopyRefused("The target must be a PostgreSQL database: postgresql://...")
    if _same_database(source, target):
        raise CopyRefused("The target is this Plaza's own database.")
    try:
        revision = current_revision(source)
        if revision is None:
            raise CopyRefused("This database has no schema yet: there is nothing to copy.")
        target_revision = current_revision(target)
        if target_revision not in (None, revision):
            raise CopyRefused(
                f"The target database is at revision {target_revision} and this one at "
                f"{revision}: bring both to the same revision with `plaza db upgrade` first."
            )
        with _snapshot(source) as reading, target.connect() as writing, writing.begin():
            if target_revision is None:
                say(f"Migrating the target to revision {revision}...")
                upgrade_within(writing, revision)
            copied = _copy_tables(reading, writing, force=force, say=say, batch=batch)
            # Its own session's commits stay inside the target's one transaction.
            indexed = index_everything(Session(bind=writing), taxonomy)
            say(f"Search index: {indexed} cards.")
    except SQLAlchemyError as error:
        raise CopyRefused(
            f"The copy failed and the target was left as it was: {describe(error)}"
        ) from error
    return copied


def _same_database(source: Engine, target: Engine) -> bool:
    def where(engine: Engine) -> tuple[Any, ...]:
        url = engine.url
        return (url.get_backend_name(), url.host, url.port, url.database)

    return where(source) == where(target)


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection that reads one consistent state of the database until it closes."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite starts no transaction for reads: without one, each SELECT would
            # see the database as it is at that moment.
            connection.exec_driver_sql("BEGIN")
        else:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
        yield connection


def _copy_tables(
    reading: Connection, writing: Connection, *, force: bool, say: Say, batch: int
) -> dict[str, int]:
    """Inside the target's transaction, whose schema is the source's: empty (with
    ``force``), copy, reset the sequences, check."""
    targets = _tables(writing)
    sources = {table.name: table for table in _tables(reading)}
    missing = sorted({t.name for t in targets} ^ sources.keys())
    if missing:
        raise CopyRefused(f"The two schemas differ (tables {', '.join(missing)}).")
    held = {name: rows for name, rows in _row_counts(writing, targets).items() if rows}
    existing = {name: rows for name, rows in held.items() if name not in FILLED_BY_MIGRATIONS}
    if existing and not force:
        raise CopyRefused(
            f"The target database already has data ({_listed(existing)}): "
            "add --force to replace it."
        )
    if existing:
        say(f"Replacing what the target had: {_listed(existing)}.")
    # Row by row, children first, and only where there are rows: TRUNCATE would meet the
    # audit log's guard even where it is empty. An audit log with entries refuses to be
    # emptied (it is append-only), and so the copy is refused.
    for table in reversed(targets):
        if table.name in held:
            writing.execute(table.delete())
    copied: dict[str, int] = {}
    copies = []
    for table in targets:
        later = _pointing_ahead(table, copied.keys())
        copy = _TableCopy(reading, sources[table.name], writing, table, batch, later)
        copied[table.name] = copy.copy_rows(say)
        say(f"{table.name}: {copied[table.name]} rows")
        copies.append(copy)
    for copy in copies:
        if copy.later:
            copy.fill_in()
    _reset_sequences(writing, targets)
    _check(_row_counts(reading, list(sources.values())), _row_counts(writing, targets))
    say(f"Checked: all {len(targets)} tables have as many rows in the target as here.")
    return copied


def _tables(connection: Connection) -> list[Table]:
    """The database's tables, each after those its foreign keys point at."""
    metadata = MetaData()
    metadata.reflect(bind=connection)
    return [
        table
        for table in metadata.sorted_tables
        if table.name not in SKIPPED_TABLES | REBUILT_TABLES and not is_index_table(table.name)
    ]


def _row_counts(connection: Connection, tables: list[Table]) -> dict[str, int]:
    return {
        t.name: connection.execute(select(func.count()).select_from(t)).scalar_one() for t in tables
    }


def _listed(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name}: {rows} rows" for name, rows in counts.items())


def _pointing_ahead(table: Table, copied: Iterable[str]) -> list[str]:
    """The nullable columns of ``table`` whose foreign keys point at rows not copied yet:
    at its own table (a notification folded into a digest made after it) or at one
    copied after it. They are copied empty, then filled in (:meth:`_TableCopy.fill_in`)."""
    done = set(copied)
    return [
        key.parent.name
        for key in table.foreign_keys
        if key.column.table.name not in done and key.parent.nullable
    ]


@dataclass(frozen=True)
class _TableCopy:
    """One table on both sides, and the columns of it copied empty, then filled in."""

    reading: Connection
    source: Table
    writing: Connection
    target: Table
    batch: int
    later: list[str]

    def copy_rows(self, say: Say) -> int:
        """Stream the source's rows into the target ``batch`` at a time, with the
        columns ``later`` left empty; returns how many."""
        copied = 0
        for chunk in _stream(self.reading, select(self.source), self.source, self.batch):
            values = [_as_target(row, self.target, empty=self.later) for row in chunk]
            self.writing.execute(self.target.insert(), values)
            if (copied + len(values)) // PROGRESS_ROWS > copied // PROGRESS_ROWS:
                say(f"{self.target.name}: {copied + len(values)} rows so far...")
            copied += len(values)
        return copied

    def fill_in(self) -> None:
        """Set the columns ``later`` of the rows copied without them, now that every row
        they point at is there."""
        source, target, later = self.source, self.target, self.later
        key = list(target.primary_key.columns)
        wanted = select(*(source.c[c.name] for c in key), *(source.c[name] for name in later))
        filled = wanted.where(or_(*(source.c[name].is_not(None) for name in later)))
        change = (
            target.update()
            .where(*(column == bindparam(f"key_{column.name}") for column in key))
            .values({name: bindparam(f"new_{name}") for name in later})
        )
        for chunk in _stream(self.reading, filled, source, self.batch):
            rows = [_as_target(row, target) for row in chunk]
            self.writing.execute(
                change,
                [
                    {f"key_{c.name}": row[c.name] for c in key}
                    | {f"new_{name}": row[name] for name in later}
                    for row in rows
                ],
            )


def _stream(
    reading: Connection, query: Select[Any], source: Table, batch: int
) -> Iterator[Sequence[RowMapping]]:
    """The rows of ``query`` in primary-key order, ``batch`` at a time, never all at once."""
    order: list[Column[Any]] = list(source.primary_key.columns) or list(source.columns)
    rows = reading.execution_options(yield_per=batch).execute(query.order_by(*order))
    yield from rows.mappings().partitions()


def _as_target(row: RowMapping, target: Table, empty: Iterable[str] = ()) -> dict[str, Any]:
    """A source row for PostgreSQL, with the columns ``empty`` empty. SQLite keeps UTC
    times without their zone, which a ``timestamptz`` column would otherwise read in the
    server's time zone."""
    values = dict(row)
    for name, moment in values.items():
        if isinstance(moment, datetime) and moment.tzinfo is None and _zoned(target.c[name]):
            values[name] = moment.replace(tzinfo=UTC)
    for name in empty:
        values[name] = None
    return values


def _zoned(column: Column[Any]) -> bool:
    return isinstance(column.type, DateTime) and bool(column.type.timezone)


def _reset_sequences(writing: Connection, tables: list[Table]) -> None:
    """Every sequence behind an id column starts after the highest id copied, so the
    next row PostgreSQL numbers does not collide with one from the source."""
    preparer = writing.dialect.identifier_preparer
    for table in tables:
        for column in table.primary_key.columns:
            sequence = writing.execute(
                select(func.pg_get_serial_sequence(preparer.format_table(table), column.name))
            ).scalar()
            if sequence is None:
                continue
            following = func.coalesce(func.max(column), 0) + 1
            writing.execute(select(func.setval(sequence, following, False)).select_from(table))


def _check(source: dict[str, int], target: dict[str, int]) -> None:
    differ = {name: (rows, target.get(name)) for name, rows in source.items()}
    differ = {name: pair for name, pair in differ.items() if pair[0] != pair[1]}
    if differ:
        listed = ", ".join(f"{name}: {a} here, {b} there" for name, (a, b) in differ.items())
        raise CopyRefused(f"The row counts differ ({listed}); the target was left as it was.")
