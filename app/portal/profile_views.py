"""The organisation's profile: what its public page at ``/o/<slug>`` says about it.

Members (and staff, as on every portal page) edit the description and the links; the
checks are :mod:`app.partners.profile`'s, and a refused form comes back with every
problem named and nothing stored.
"""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask.typing import ResponseReturnValue

from app import db
from app.partners.profile import (
    DESCRIPTION_MAX,
    LINK_MAX,
    SOCIAL_LINKS,
    ProfileForm,
    ProfileProblems,
    social_field,
    update_profile,
)
from app.portal.access import org, partner_blueprint
from app.portal.responses import see_other

bp = partner_blueprint("portal_profile", "/portal/<org>")


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> ResponseReturnValue:
    form = ProfileForm.of(org())
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = ProfileForm(
            description=request.form.get("description", ""),
            website=request.form.get("website", ""),
            social=tuple(request.form.get(social_field(n), "") for n in range(1, SOCIAL_LINKS + 1)),
        )
        session = db.session()
        try:
            update_profile(org(), form)
        except ProfileProblems as problems:
            session.rollback()
            errors = dict(problems.problems)
        else:
            session.commit()
            flash("Your page is updated.", "info")
            return see_other(url_for("portal_profile.profile"))
    social = list(form.social) + [""] * (SOCIAL_LINKS - len(form.social))
    return render_template(
        "portal/profile.html",
        form=form,
        social=[(social_field(n), value) for n, value in enumerate(social, start=1)],
        errors=errors,
        description_max=DESCRIPTION_MAX,
        link_max=LINK_MAX,
    ), (422 if errors else 200)
