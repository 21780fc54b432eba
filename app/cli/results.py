"""``plaza results ...``: the counts per card and day that partners' results read."""

from __future__ import annotations

from functools import partial

import click
from flask import current_app
from flask.cli import with_appcontext

from app.cli.popularity import run_rollup
from app.partners.rollup import roll_up_results


@click.group("results", help="The counts per card and day that partners' results read.")
def results_group() -> None:
    pass


@results_group.command(
    "rollup", help="Count new events into the results now (the worker does every 5 minutes)."
)
@with_appcontext
def results_rollup() -> None:
    keep_days = current_app.config["RESULTS_RETENTION_DAYS"]
    report = run_rollup(partial(roll_up_results, keep_days=keep_days))
    click.echo(
        f"Counted {report.counted} events into the results; every event up to id "
        f"{report.watermark} is in."
    )
    click.echo(
        f"Results keep the days since {report.kept_since}; forgot {report.forgotten} older "
        "card days."
    )
