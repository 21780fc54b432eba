"""Joining an organisation through an invitation link: the one public portal page.

The link's secret is the only credential, so the page answers the same
"not valid" for an unknown, used, withdrawn or expired link, each with its
own reason, and never says which organisation an unknown link might be for.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user, login_user

from app import db
from app.accounts import AccountError
from app.models import Organization
from app.orgs import InvitationInvalid, accept_invitation, open_invitation
from app.portal.responses import see_other

bp = Blueprint("portal_join", __name__, url_prefix="/portal/join")


@bp.route("/<secret>", methods=["GET", "POST"])
def accept(secret: str):  # type: ignore[no-untyped-def]
    session = db.session()
    now = datetime.now(UTC)
    try:
        invitation = open_invitation(session, secret, now)
    except InvitationInvalid as exc:
        return render_template("portal/join.html", problem=str(exc)), 410
    organization = session.get(Organization, invitation.organization_id)
    email = request.form.get("email", "").strip()
    if current_user.is_authenticated or request.method == "GET":
        return render_template("portal/join.html", organization=organization, email=email)
    try:
        user = accept_invitation(session, invitation, email, request.form.get("password", ""), now)
    except (AccountError, InvitationInvalid) as exc:
        session.rollback()
        return render_template(
            "portal/join.html", organization=organization, email=email, error=str(exc)
        ), 422
    session.commit()
    login_user(user, remember=True)
    return see_other(url_for("portal.index"))
