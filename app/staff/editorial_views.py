"""The staff console's editorial cards: the list of what is scheduled, running and ended
with how each did, and the form that publishes, edits and ends one. Staff only.

The form is the portal's provider form (:mod:`app.portal.provider_form`), generated
from the ``editorial`` kind's config model; the rules are the providers' own
(:mod:`app.staff.editorial`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import db
from app.ingest.sources import fetch_policy
from app.models import Provider
from app.partners.orgs import plaza_organization
from app.partners.preview import PreviewResult
from app.partners.providers import ProviderProblems
from app.portal.provider_form import ProviderForm
from app.portal.responses import see_other
from app.staff import editorial
from app.staff.views import require_staff
from app.taxonomy_store import taxonomy
from app.web.converters import add_id_converter

bp = Blueprint("staff_editorial", __name__, url_prefix="/staff/editorial")
bp.record_once(add_id_converter)
bp.before_request(require_staff)


def _now() -> datetime:
    return datetime.now(UTC)


def _editorial_or_404(provider_id: int) -> Provider:
    provider = editorial.editorial_or_none(db.session(), provider_id)
    if provider is None:
        abort(404, description="There is no such editorial card.")
    return provider


@bp.get("")
def index() -> ResponseReturnValue:
    session = db.session()
    rows = editorial.listing(session, _now())
    session.commit()  # Plaza's organisation, made on first use
    return render_template("staff/editorial.html", rows=rows, stages=list(editorial.Stage))


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    return _form(None)


@bp.route("/<id:provider_id>/edit", methods=["GET", "POST"])
def edit(provider_id: int) -> ResponseReturnValue:
    return _form(_editorial_or_404(provider_id))


def _form(provider: Provider | None) -> ResponseReturnValue:
    """The form, and its buttons: a collection row added or removed, preview, save."""
    kind, session = editorial.kind(), db.session()
    if request.method == "GET":
        form = ProviderForm.for_provider(kind, provider) if provider else ProviderForm(kind=kind)
        return _render(form, provider)
    form, changed_rows = ProviderForm.from_submission(kind, request.form)
    action = request.form.get("action", "")
    if changed_rows:
        return _render(form, provider)
    if action == "preview":
        preview = form.preview(plaza_organization(session), _now())
        session.rollback()
        return _render(form, provider, preview)
    if action != "save":
        abort(400, description="Use the Preview or Save button.")
    tree, policy = taxonomy(), fetch_policy(current_app)
    try:
        if provider is None:
            provider = editorial.publish(
                session, current_user.id, form.config, form.interests, form.name or None,
                taxonomy=tree, policy=policy, now=_now(),
            )  # fmt: skip
            message = f"{provider.name} is published; it shows from its start."
        else:
            editorial.edit(
                session, current_user.id, provider, form.config, form.interests,
                form.name or None, taxonomy=tree, policy=policy, now=_now(),
            )  # fmt: skip
            message = f"{provider.name} is saved."
    except ProviderProblems as problems:
        session.rollback()
        form.add_problems(problems.problems)
        return _render(form, provider)
    session.commit()
    flash(message, "info")
    return see_other(url_for("staff_editorial.index"))


@bp.post("/<id:provider_id>/end")
def end(provider_id: int) -> ResponseReturnValue:
    provider, session = _editorial_or_404(provider_id), db.session()
    try:
        editorial.end(
            session,
            current_user.id,
            provider,
            taxonomy=taxonomy(),
            policy=fetch_policy(current_app),
            now=_now(),
        )
    except (editorial.EditorialProblem, ProviderProblems) as problem:
        session.rollback()
        abort(409, description=str(problem))
    session.commit()
    flash(f"{provider.name} has ended; it leaves every feed within a minute.", "info")
    return see_other(url_for("staff_editorial.index"))


def _render(
    form: ProviderForm, provider: Provider | None, preview: PreviewResult | None = None
) -> ResponseReturnValue:
    return form.render(
        "staff/editorial_form.html",
        plaza_organization(db.session()),
        preview,
        provider=provider,
        action_url=(
            url_for("staff_editorial.edit", provider_id=provider.id)
            if provider
            else url_for("staff_editorial.new")
        ),
    )
