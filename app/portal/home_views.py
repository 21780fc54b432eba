"""The portal's entry: where each partner lands, staff's organisations, the provider list."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import func
from sqlmodel import col, select

from app import db
from app.models import Organization, Provider
from app.partners.health import health_of
from app.partners.orgs import (
    ORGANIZATION_KINDS,
    OrganizationProblems,
    create_organization,
    member_counts,
)
from app.portal.access import home_organization, is_staff, org, partner_blueprint
from app.portal.provider_form import interest_path
from app.portal.responses import see_other
from app.taxonomy_store import taxonomy
from app.web.htmx import render_page_or_fragment

bp = partner_blueprint("portal", "/portal")


@bp.get("/")
def index() -> ResponseReturnValue:
    """Retailers go to their organisation; staff choose one."""
    if is_staff():
        return redirect(url_for("portal.organizations"))
    organization = home_organization()
    assert organization is not None  # require_partner refused retailers without one
    return redirect(url_for("portal.dashboard", org=organization.slug))


INTEREST_MATCHES = 12


@bp.get("/interests")
def interest_matches() -> ResponseReturnValue:
    """The interests a provider form's search box matches (names, aliases and paths, as
    the shopper's interest search matches them), each with its path so that two
    "Accessories" can be told apart; the form's script ticks the one picked."""
    query = request.args.get("q", "")[:100]
    found = taxonomy().search(query, limit=INTEREST_MATCHES) if query.strip() else []
    paths = {i.slug: interest_path(taxonomy(), i.slug)[:-1] for i in found}
    return render_page_or_fragment(
        "portal/interest_matches.html",
        "portal/_interest_matches.html",
        query=query,
        matches=found,
        paths=paths,
    )


@bp.route("/orgs", methods=["GET", "POST"])
def organizations() -> ResponseReturnValue:
    """Staff only: every organisation, and a form to create one."""
    if not is_staff():
        abort(403, description="Only Plaza's staff manage organisations.")
    session = db.session()
    values = {"slug": "", "name": "", "kind": "retailer"}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        values = {key: request.form.get(key, "").strip() for key in values}
        try:
            created = create_organization(session, values["slug"], values["name"], values["kind"])
        except OrganizationProblems as problems:
            session.rollback()
            for name, message in problems.problems:
                errors.setdefault(name, []).append(message)
            status = 422
        else:
            session.commit()
            flash(f"Created {created.name}. Invite its first member from Members.", "info")
            return see_other(url_for("portal.dashboard", org=created.slug))
    provider_counts = dict(
        session.exec(
            select(Provider.organization_id, func.count()).group_by(col(Provider.organization_id))
        ).all()
    )
    return render_template(
        "portal/organizations.html",
        organizations=session.exec(select(Organization).order_by(col(Organization.name))).all(),
        provider_counts=provider_counts,
        member_counts=member_counts(session),
        kinds=ORGANIZATION_KINDS,
        values=values,
        errors=errors,
    ), status


@bp.get("/<org>/")
def dashboard() -> ResponseReturnValue:
    """Every provider of the organisation with its health at a glance."""
    session = db.session()
    providers = session.exec(
        select(Provider)
        .where(Provider.organization_id == org().id)
        .order_by(col(Provider.name), col(Provider.id))
    ).all()
    return render_template(
        "portal/dashboard.html",
        healths=health_of(session, providers, datetime.now(UTC)),
    )
