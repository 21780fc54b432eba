"""The database engine and the session each request uses.

One engine per app (bound with ``init_app``), one SQLModel session per request
opened lazily and closed at teardown, as in the flaskr tutorial. SQLite gets
WAL, foreign keys and a busy timeout so the web and worker threads share it.
The two SQL dialects differ in a couple of places that several modules meet
(upserts, the UTC day of a timestamp); those are answered here once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, cast

from flask import Flask, current_app, g
from sqlalchemy import ColumnElement, Engine, event, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlmodel import Session, create_engine

_INSERTS: dict[str, Callable[..., Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}


SQLITE_BUSY_TIMEOUT = 30.0  # seconds a connection waits for another's write lock
CONNECT_TIMEOUT = 10  # seconds to wait for a PostgreSQL server that does not answer


def make_engine(url: str) -> Engine:
    """An engine for ``url``. A ``timeout`` (SQLite) or ``connect_timeout`` (PostgreSQL)
    in the URL's query replaces the default."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        connect_args: dict[str, Any] = {"check_same_thread": False}
        if "timeout" not in parsed.query:
            connect_args["timeout"] = SQLITE_BUSY_TIMEOUT
        engine = create_engine(url, connect_args=connect_args)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        parsed = parsed.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT)})
    # A pooled connection is pinged before use: one the server dropped (a restart, a
    # failover) is replaced then, and the request goes on instead of failing.
    return create_engine(parsed.render_as_string(hide_password=False), pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    app.extensions["plaza.engine"] = make_engine(app.config["DATABASE_URL"])
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
    if db_session is not None:
        db_session.close()


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
