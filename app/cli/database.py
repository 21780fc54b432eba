"""``plaza db ...``: the database schema, and moving the data to PostgreSQL."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import ArgumentError, OperationalError

from app import db
from app.db import make_engine
from app.db_copy import CopyRefused, copy_database
from app.migrate import current_revision, upgrade
from app.taxonomy_store import taxonomy


@click.group("db", help="Database schema, and copying the data to PostgreSQL.")
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


@db_group.command("copy", help="Copy this database into an empty PostgreSQL database.")
@click.option(
    "--to",
    "target_url",
    required=True,
    metavar="postgresql://...",
    help="The PostgreSQL database to copy into; migrated to this one's revision.",
)
@click.option("--force", is_flag=True, help="Replace whatever the target database holds.")
@with_appcontext
def db_copy(target_url: str, force: bool) -> None:
    try:
        target = make_engine(target_url)
    except ArgumentError as exc:
        raise click.ClickException(f"--to is not a database URL: {exc}") from exc
    shown = target.url.render_as_string(hide_password=True)
    click.echo(f"Copying {db.engine().url.render_as_string(hide_password=True)} to {shown}.")
    try:
        copied = copy_database(db.engine(), target, taxonomy(), force=force, say=click.echo)
    except CopyRefused as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        target.dispose()
    click.echo(f"Copied {sum(copied.values())} rows in {len(copied)} tables to {shown}.")
