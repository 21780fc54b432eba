"""``plaza users ...``: accounts from a shell."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from app import db
from app.accounts.users import AccountError, create_user
from app.cli.orgs import organization_or_fail
from app.cli.schema import require_schema
from app.models import Role


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
    require_schema()
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
