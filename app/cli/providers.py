"""``plaza providers ...``: register and look after card providers from a shell."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlmodel import col, select

from app import db
from app.cli.orgs import organization_or_fail
from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for, fetch_policy
from app.models import Organization, Provider
from app.partners.providers import ProviderProblems, create_provider, describe, pause, resume
from app.taxonomy_store import taxonomy
from app.web.current import current_app_object


@click.group("providers", help="Card providers: register, inspect, refresh, pause.")
def providers_group() -> None:
    pass


def _provider(provider_id: int) -> Provider:
    provider = db.session().get(Provider, provider_id)
    if provider is None:
        raise click.ClickException(f"There is no provider {provider_id}.")
    return provider


@providers_group.command("add", help="Register a provider; prints its id.")
@click.option("--org", "org_slug", required=True, help="Organisation slug.")
@click.option("--kind", required=True, help="Card kind, e.g. product_feed, youtube.")
@click.option("--config", "config_json", required=True, help="The kind's settings as JSON.")
@click.option("--interests", default="", help="Target interest slugs, comma separated.")
@click.option("--name", default=None, help="Display name (default: from the config).")
@click.option("--interval", type=int, default=None, help="Refresh interval in seconds.")
@with_appcontext
def add(
    org_slug: str,
    kind: str,
    config_json: str,
    interests: str,
    name: str | None,
    interval: int | None,
) -> None:
    org = organization_or_fail(org_slug)
    try:
        raw = json.loads(config_json)
    except json.JSONDecodeError as exc:
        raise click.ClickException(f"--config is not valid JSON: {exc.msg} at {exc.pos}.") from exc
    if not isinstance(raw, dict):
        raise click.ClickException('--config must be a JSON object, like {"url": "..."}.')
    session = db.session()
    try:
        provider = create_provider(
            session,
            org,
            kind,
            raw,
            taxonomy=taxonomy(),
            policy=fetch_policy(current_app),
            interests=interests.split(","),
            name=name,
            interval_seconds=interval,
        )
    except ProviderProblems as problems:
        session.rollback()
        lines = [f"  {field}: {message}" for field, message in problems.problems]
        raise click.ClickException("the provider was not added:\n" + "\n".join(lines)) from None
    session.commit()
    click.echo(provider.id)


@providers_group.command("list", help="Every provider with its health.")
@click.option("--org", "org_slug", default=None, help="Only this organisation's.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@with_appcontext
def list_providers(org_slug: str | None, as_json: bool) -> None:
    session = db.session()
    query = select(Provider).order_by(col(Provider.id))
    if org_slug:
        query = query.where(Provider.organization_id == organization_or_fail(org_slug).id)
    orgs = {o.id: o for o in session.exec(select(Organization))}
    rows = [describe(p, orgs.get(p.organization_id)) for p in session.exec(query)]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        error = f"  last error: {row['last_error']}" if row["last_error"] else ""
        click.echo(
            f"{row['id']:>5}  {row['status']:<11} {row['kind']:<13} {row['card_count']:>5} cards"
            f"  {row['organization']}/{row['name']}{error}"
        )


@providers_group.command("show", help="One provider's settings and health.")
@click.argument("provider_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@with_appcontext
def show(provider_id: int, as_json: bool) -> None:
    provider = _provider(provider_id)
    row = describe(provider, db.session().get(Organization, provider.organization_id))
    if as_json:
        click.echo(json.dumps(row, indent=2))
        return
    for key, value in row.items():
        shown = json.dumps(value) if isinstance(value, dict | list) else value
        click.echo(f"{key:>19}: {shown if shown is not None else '-'}")


@providers_group.command("refresh", help="Refresh now; exits 1 with the reason if it fails.")
@click.argument("provider_id", type=int)
@with_appcontext
def refresh(provider_id: int) -> None:
    provider = _provider(provider_id)
    now = datetime.now(UTC)
    context = context_for(current_app_object(), provider, now)
    outcome = refresh_provider(db.session(), provider, context, now)
    if not outcome.ok:
        raise click.ClickException(f"refresh failed: {outcome.error}")
    click.echo(str(outcome.counts))


@providers_group.command("pause", help="Stop refreshing until resumed.")
@click.argument("provider_id", type=int)
@with_appcontext
def pause_command(provider_id: int) -> None:
    provider = _provider(provider_id)
    pause(provider)
    db.session().commit()
    click.echo(f"Provider {provider_id} is paused.")


@providers_group.command("resume", help="Resume refreshing now.")
@click.argument("provider_id", type=int)
@with_appcontext
def resume_command(provider_id: int) -> None:
    provider = _provider(provider_id)
    resume(provider, datetime.now(UTC))
    db.session().commit()
    click.echo(f"Provider {provider_id} is active again; it refreshes within a minute.")
