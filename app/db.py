"""The database engine and the session each request uses.

One engine per app (bound with ``init_app``), one SQLModel session per request
opened lazily and closed at teardown, as in the flaskr tutorial. SQLite gets
WAL, foreign keys and a busy timeout so the web and worker threads share it.
The two SQL dialects differ in a couple of places that several modules meet
(upserts, the UTC day of a timestamp); those are answered here once.

When the database cannot be reached (PostgreSQL down or restarting, SQLite
locked past its busy timeout, every pooled connection in use), :func:`unavailable`
says so and :class:`Outage` remembers it, so that pages answer 503 and the log
tells of an outage once, when it starts and when it ends. Nothing has to be
restarted afterwards: PostgreSQL connections are pinged before each use, and a
dead one is replaced; SQLite's are files, which a lock or a missing file does
not break.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import date
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import ColumnElement, Engine, event, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.exc import (
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

_INSERTS: dict[str, Callable[..., Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT = 30.0  # seconds a connection waits for another's write lock
CONNECT_TIMEOUT = 10  # seconds to wait for a PostgreSQL server that does not answer
CHECKPOINT_TRIES = 5
# SQLite reads the file through a memory map of up to this much (address space, not
# memory: the pages are the operating system's cache, shared by every connection)
# instead of copying each page it needs into its own small cache with a read(). At a
# million cards a search touches a few thousand pages of the index (each match's size
# for BM25) and of the cards: mapped, it costs about a tenth less CPU.
SQLITE_MMAP_BYTES = 2**31 - 2**16  # SQLite's own ceiling (SQLITE_MAX_MMAP_SIZE)


def make_engine(url: str) -> Engine:
    """An engine for ``url``. A ``timeout`` (SQLite) or ``connect_timeout`` (PostgreSQL)
    in the URL's query replaces the default."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args: dict[str, Any] = {"check_same_thread": False}
        if "timeout" not in parsed.query:
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT
        engine = create_engine(url, connect_args=connect_args, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername in ("postgresql", "postgres"):  # Fly and Heroku say postgres://
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT)})
    # A pooled connection is pinged before use: one the server dropped (a restart, a
    # failover) is replaced then, and the request goes on instead of failing.
    # A statement's parameters (an email, a password's hash) never reach an error's text,
    # and so never a log (app.logs).
    return create_engine(
        parsed.render_as_string(hide_password=False), pool_pre_ping=True, hide_parameters=True
    )


# A connection waiting for SQLite's write lock tries again every 100 ms once it has
# waited a while: a job that commits and writes again at once keeps it out for good.
WRITERS_TURN = 0.1


def writers_turn(db: Session) -> None:
    """Between the transactions of a long job (a large refresh, a prune): on SQLite,
    pause long enough for a feed page waiting to write its impressions to get in."""
    if db.get_bind().dialect.name == "sqlite":
        time.sleep(WRITERS_TURN)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    # Deleted rows are overwritten with zeros, not left in free pages: a deleted account
    # is gone from the file too (app.accounts.deletion checkpoints the WAL after).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def init_app(app: Flask) -> None:
    app.extensions["plaza.engine"] = make_engine(app.config["DATABASE_URL"])
    app.extensions["plaza.outage"] = Outage()
    app.teardown_appcontext(close_session)


def engine() -> Engine:
    return cast(Engine, current_app.extensions["plaza.engine"])


def session() -> Session:
    """The current request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(engine(), expire_on_commit=False)
    return cast(Session, g.db_session)


def close_session(_exc: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is None:
        return
    try:
        db_session.close()
    except Exception as error:  # closing rolls back, on a connection that may be gone
        if not unavailable(error):
            raise
        return
    if _exc is None and not g.get("db_unavailable"):
        outage().ended()  # a request used the database without trouble


# --- The database unavailable -------------------------------------------------------

UNAVAILABLE_ERRORS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
SQLITE_ERROR = 1  # SQLite's generic code: no such table or column, a syntax error


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached or used just now (down,
    restarting, refusing connections, locked, out of pooled connections) rather than
    a mistake in a query, which stays a 500."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, UNAVAILABLE_ERRORS):
        return False
    code = getattr(getattr(error, "orig", None), "sqlite_errorcode", None)
    return code is None or code & 0xFF != SQLITE_ERROR


def describe(error: BaseException) -> str:
    """One line on what went wrong: the driver's own words, without SQL or parameters."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines()
    return f"{type(cause).__name__}: {lines[0] if lines else 'no message'}"


class Outage:
    """Whether this process finds the database unavailable, so that an outage is
    logged once when it starts and once when it ends, not at every request between."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.since: float | None = None  # time.monotonic() of the first failure
        self.failures = 0

    @property
    def active(self) -> bool:
        return self.since is not None

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self.failures += 1
            if self.since is not None:
                return
            self.since = time.monotonic()
        log.error("Database unavailable, answering 503 until it is back: %s", describe(error))

    def ended(self) -> None:
        if self.since is None:  # the usual case, without taking the lock
            return
        with self._lock:
            if self.since is None:
                return
            seconds, failures = time.monotonic() - self.since, self.failures
            self.since, self.failures = None, 0
        log.warning(
            "Database available again after %.0f s; %d requests were answered 503",
            seconds,
            failures,
        )


def outage() -> Outage:
    return cast(Outage, current_app.extensions["plaza.outage"])


def checkpoint_sqlite(db: Session) -> bool:
    """On SQLite, copy the write-ahead log into the database file and empty it, so that
    what was deleted is in neither file. True when done (or not SQLite); False when a
    reader held it back, after a few tries. PostgreSQL has no such file to clear."""
    bind = cast(Engine, db.get_bind())
    if bind.dialect.name != "sqlite":
        return True
    db.commit()  # this session holds no snapshot that would keep the log
    for attempt in range(CHECKPOINT_TRIES):
        with bind.connect() as connection:
            busy = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()[0]
        if not busy:
            return True
        time.sleep(0.05 * (attempt + 1))
    return False


def dialect_insert(db: Session) -> Callable[..., Any]:
    """The dialect's ``insert``, whose statements have ``on_conflict_do_*``."""
    return _INSERTS[db.get_bind().dialect.name]


def utc_day(db: Session, moment: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp column, in the database's own dialect."""
    if db.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("UTC", moment))
    return func.date(moment)  # SQLite stores UTC without a zone


def as_date(value: date | str) -> date:
    """A day read back from :func:`utc_day` (SQLite answers with text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE changed (its result is a cursor's)."""
    return cast(CursorResult[Any], result).rowcount
