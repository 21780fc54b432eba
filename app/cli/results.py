"""``plaza results ...``: the counts per card and day that partners' results read."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from app import db
from app.cli.schema import require_schema
from app.partners.rollup import roll_up_results


@click.group("results", help="The counts per card and day that partners' results read.")
def results_group() -> None:
    pass


@results_group.command(
    "rollup", help="Count new events into the results now (the worker does every 5 minutes)."
)
@with_appcontext
def results_rollup() -> None:
    require_schema()
    session = db.session()
    try:
        report = roll_up_results(
            session, datetime.now(UTC), keep_days=current_app.config["RESULTS_RETENTION_DAYS"]
        )
    except OperationalError as exc:
        session.rollback()
        raise click.ClickException(f"Could not count events: {exc.orig}") from exc
    click.echo(
        f"Counted {report.counted} events into the results; every event up to id "
        f"{report.watermark} is in."
    )
    click.echo(
        f"Results keep the days since {report.kept_since}; forgot {report.forgotten} older "
        "card days."
    )
