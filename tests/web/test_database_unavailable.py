"""The database unavailable, on SQLite: pages answer 503 with Retry-After, htmx gets a
toast, the API a problem, the log tells of it once; when it is back the next request
works, with the same app.

The outages are real: another connection holds SQLite's write lock past the app's busy
timeout, the database's folder is not there yet, every pooled connection is in use. Each
lasts until the test ends it, so no test depends on how fast the machine is. (The
PostgreSQL server stopping and starting again is in the ``_postgres`` module.)
"""

from __future__ import annotations

import logging
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from app.models import Organization
from app.partners.tokens import issue_token

UNAVAILABLE = "Plaza is briefly unavailable"
LOGGER = "app.db"


@pytest.fixture
def sqlite_path(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "volume" / "plaza.sqlite3"
    path.parent.mkdir()
    shutil.copy(sqlite_template, path)
    return path


@pytest.fixture
def app(sqlite_path: Path, make_app) -> Flask:  # type: ignore[no-untyped-def]
    # A busy timeout of a tenth of a second instead of 30: a held lock fails fast.
    return make_app(f"sqlite:///{sqlite_path}?timeout=0.1")


def _feed_with_cards(world) -> None:  # type: ignore[no-untyped-def]
    world.consumer()
    world.cards(world.provider(), 30)
    world.login()


def _outage_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER]


def _assert_unavailable_page(response) -> None:  # type: ignore[no-untyped-def]
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.headers["Cache-Control"] == "no-store"
    assert "<h1>Plaza is briefly unavailable</h1>" in html
    assert "Try again in a moment." in html
    assert "Traceback" not in html and "OperationalError" not in html


def test_a_held_write_lock_is_a_503_until_it_is_released(world, sqlite_path, caplog):
    _feed_with_cards(world)
    first = world.client.get("/")
    assert first.status_code == 200
    assert first.get_data(as_text=True).count('class="card ') >= 20
    cursor = re.search(r'/feed\?cursor=([^"&]+)', first.get_data(as_text=True))
    assert cursor

    holder = sqlite3.connect(sqlite_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as a long import would hold it
    caplog.set_level(logging.INFO, logger=LOGGER)
    try:
        _assert_unavailable_page(world.client.get("/"))
        more = world.client.get(f"/feed?cursor={cursor.group(1)}", headers={"HX-Request": "true"})
        assert more.status_code == 503
        assert more.headers["Retry-After"] == "5"
        toast = more.get_data(as_text=True)
        assert UNAVAILABLE in toast and 'role="alert"' in toast
        assert "<html" not in toast  # a fragment htmx puts among the toasts
        assert world.client.get("/healthz").status_code == 200  # the process is alive
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    again = world.client.get("/")
    assert again.status_code == 200
    assert again.get_data(as_text=True).count('class="card ') >= 10

    logs = _outage_logs(caplog)
    assert len(logs) == 2, logs  # once when it started, once when it ended
    assert logs[0].startswith("Database unavailable")
    assert "database is locked" in logs[0]
    assert logs[1].startswith("Database available again") and "2 requests" in logs[1]


def test_a_missing_database_folder_is_a_503_for_pages_the_api_and_readiness(
    make_app, sqlite_path, tmp_path, caplog
):
    """The app starts before its volume is mounted, and works once it is."""
    with Session(create_engine(f"sqlite:///{sqlite_path}")) as session:
        token = _api_token(session)
    volume, away = sqlite_path.parent, tmp_path / "not-mounted-yet"
    volume.rename(away)
    app = make_app(f"sqlite:///{sqlite_path}")
    client = app.test_client()
    caplog.set_level(logging.INFO, logger=LOGGER)

    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json == {
        "status": "unavailable",
        "database": "unreachable",
    }
    assert client.get("/healthz").status_code == 200
    api = client.get("/api/v1/providers", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 503
    assert api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"] == "5"
    assert api.json["status"] == 503 and UNAVAILABLE in api.json["detail"]
    page = client.get("/interests", headers={"Accept": "text/html"})
    # Without a session there is nobody to look up: the login redirect needs no database.
    assert page.status_code == 302

    away.rename(volume)
    assert client.get("/readyz").status_code == 200
    api = client.get("/api/v1/providers", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.get_data(as_text=True)
    logs = _outage_logs(caplog)
    assert len(logs) == 2, logs
    assert "unable to open database file" in logs[0]


def test_every_pooled_connection_in_use_is_a_503(world, app):
    _feed_with_cards(world)
    # The app's pool made small: one connection, and no wait for another.
    small = create_engine(
        app.config["DATABASE_URL"], poolclass=QueuePool, pool_size=1, max_overflow=0,
        pool_timeout=0.05,
    )  # fmt: skip
    app.extensions["plaza.engine"] = small
    try:
        taken = small.connect()
        try:
            _assert_unavailable_page(world.client.get("/"))
        finally:
            taken.close()
        assert world.client.get("/").status_code == 200
    finally:
        small.dispose()


def test_a_mistake_in_a_query_stays_a_500(world, app):
    """SQLite calls a missing table an OperationalError too, but that is a bug, not an outage."""
    from sqlalchemy import text

    from app import db

    @app.get("/broken-query")
    def broken_query() -> str:
        db.session().execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = world.client.get("/broken-query")
    assert response.status_code == 500
    assert "Retry-After" not in response.headers


def _api_token(session: Session) -> str:
    organization = Organization(slug="acme", name="Acme Outfitters")
    session.add(organization)
    session.flush()
    _, secret = issue_token(session, organization, "read", "outage test")
    session.commit()
    return secret
