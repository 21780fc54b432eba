"""Who reaches which organisation in the portal: the one check every portal page runs.

Every portal URL that concerns an organisation starts ``/portal/<org>/``.
:func:`partner_blueprint` gives each portal blueprint the same guard: log in,
be a retailer or staff, and (for a retailer) name your own organisation. Any
other organisation is a 404, exactly like one that does not exist, so a
retailer cannot even learn which organisations exist. Objects inside an
organisation are then looked up through :func:`provider_or_404` and friends,
which refuse an id from another organisation the same way.
"""

from __future__ import annotations

from typing import Any, TypeVar, cast

from flask import Blueprint, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlmodel import SQLModel

from app import db
from app.extensions import login_manager
from app.models import Organization, Provider, Role
from app.partners.orgs import PLAZA_SLUG, SUSPENDED_NOTICE, organization_by_slug
from app.web.converters import add_id_converter

PARTNER_ROLES = (Role.RETAILER, Role.STAFF)
NOT_FOUND = "There is no such page in your organisation's portal."
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Row = TypeVar("Row", bound=SQLModel)


def partner_blueprint(name: str, url_prefix: str) -> Blueprint:
    """A blueprint whose every view requires a partner and resolves ``<org>``."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    bp.record_once(add_id_converter)
    bp.url_value_preprocessor(_take_org_slug)
    bp.url_defaults(_add_org_slug)
    bp.before_request(require_partner)
    return bp


def is_staff() -> bool:
    return bool(current_user.is_authenticated and current_user.role == Role.STAFF)


def require_partner() -> Any:
    """Log in first; then only retailers and staff, and only their organisations."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role not in PARTNER_ROLES:
        abort(403, description="The portal is for Plaza's retail partners and staff.")
    if current_user.role == Role.RETAILER and current_user.organization_id is None:
        abort(403, description="Your account belongs to no organisation; ask Plaza's staff.")
    slug = g.pop("org_slug", None)
    if slug is None:
        return None
    organization = organization_by_slug(db.session(), slug)
    if organization is None or not can_reach(organization):
        abort(404, description=NOT_FOUND)
    if organization.slug == PLAZA_SLUG:
        # Plaza's own cards are published from the staff console, which logs every
        # change; the generic portal would let staff change them unlogged.
        return redirect(url_for("staff_editorial.index"), code=303)
    suspended = organization.suspended_at is not None
    if suspended and request.method not in READ_METHODS and not is_staff():
        abort(403, description=SUSPENDED_NOTICE)
    g.org = organization
    return None


def can_reach(organization: Organization) -> bool:
    return is_staff() or organization.id == current_user.organization_id


def home_organization() -> Organization | None:
    """A retailer's own organisation (staff have none)."""
    if current_user.organization_id is None:
        return None
    return db.session().get(Organization, current_user.organization_id)


def org() -> Organization:
    """The organisation of the current portal page."""
    return cast(Organization, g.org)


def provider_or_404(provider_id: int) -> Provider:
    return owned_or_404(Provider, provider_id)


def owned_or_404(model: type[Row], row_id: int) -> Row:
    """A row of ``model`` that belongs to the current organisation, or a 404."""
    row = db.session().get(model, row_id)
    if row is None or getattr(row, "organization_id", None) != org().id:
        abort(404, description=NOT_FOUND)
    return row


def _take_org_slug(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    # Runs before the login check, so it only keeps the slug for require_partner.
    if values and "org" in values:
        g.org_slug = values.pop("org")


def _add_org_slug(endpoint: str, values: dict[str, Any]) -> None:
    if (
        "org" not in values
        and "org" in g
        and current_app.url_map.is_endpoint_expecting(endpoint, "org")
    ):
        values["org"] = g.org.slug
