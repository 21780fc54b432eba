"""The ``plaza`` command (also ``flask --app app ...``).

Every failure is one clear line on stderr and a non-zero exit status, so
scripts and the Fly release command can rely on it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import OperationalError

from app import db
from app.accounts import AccountError, create_user
from app.api.cli import tokens_group
from app.cli_providers import providers_group
from app.models import Role
from app.portal.cli import organization_or_fail, orgs_group


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(demo_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(users_group)
    app.cli.add_command(providers_group)
    app.cli.add_command(orgs_group)
    app.cli.add_command(tokens_group)
    app.cli.add_command(popularity_group)


@click.group("db", help="Database schema.")
def db_group() -> None:
    pass


@db_group.command("upgrade", help="Apply every migration that has not run yet.")
@with_appcontext
def db_upgrade() -> None:
    from app.migrate import current_revision, upgrade

    try:
        upgrade(db.engine())
        revision = current_revision(db.engine())
    except OperationalError as exc:
        raise click.ClickException(f"Cannot reach the database: {exc.orig}") from exc
    click.echo(f"Database is at revision {revision}.")


@click.command("demo", help="Load demo organisations, providers, cards and logins.")
@with_appcontext
def demo_command() -> None:
    from app.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
    from app.taxonomy_store import taxonomy

    _require_schema()
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


@click.command("serve", help="Serve Plaza (with the worker in-process unless --no-worker).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-worker", is_flag=True, help="Run the worker as its own process instead.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def serve_command(host: str, port: int, no_worker: bool, threads: int) -> None:
    import waitress

    from app.worker import build_scheduler

    _require_schema()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    _configure_logging()
    if not no_worker:
        build_scheduler(app, blocking=False).start()
        click.echo("Worker running in-process.")
    click.echo(f"Plaza is serving at http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="Plaza")


@click.command("worker", help="Run the refresh worker (APScheduler) in the foreground.")
@with_appcontext
def worker_command() -> None:
    from app.worker import build_scheduler

    _require_schema()
    _configure_logging()
    click.echo("Worker started; Ctrl+C stops it.")
    scheduler = build_scheduler(current_app._get_current_object(), blocking=True)  # type: ignore[attr-defined]
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Worker stopped.")


@click.group("popularity", help="The impression and open counts that ranking reads.")
def popularity_group() -> None:
    pass


@popularity_group.command(
    "rollup", help="Count new impressions and opens now (the worker does every 5 minutes)."
)
@with_appcontext
def popularity_rollup() -> None:
    from app.popularity_counts import WINDOW_DAYS, roll_up

    _require_schema()
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


@click.group("users", help="Accounts.")
def users_group() -> None:
    pass


@users_group.command("create", help="Create an account.")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 12 characters.")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.CONSUMER.value,
    show_default=True,
)
@click.option("--org", "org_slug", help="Organisation slug (retailers).")
@with_appcontext
def users_create(email: str, password: str, role: str, org_slug: str | None) -> None:
    _require_schema()
    session = db.session()
    org = organization_or_fail(org_slug) if org_slug else None
    try:
        user = create_user(session, email, password, Role(role), org)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    if Role(role) != Role.CONSUMER:
        user.onboarded_at = datetime.now(UTC)
    session.commit()
    click.echo(f"Created {role} {user.email} (id {user.id}).")


def _configure_logging() -> None:
    """Plaza's own events at INFO; APScheduler's every-tick chatter only when it matters."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _require_schema() -> None:
    from app.migrate import MIGRATIONS, current_revision

    try:
        revision = current_revision(db.engine())
    except OperationalError as exc:
        raise click.ClickException(f"Cannot reach the database: {exc.orig}") from exc
    if revision is None:
        raise click.ClickException("The database has no schema yet: run `plaza db upgrade` first.")
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if revision != head:
        raise click.ClickException(
            f"The database is at revision {revision} but the code needs {head}: "
            "run `plaza db upgrade`."
        )


def _create_app() -> Flask:
    from app import create_app

    return create_app()


def main() -> None:
    FlaskGroup(create_app=_create_app, add_version_option=False, help="Plaza.")(prog_name="plaza")
