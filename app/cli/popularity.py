"""``plaza popularity ...``: the impression and open counts that ranking reads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app import db
from app.cli.schema import require_schema
from app.ranking.rollup import WINDOW_DAYS, roll_up

Report = TypeVar("Report")


def run_rollup(job: Callable[[Session, datetime], Report]) -> Report:
    """Run a rollup of the event log now, for an operator: one line if the database
    cannot do it (a busy event table, say), and nothing half done."""
    require_schema()
    session = db.session()
    try:
        return job(session, datetime.now(UTC))
    except OperationalError as exc:
        session.rollback()
        raise click.ClickException(f"Could not count events: {exc.orig}") from exc


@click.group("popularity", help="The impression and open counts that ranking reads.")
def popularity_group() -> None:
    pass


@popularity_group.command(
    "rollup", help="Count new impressions and opens now (the worker does every 5 minutes)."
)
@with_appcontext
def popularity_rollup() -> None:
    report = run_rollup(roll_up)
    click.echo(
        f"Counted {report.counted} impressions and opens; every event up to id "
        f"{report.watermark} is in."
    )
    click.echo(
        f"Popularity covers the {WINDOW_DAYS} days since {report.window_start}; "
        f"forgot {report.forgotten} older day totals."
    )
