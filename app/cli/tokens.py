"""``plaza tokens ...``: API tokens from a shell, with the portal's rules."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext

from app import db
from app.cli.orgs import organization_or_fail
from app.models.partners import ApiToken, TokenScope
from app.partners.tokens import TokenProblem, issue_token, revoke, tokens_of


@click.group("tokens", help="API tokens of organisations.")
def tokens_group() -> None:
    pass


@tokens_group.command("create", help="Issue a token; prints it once (Plaza keeps a digest).")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option(
    "--scope",
    type=click.Choice([s.value for s in TokenScope]),
    default=TokenScope.READ.value,
    show_default=True,
)
@click.option("--name", default="command line", show_default=True, help="What uses it.")
@with_appcontext
def create(org_slug: str, scope: str, name: str) -> None:
    session = db.session()
    organization = organization_or_fail(org_slug)
    try:
        token, secret = issue_token(session, organization, scope, name)
    except TokenProblem as exc:
        raise click.ClickException(str(exc)) from exc
    session.commit()
    click.echo(secret)
    click.echo(
        f"Token {token.id} ({scope}) for {organization.slug}; shown only this once.", err=True
    )


@tokens_group.command("list", help="An organisation's tokens (never their secrets).")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@with_appcontext
def list_tokens(org_slug: str) -> None:
    for token in tokens_of(db.session(), organization_or_fail(org_slug)):
        state = "revoked" if token.revoked_at else "active"
        click.echo(f"{token.id:>5}  {token.hint}…  {token.scope:<5}  {state:<7}  {token.name}")


@tokens_group.command("revoke", help="Revoke a token by its id.")
@click.argument("token_id", type=int)
@with_appcontext
def revoke_command(token_id: int) -> None:
    session = db.session()
    token = session.get(ApiToken, token_id)
    if token is None:
        raise click.ClickException(f"There is no token {token_id}.")
    revoke(token, datetime.now(UTC))
    session.commit()
    click.echo(f"Token {token_id} is revoked.")
