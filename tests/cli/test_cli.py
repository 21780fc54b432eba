"""The ``plaza`` command: clear one-line errors (the demo has tests/demo/test_demo.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from app import create_app
from app.models import Organization, User


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
