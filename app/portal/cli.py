"""``plaza orgs ...``: organisations from a shell, with the portal's rules."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlmodel import col, select

from app import db
from app.models import Organization
from app.orgs import (
    ORGANIZATION_KINDS,
    OrganizationProblems,
    create_organization,
    organization_by_slug,
)


@click.group("orgs", help="Partner organisations.")
def orgs_group() -> None:
    pass


@orgs_group.command("create", help="Create an organisation; prints its slug.")
@click.option("--slug", required=True, help="Short name used in addresses, e.g. northwind.")
@click.option("--name", required=True, help="Name as shoppers see it.")
@click.option(
    "--kind", type=click.Choice(ORGANIZATION_KINDS), default="retailer", show_default=True
)
@with_appcontext
def create(slug: str, name: str, kind: str) -> None:
    session = db.session()
    try:
        organization = create_organization(session, slug, name, kind)
    except OrganizationProblems as problems:
        raise click.ClickException(f"the organisation was not created: {problems}") from None
    session.commit()
    click.echo(organization.slug)


@orgs_group.command("list", help="Every organisation.")
@with_appcontext
def list_orgs() -> None:
    for org in db.session().exec(select(Organization).order_by(col(Organization.slug))):
        click.echo(f"{org.slug:<24} {org.kind:<9} {org.name}")


def organization_or_fail(slug: str) -> Organization:
    """The organisation, or the command ends with one clear line."""
    organization = organization_by_slug(db.session(), slug)
    if organization is None:
        raise click.ClickException(f"There is no organisation {slug!r}.")
    return organization
