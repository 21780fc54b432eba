"""The ``plaza`` command: clear one-line errors, and an idempotent demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import Session, col, select

from app import create_app
from app.models import Card, Event, Organization, Provider, User
from app.popularity_models import CardPopularity


def test_users_create_makes_each_role(runner, db):
    db.add(Organization(slug="northwind", name="Northwind"))
    db.commit()
    for role, extra in (("consumer", []), ("retailer", ["--org", "northwind"]), ("staff", [])):
        result = runner.invoke(
            args=["users", "create", "--email", f"{role}@example.com", "--password",
                  "long enough password", "--role", role, *extra]
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert f"Created {role} {role}@example.com" in result.output
    roles = {u.email: u.role for u in db.exec(select(User))}
    assert roles == {
        "consumer@example.com": "consumer",
        "retailer@example.com": "retailer",
        "staff@example.com": "staff",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--email", "nope", "--password", "long enough password"], "not a valid email address"),
        (["--email", "a@example.com", "--password", "short"], "at least 12 characters"),
        (["--email", "a@example.com", "--password", "long enough password", "--role", "retailer"],
         "belongs to an organisation"),
        (["--email", "a@example.com", "--password", "long enough password", "--org", "ghost"],
         "There is no organisation 'ghost'"),
    ],
)  # fmt: skip
def test_users_create_errors_are_one_clear_line(runner, db, args, message):
    result = runner.invoke(args=["users", "create", *args])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]
    assert db.exec(select(User)).all() == []


def test_duplicate_user_is_refused(runner):
    args = ["users", "create", "--email", "a@example.com", "--password", "long enough password"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_db_upgrade_reports_the_revision(runner):
    from alembic.script import ScriptDirectory

    from app.migrate import MIGRATIONS

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0
    assert f"Database is at revision {head}." in result.output


def test_commands_refuse_an_unmigrated_database(tmp_path):
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/empty.db"})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "run `plaza db upgrade` first" in result.output


@pytest.fixture
def demo_app(database_url, tmp_path):
    """The real taxonomy and the bundled demo data, as `make run` uses them."""
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": database_url, "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_COST": 1024})  # fmt: skip
    yield app
    app.extensions["plaza.engine"].dispose()


def _counts(app) -> tuple[int, int, int, int]:
    with Session(app.extensions["plaza.engine"]) as db:
        return tuple(  # type: ignore[return-value]
            db.exec(select(func.count()).select_from(model)).one()
            for model in (Organization, User, Provider, Card)
        )


def test_demo_is_complete_and_idempotent(demo_app):
    runner = demo_app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "demo@example.com" in first.output and "plaza-demo-pass" in first.output
    orgs, users, providers, cards = _counts(demo_app)
    assert orgs == 3 and users == 3 and providers >= 10 and cards >= 300
    with Session(demo_app.extensions["plaza.engine"]) as db:
        kinds = set(db.exec(select(Provider.kind)).all())
        failing = db.exec(select(Provider).where(Provider.last_error.is_not(None))).all()
        counted = db.exec(select(func.sum(CardPopularity.impressions + CardPopularity.opens))).one()
        shown_or_opened = db.exec(
            select(func.count()).where(col(Event.kind).in_(("impression", "open")))
        ).one()
    assert kinds == {"product_feed", "youtube", "pinterest", "promotion", "survey"}
    assert failing == []
    assert counted == shown_or_opened > 0  # popularity is live without waiting for the worker
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "nothing added" in second.output
    assert _counts(demo_app) == (orgs, users, providers, cards)


def test_demo_consumer_sees_a_full_feed(demo_app):
    assert demo_app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    client = demo_app.test_client()
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={"email": "demo@example.com", "password": "plaza-demo-pass", "csrf_token": token},
    )
    assert response.status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert html.count('<article class="card') == 20
    assert len(set(re.findall(r'data-card-kind="(\w+)"', html))) >= 3


def test_the_plaza_command_fails_with_one_line(tmp_path):
    env = {**os.environ, "PLAZA_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "PLAZA_SECRET_KEY": "x"}  # fmt: skip
    plaza = Path(sys.executable).with_name("plaza")
    result = subprocess.run(
        [str(plaza), "users", "create", "--email", "bad", "--password", "long enough password"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == "Error: The database has no schema yet: run `plaza db upgrade` first."
    )
