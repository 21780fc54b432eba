"""The PostgreSQL server going away and coming back, with the same app all along.

The server is a real one of the test's own (it is stopped and started, so it cannot be
the suite's shared one). Dropped connections are replaced without the shopper seeing
anything; while the server is down every route answers 503; once it is up again the
next request works.
"""

from __future__ import annotations

import logging
import re

import pytest
from flask import Flask
from sqlalchemy import text

from app.db import make_engine
from app.migrate import upgrade

pytestmark = pytest.mark.postgres
UNAVAILABLE = "Plaza is briefly unavailable"


@pytest.fixture
def app(private_postgres, make_app) -> Flask:  # type: ignore[no-untyped-def]
    admin = make_engine(private_postgres.database("postgres"))
    with admin.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
        connection.execute(text("CREATE DATABASE plaza"))
    admin.dispose()
    engine = make_engine(private_postgres.database("plaza"))
    upgrade(engine)
    engine.dispose()
    return make_app(private_postgres.database("plaza"))


def _cards_on(response) -> int:  # type: ignore[no-untyped-def]
    return response.get_data(as_text=True).count('class="card ')


def test_the_feed_survives_dropped_connections_and_a_server_restart(
    world, app, private_postgres, caplog
):
    world.consumer()
    world.cards(world.provider(), 45)
    world.login()
    first = world.client.get("/")
    assert first.status_code == 200 and _cards_on(first) == 20
    cursor = re.search(r'/feed\?cursor=([^"&]+)', first.get_data(as_text=True))
    assert cursor
    world.db.close()  # the test's own session gives its connection back

    # Every connection of the app is ended from outside (a failover, an idle-connection
    # reaper): the pool notices before using one, so the shopper sees nothing.
    admin = make_engine(private_postgres.database("postgres"))
    with admin.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = 'plaza' AND pid <> pg_backend_pid()"
            )
        ).scalar_one()
    admin.dispose()
    assert ended >= 1
    second = world.client.get(f"/feed?cursor={cursor.group(1)}")
    assert second.status_code == 200 and _cards_on(second) == 20
    third = re.search(r'/feed\?cursor=([^"&]+)', second.get_data(as_text=True))
    assert third

    caplog.set_level(logging.INFO, logger="app.db")
    private_postgres.stop()
    down = world.client.get("/")
    html = down.get_data(as_text=True)
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert f"<h1>{UNAVAILABLE}</h1>" in html and "Try again in a moment." in html
    assert "Traceback" not in html and "psycopg" not in html
    more = world.client.get(f"/feed?cursor={third.group(1)}", headers={"HX-Request": "true"})
    assert more.status_code == 503 and UNAVAILABLE in more.get_data(as_text=True)
    assert "<html" not in more.get_data(as_text=True)
    api = world.client.get("/api/v1/providers", headers={"Authorization": "Bearer plz_x"})
    assert api.status_code == 503 and api.mimetype == "application/problem+json"
    assert api.headers["Retry-After"] == "5"
    assert world.client.get("/readyz").status_code == 503
    assert world.client.get("/healthz").status_code == 200
    logs = [r.getMessage() for r in caplog.records if r.name == "app.db"]
    assert len(logs) == 1 and logs[0].startswith("Database unavailable"), logs
    assert "Traceback" not in caplog.text

    private_postgres.start()
    assert world.client.get("/readyz").status_code == 200
    back = world.client.get("/")
    assert back.status_code == 200 and _cards_on(back) == 20
    logs = [r.getMessage() for r in caplog.records if r.name == "app.db"]
    assert len(logs) == 2 and logs[1].startswith("Database available again"), logs
