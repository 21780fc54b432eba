"""``plaza popularity ...``: the impression and open counts that ranking reads."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from app import db
from app.cli.schema import require_schema
from app.ranking.rollup import WINDOW_DAYS, roll_up


@click.group("popularity", help="The impression and open counts that ranking reads.")
def popularity_group() -> None:
    pass


@popularity_group.command(
    "rollup", help="Count new impressions and opens now (the worker does every 5 minutes)."
)
@with_appcontext
def popularity_rollup() -> None:
    require_schema()
    session = db.session()
    try:
        report = roll_up(session, datetime.now(UTC))
    except OperationalError as exc:
        session.rollback()
        raise click.ClickException(f"Could not count events: {exc.orig}") from exc
    click.echo(
        f"Counted {report.counted} impressions and opens; every event up to id "
        f"{report.watermark} is in."
    )
    click.echo(
        f"Popularity covers the {WINDOW_DAYS} days since {report.window_start}; "
        f"forgot {report.forgotten} older day totals."
    )
