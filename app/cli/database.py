"""``plaza db ...``: the database schema."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from app import db
from app.migrate import current_revision, upgrade


@click.group("db", help="Database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply every migration that has not run yet.")
@with_appcontext
def db_upgrade() -> None:
    try:
        upgrade(db.engine())
        revision = current_revision(db.engine())
    except OperationalError as exc:
        raise click.ClickException(f"Cannot reach the database: {exc.orig}") from exc
    click.echo(f"Database is at revision {revision}.")
