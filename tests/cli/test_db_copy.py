"""``plaza db copy --to postgresql://...``: a SQLite Plaza moved into PostgreSQL.

The source is a real SQLite Plaza (the demo, loaded once per session, or a small one),
the target a new database on the suite's real PostgreSQL server. These tests need
PostgreSQL whatever the backend, so they run (and in CI must run) with the PostgreSQL
part of the suite; the refusals that need no server run everywhere.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Engine, MetaData, func
from sqlmodel import Session, SQLModel, select

import app.models as models
from app import create_app
from app.accounts.users import create_user
from app.db import make_engine
from app.db_copy import FILLED_BY_MIGRATIONS, REBUILT_TABLES, SKIPPED_TABLES
from app.demo.load import DEMO_PASSWORD
from app.migrate import current_revision, upgrade
from app.models import Card, Notification, Organization, Provider
from app.search.index import is_index_table
from tests.conftest import DemoTemplates

DEMO_CONSUMER = "demo@example.com"
UNICODE_NAME = "Café Zürich — 東京の店 🏔️"
TABLE_MODELS = [
    model
    for model in (getattr(models, name) for name in models.__all__)
    if isinstance(model, type) and issubclass(model, SQLModel) and hasattr(model, "__table__")
]


def _app(database_url: str) -> Flask:
    """An app on ``database_url`` with the shipped taxonomy, as an operator runs it."""
    return create_app({"SECRET_KEY": "x", "DATABASE_URL": database_url, "ARGON2_TIME_COST": 1,
                       "ARGON2_MEMORY_COST": 1024})  # fmt: skip


@pytest.fixture(scope="session")
def demo_sqlite(demo_templates: DemoTemplates, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite Plaza with the demo loaded (once per session: copied for each test)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    shutil.copy(demo_templates.template("sqlite"), path)
    demo = _app(f"sqlite:///{path}")
    with Session(demo.extensions["plaza.engine"]) as db:
        org = db.exec(select(Organization).order_by(Organization.id)).first()
        assert org is not None
        org.name = UNICODE_NAME
        db.add(org)
        _digest_after_its_member(db)
        db.commit()
    with demo.extensions["plaza.engine"].connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    demo.extensions["plaza.engine"].dispose()
    return path


def _digest_after_its_member(db: Session) -> None:
    """A notification folded into a digest made after it: a row that points at a later
    row of its own table."""
    shopper = db.exec(select(models.User).where(models.User.email == DEMO_CONSUMER)).one()
    member = Notification(
        user_id=shopper.id,
        channel="email",
        category="new_cards",
        subject="card:folded",
        mode="daily",
        state="digested",
        content={"title": UNICODE_NAME, "price": 12.5, "sale": True},
    )
    db.add(member)
    db.flush()
    digest = Notification(user_id=shopper.id, channel="email", category="digest",
                          subject="digest:1", mode="daily", state="sent",
                          content={"members": [member.id]})  # fmt: skip
    db.add(digest)
    db.flush()
    member.digest_id = digest.id
    db.add(member)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[Callable[[Path], Flask]]:
    """The Plaza being copied: a SQLite database file of the test's, with its app."""
    made: list[Flask] = []

    def make(template: Path) -> Flask:
        path = tmp_path / f"source{len(made)}.sqlite3"
        shutil.copy(template, path)
        made.append(_app(f"sqlite:///{path}"))
        return made[-1]

    yield make
    for made_app in made:
        made_app.extensions["plaza.engine"].dispose()


@pytest.fixture
def target(empty_postgres: str) -> Iterator[Engine]:
    engine = make_engine(empty_postgres)
    yield engine
    engine.dispose()


def copy(app: Flask, target: Engine, *more: str) -> Any:
    url = target.url.render_as_string(hide_password=False)
    return app.test_cli_runner().invoke(args=["db", "copy", "--to", url, *more])


def row_counts(engine: Engine) -> dict[str, int]:
    metadata = MetaData()
    metadata.reflect(bind=engine)
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in metadata.sorted_tables
            if table.name not in SKIPPED_TABLES | REBUILT_TABLES and not is_index_table(table.name)
        }


def sample(engine: Engine, model: type[SQLModel], rows: int = 40) -> list[dict[str, Any]]:
    """The first and last rows of a table as Plaza reads them (aware times, JSON, bools)."""
    key = list(model.__table__.primary_key.columns)  # type: ignore[attr-defined]
    with Session(engine) as db:
        first = db.exec(select(model).order_by(*key).limit(rows)).all()
        last = db.exec(select(model).order_by(*(c.desc() for c in key)).limit(rows)).all()
        return [row.model_dump() for row in [*first, *last]]


@pytest.mark.postgres
def test_the_demo_is_copied_whole_and_alike(source, demo_sqlite, target):
    demo = source(demo_sqlite)
    result = copy(demo, target)
    assert result.exit_code == 0, result.output
    here = row_counts(demo.extensions["plaza.engine"])
    there = row_counts(target)
    assert here == there and here["card"] > 20 and here["event"] > 500
    for table, rows in here.items():  # progress, table by table
        assert f"\n{table}: {rows} rows\n" in result.output
    assert f"Checked: all {len(here)} tables have as many rows" in result.output
    assert current_revision(target) == current_revision(demo.extensions["plaza.engine"])
    for model in TABLE_MODELS:
        assert sample(target, model) == sample(demo.extensions["plaza.engine"], model), model
    with Session(target) as db:
        assert db.exec(select(Organization.name)).all().count(UNICODE_NAME) == 1
        member = db.exec(select(Notification).where(Notification.subject == "card:folded")).one()
        assert member.digest_id is not None and member.content["sale"] is True


@pytest.mark.postgres
def test_the_copied_plaza_works_a_shopper_logs_in_and_sees_the_feed(source, demo_sqlite, target):
    assert copy(source(demo_sqlite), target).exit_code == 0
    moved = _app(target.url.render_as_string(hide_password=False))
    try:
        client = moved.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
        login = client.post(
            "/login",
            data={"email": DEMO_CONSUMER, "password": DEMO_PASSWORD, "csrf_token": token},
        )
        assert login.status_code == 303
        feed = client.get("/")  # its impressions are new rows: the sequences moved on
        assert feed.status_code == 200
        assert feed.get_data(as_text=True).count('class="card ') >= 10
        # The search index is written afresh on PostgreSQL from the copied cards.
        found = client.get("/search?q=jacket").get_data(as_text=True)
        assert found.count('class="card ') >= 1
        with moved.app_context(), Session(moved.extensions["plaza.engine"]) as db:
            users = db.exec(select(func.count()).select_from(models.User)).one()
            newest = create_user(db, "new-after-the-move@example.com", "correct horse battery")
            db.commit()  # no id taken twice
            assert newest.id is not None and newest.id > users
    finally:
        moved.extensions["plaza.engine"].dispose()


@pytest.mark.postgres
def test_a_target_with_data_is_refused_without_force_and_replaced_with_it(
    source, sqlite_template, target
):
    small = source(sqlite_template)
    with Session(small.extensions["plaza.engine"]) as db:
        db.add(Organization(slug="northwind", name="Northwind"))
        db.commit()
    assert copy(small, target).exit_code == 0
    with Session(target) as db:
        db.add(Organization(slug="only-there", name="Only in the target"))
        db.commit()
    before = row_counts(target)

    refused = copy(small, target)
    assert refused.exit_code == 1
    assert "already has data (organization: 2 rows): add --force to replace it" in refused.output
    assert row_counts(target) == before

    forced = copy(small, target, "--force")
    assert forced.exit_code == 0, forced.output
    assert "Replacing what the target had: organization: 2 rows." in forced.output
    with Session(target) as db:
        assert db.exec(select(Organization.slug)).all() == ["northwind"]
        db.add(Organization(slug="next", name="Next"))  # the sequence starts after the copy
        db.commit()


def _dangling_card(app: Flask) -> None:
    """A card whose provider is gone: SQLite kept it (foreign keys were off), PostgreSQL
    refuses it, in the middle of the copy (after the tables it comes after)."""
    with app.extensions["plaza.engine"].connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        with Session(bind=connection) as db:
            db.add(Card(provider_id=999_999, kind="product_feed", external_id="orphan",
                        title="Orphan", url="https://shop.example/orphan"))  # fmt: skip
            db.commit()
        connection.commit()  # the session joined the connection's transaction


@pytest.mark.postgres
def test_a_copy_that_fails_midway_leaves_an_empty_target_without_even_the_schema(
    source, demo_sqlite, target
):
    demo = source(demo_sqlite)
    _dangling_card(demo)
    result = copy(demo, target)
    assert result.exit_code == 1
    assert "The copy failed and the target was left as it was: ForeignKeyViolation" in (
        result.output
    )
    assert re.search(r"^organization: \d+ rows$", result.output, re.M)  # it failed midway
    assert current_revision(target) is None
    assert row_counts(target) == {}


@pytest.mark.postgres
def test_a_forced_copy_that_fails_midway_keeps_what_the_target_had(source, sqlite_template, target):
    small = source(sqlite_template)
    with Session(small.extensions["plaza.engine"]) as db:
        db.add(Organization(slug="northwind", name="Northwind"))
        db.commit()
        org_id = db.exec(select(Organization.id)).one()
        db.add(Provider(organization_id=org_id, kind="product_feed", name="Feed"))
        db.commit()
    assert copy(small, target).exit_code == 0
    before = row_counts(target)
    _dangling_card(small)
    result = copy(small, target, "--force")
    assert result.exit_code == 1 and "left as it was" in result.output
    assert row_counts(target) == before
    with Session(target) as db:
        assert db.exec(select(Organization.slug)).all() == ["northwind"]


@pytest.mark.postgres
def test_a_target_at_another_revision_is_refused(source, sqlite_template, target):
    upgrade(target, "0014")
    here = source(sqlite_template)
    head = current_revision(here.extensions["plaza.engine"])
    result = copy(here, target)
    assert result.exit_code == 1
    assert f"The target database is at revision 0014 and this one at {head}" in result.output
    assert "`plaza db upgrade`" in result.output
    assert current_revision(target) == "0014"


def test_a_freshly_migrated_database_has_rows_only_where_the_copy_expects_them(sqlite_template):
    """A target that ``plaza db upgrade`` prepared is empty for the copy: the only rows the
    migrations write are in the tables it knows of (a new one would be refused as data)."""
    engine = make_engine(f"sqlite:///{sqlite_template}")
    try:
        filled = {table for table, rows in row_counts(engine).items() if rows}
    finally:
        engine.dispose()
    assert filled and filled <= FILLED_BY_MIGRATIONS


@pytest.mark.postgres
def test_a_target_prepared_by_plaza_db_upgrade_counts_as_empty(source, sqlite_template, target):
    upgrade(target)
    result = copy(source(sqlite_template), target)
    assert result.exit_code == 0, result.output
    assert "Replacing" not in result.output


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("sqlite:///elsewhere.sqlite3", "The target must be a PostgreSQL database"),
        ("not a url", "--to is not a database URL"),
    ],
)
def test_a_target_that_is_not_postgresql_is_refused_in_one_line(runner, to, message):
    result = runner.invoke(args=["db", "copy", "--to", to])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1].startswith(f"Error: {message}")


def test_a_postgres_url_as_fly_and_heroku_write_it_is_understood():
    engine = make_engine("postgres://plaza:secret@db.internal:5432/plaza")
    try:
        assert engine.url.drivername == "postgresql+psycopg"
        assert engine.url.query["connect_timeout"] == "10"
    finally:
        engine.dispose()
