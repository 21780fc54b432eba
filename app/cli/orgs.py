"""``plaza orgs ...``: organisations and their members from a shell, with the portal's rules.

The shell has staff's rights: it may remove an organisation's last member.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import with_appcontext
from sqlmodel import col, select

from app import db
from app.accounts.users import find_user
from app.models import Organization
from app.partners.membership import MembershipRefused, is_last_active_member, remove_member
from app.partners.orgs import (
    ORGANIZATION_KINDS,
    OrganizationProblems,
    create_organization,
    members,
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


@orgs_group.command("members", help="An organisation's members.")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@with_appcontext
def list_members(org_slug: str) -> None:
    for member in members(db.session(), organization_or_fail(org_slug)):
        click.echo(f"{member.email}{'' if member.active else '  (deactivated)'}")


@orgs_group.command(
    "remove-member", help="Take a member out; they keep their account as a consumer."
)
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option("--email", required=True, help="The member's email.")
@with_appcontext
def remove_member_command(org_slug: str, email: str) -> None:
    session = db.session()
    organization = organization_or_fail(org_slug)
    member = find_user(session, email)
    if member is None or member.organization_id != organization.id:
        raise click.ClickException(f"{email} is not a member of {organization.slug}.")
    last = is_last_active_member(session, organization, member)
    try:
        withdrawn = remove_member(session, organization, member, None, datetime.now(UTC))
    except MembershipRefused as exc:
        raise click.ClickException(str(exc)) from None
    session.commit()
    click.echo(
        f"{member.email} is no longer a member of {organization.slug}; "
        f"unused invitation links withdrawn: {withdrawn}."
    )
    if last:
        click.echo(f"{organization.slug} has no active member now.", err=True)


def organization_or_fail(slug: str) -> Organization:
    """The organisation, or the command ends with one clear line."""
    organization = organization_by_slug(db.session(), slug)
    if organization is None:
        raise click.ClickException(f"There is no organisation {slug!r}.")
    return organization
