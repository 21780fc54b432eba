"""What every command that touches the database checks first: that the schema is current."""

from __future__ import annotations

import click
from alembic.script import ScriptDirectory
from sqlalchemy.exc import OperationalError

from app import db
from app.migrate import MIGRATIONS, current_revision


def require_schema() -> None:
    try:
        revision = current_revision(db.engine())
    except OperationalError as exc:
        raise click.ClickException(f"Cannot reach the database: {exc.orig}") from exc
    if revision is None:
        raise click.ClickException("The database has no schema yet: run `plaza db upgrade` first.")
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if revision != head:
        raise click.ClickException(
            f"The database is at revision {revision} but the code needs {head}: "
            "run `plaza db upgrade`."
        )
