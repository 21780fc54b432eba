"""``plaza demo``: load the offline demo."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app import db
from app.cli.schema import require_schema
from app.demo.load import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from app.taxonomy_store import taxonomy


@click.command("demo", help="Load demo organisations, providers, cards and logins.")
@with_appcontext
def demo_command() -> None:
    require_schema()
    report = load_demo(db.session(), taxonomy())
    for line in report.created:
        click.echo(f"created {line}")
    for line in report.refreshed:
        click.echo(f"refreshed {line}")
    if not report.created:
        click.echo("Demo data was already there; nothing added.")
    click.echo(f"Demo logins (password: {DEMO_PASSWORD}):")
    for email, role in DEMO_LOGINS.items():
        click.echo(f"  {role.value:<9} {email}")
