"""Members, invitations and API tokens of an organisation.

A new invitation link or API token is shown once, on the page that created
it, and never again: Plaza keeps only its digest. It is deliberately not put
in a flash message, which would travel in the (signed, not encrypted)
session cookie.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import db
from app.models import User
from app.models.partners import ApiToken, Invitation, TokenScope
from app.notifications.config import notify_config
from app.partners.membership import (
    MembershipRefused,
    is_last_active_member,
    pending_invitations_from,
    removal_problem,
    remove_member,
)
from app.partners.orgs import (
    INVITATION_LIFETIME,
    InvitationNotSent,
    email_invitation,
    invitations,
    invite,
    members,
    revoke_invitation,
)
from app.partners.tokens import TokenProblem, issue_token, revoke, tokens_of
from app.portal.access import org, owned_or_404, partner_blueprint
from app.portal.responses import see_other

bp = partner_blueprint("portal_access", "/portal/<org>")
EMAIL_OFF = "Email is not set up on this Plaza server: create a link and send it yourself."


@bp.route("/members", methods=["GET", "POST"])
def members_page() -> ResponseReturnValue:
    """Who belongs to the organisation; POST creates a single-use invitation link."""
    if request.method == "GET":
        return _members_page()
    session = db.session()
    _, secret = invite(session, org(), current_user, datetime.now(UTC))
    session.commit()
    link = url_for("portal_join.accept_link", secret=secret, _external=True)
    return _members_page(new_link=link, status=201)


@bp.post("/members/invite-by-email")
def email_invitation_view() -> ResponseReturnValue:
    """Email a new invitation link to an address; the member never sees the link."""
    address = request.form.get("email", "")
    if not _email_ready():
        return _members_page(email_problem=EMAIL_OFF, email_value=address, status=422)
    session = db.session()
    try:
        invitation = email_invitation(
            session, org(), current_user, address, _emailed_link, datetime.now(UTC)
        )
    except InvitationNotSent as exc:
        session.rollback()
        return _members_page(email_problem=str(exc), email_value=address, status=422)
    flash(
        f"Invitation sent to {invitation.sent_to}. It works once, within "
        f"{INVITATION_LIFETIME.days} days.",
        "info",
    )
    return see_other(url_for("portal_access.members_page", org=org().slug))


def _email_ready() -> bool:
    return notify_config(current_app).smtp_url is not None


def _emailed_link(secret: str) -> str:
    """The link on Plaza's public address, as every email has it (not the address the
    member happens to use)."""
    return notify_config(current_app).base_url + url_for("portal_join.accept_link", secret=secret)


def _members_page(
    *,
    new_link: str | None = None,
    email_problem: str | None = None,
    email_value: str = "",
    status: int = 200,
) -> ResponseReturnValue:
    session = db.session()
    own = current_user.organization_id == org().id
    return render_template(
        "portal/members.html",
        members=members(session, org()),
        invitations=invitations(session, org()),
        new_link=new_link,
        email_ready=_email_ready(),
        email_problem=email_problem,
        email_value=email_value,
        invitation_days=INVITATION_LIFETIME.days,
        leave_problem=removal_problem(session, org(), current_user, current_user) if own else None,
        now=datetime.now(UTC),
    ), status


@bp.route("/members/<id:member_id>/remove", methods=["GET", "POST"])
def remove_member_view(member_id: int) -> ResponseReturnValue:
    """A page that says what removing (or leaving) changes, then the removal itself.

    With JavaScript the Remove and Leave links post here straight after the
    browser's own confirmation; without it they open the page first.
    """
    member = owned_or_404(User, member_id)
    session = db.session()
    now = datetime.now(UTC)
    leaving = member.id == current_user.id
    if request.method == "GET":
        return render_template(
            "portal/member_remove.html",
            member=member,
            leaving=leaving,
            problem=removal_problem(session, org(), member, current_user),
            last_member=is_last_active_member(session, org(), member),
            pending_invitations=pending_invitations_from(session, org(), member, now),
        )
    try:
        withdrawn = remove_member(session, org(), member, current_user, now)
    except MembershipRefused as exc:
        session.rollback()
        flash(str(exc), "error")
        return see_other(url_for("portal_access.members_page"))
    session.commit()
    if leaving:
        flash(
            f"You left {org().name}. Your feed, saved cards and settings stay as they were.",
            "info",
        )
        return see_other(url_for("feed.home"))
    message = f"{member.email} is no longer a member of {org().name} and cannot reach its portal."
    if withdrawn == 1:
        message += " The unused invitation link they created is withdrawn."
    elif withdrawn:
        message += f" The {withdrawn} unused invitation links they created are withdrawn."
    flash(message, "info")
    return see_other(url_for("portal_access.members_page"))


@bp.post("/invitations/<id:invitation_id>/revoke")
def revoke_invitation_view(invitation_id: int) -> ResponseReturnValue:
    invitation = owned_or_404(Invitation, invitation_id)
    revoke_invitation(invitation, datetime.now(UTC))
    db.session().commit()
    flash("The invitation is withdrawn; its link no longer works.", "info")
    return see_other(url_for("portal_access.members_page"))


@bp.route("/tokens", methods=["GET", "POST"])
def tokens_page() -> ResponseReturnValue:
    """The organisation's API tokens; POST issues one and shows its secret once."""
    session = db.session()
    secret = None
    error = None
    values = {"name": "", "scope": TokenScope.READ.value}
    status = 200
    if request.method == "POST":
        values = {"name": request.form.get("name", ""), "scope": request.form.get("scope", "")}
        try:
            _, secret = issue_token(session, org(), values["scope"], values["name"], current_user)
        except TokenProblem as exc:
            session.rollback()
            error, status = str(exc), 422
        else:
            session.commit()
            values, status = {"name": "", "scope": TokenScope.READ.value}, 201
    return render_template(
        "portal/tokens.html",
        tokens=tokens_of(session, org()),
        new_secret=secret,
        error=error,
        values=values,
        scopes=list(TokenScope),
    ), status


@bp.post("/tokens/<id:token_id>/revoke")
def revoke_token(token_id: int) -> ResponseReturnValue:
    token = owned_or_404(ApiToken, token_id)
    revoke(token, datetime.now(UTC))
    db.session().commit()
    flash(f"The token {token.name} is revoked; requests with it now fail.", "info")
    return see_other(url_for("portal_access.tokens_page"))
