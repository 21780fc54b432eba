"""Joining an organisation through an invitation link: the one public portal page.

The link's secret is the only credential, so the page answers the same
"not valid" for an unknown, used, withdrawn or expired link, each with its
own reason, and never says which organisation an unknown link might be for.

Someone signed out creates a partner account here, or logs in (the login page
comes back to the link) to join with the account they have. Someone signed in
sees "Join <organisation> as <their email>" and one button; the form carries
that email, so a page left open while another account logged in cannot join
the wrong one.

The secret is in the link's path only for its first GET, as in the links Plaza emails
(:mod:`app.web.emailed_links`): it moves into the session and the browser goes on to
``/portal/join``, so neither history, ``Referer`` headers nor access logs keep it. The
emailed link that finishes a new account's sign-up moves both its secrets (the
invitation's and the sign-up token) the same way, to ``/portal/join/finish``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlmodel import Session

from app import db
from app.accounts.sessions import begin_session, end_other_sessions, remembered
from app.accounts.signup import (
    LinkInvalid,
    TooManyEmails,
    make_link_token,
    offer_account,
    read_link_token,
)
from app.accounts.throttle import client_ip
from app.accounts.users import AccountError, find_user, normalise_email
from app.accounts.views import PasswordForm
from app.models import Organization
from app.models.partners import Invitation
from app.partners.membership import MembershipRefused, join_problem, join_with_account
from app.partners.orgs import InvitationInvalid, accept_invitation, open_invitation
from app.portal.responses import see_other
from app.web.emailed_links import forget_secret, keep_secret, stash_secret, stashed_secret

bp = Blueprint("portal_join", __name__, url_prefix="/portal/join")

# Where the links' secrets wait in the session (app.web.emailed_links).
INVITATION, SIGNUP = "invitation", "invitation_signup"
NO_LINK = "This page needs the invitation link. Open the link you were given again."


@bp.get("/<secret>")
def accept_link(secret: str) -> ResponseReturnValue:
    """The invitation link: its secret goes into the session, and the browser to the
    page that joins, whose address does not hold it."""
    return stash_secret(INVITATION, secret, url_for("portal_join.accept"))


@bp.get("/<secret>/finish/<token>")
def finish_link(secret: str, token: str) -> ResponseReturnValue:
    """The emailed link that finishes a new account: both secrets go into the session,
    and the browser to the page that chooses the password."""
    keep_secret(INVITATION, secret)
    return stash_secret(SIGNUP, token, url_for("portal_join.finish"))


def _forget_links() -> None:
    forget_secret(INVITATION)
    forget_secret(SIGNUP)


def _unusable(problem: str) -> ResponseReturnValue:
    """The link cannot be used (any more): the page says why, and forgets it."""
    _forget_links()
    return render_template("portal/join.html", problem=problem), 410


def _followed_invitation(session: Session, now: datetime) -> Invitation:
    """The usable invitation whose link this browser followed; raises InvitationInvalid."""
    secret = stashed_secret(INVITATION)
    if not secret:
        raise InvitationInvalid(NO_LINK)
    return open_invitation(session, secret, now)


@bp.route("", methods=["GET", "POST"])
def accept() -> ResponseReturnValue:
    session = db.session()
    now = datetime.now(UTC)
    try:
        invitation = _followed_invitation(session, now)
    except InvitationInvalid as exc:
        return _unusable(str(exc))
    organization = session.get(Organization, invitation.organization_id)
    assert organization is not None  # the invitation's foreign key
    if current_user.is_authenticated:
        return _join_as_current_user(session, invitation, organization, now)
    email = request.form.get("email", "").strip()
    if request.method == "GET":
        return render_template("portal/join.html", organization=organization, email=email)
    # The same answer whether or not the address has an account: the email differs.
    try:
        address = normalise_email(email)
    except AccountError as exc:
        return render_template(
            "portal/join.html", organization=organization, email=email, error=str(exc)
        ), 422
    token = make_link_token(address, inv=invitation.id)
    finish = url_for("portal_join.finish_link", secret=stashed_secret(INVITATION), token=token)
    try:
        offer_account(session, address, finish, ip=client_ip(), now=now,
                      joining=organization.name)  # fmt: skip
    except TooManyEmails as exc:
        page = render_template(
            "portal/join.html", organization=organization, email=email, error=exc.message
        )
        return page, 429, {"Retry-After": str(exc.retry_after)}
    return render_template("auth/check_inbox.html", email=address)


@bp.route("/finish", methods=["GET", "POST"])
def finish() -> ResponseReturnValue:
    """Choose a password; the account is created and joins."""
    session = db.session()
    now = datetime.now(UTC)
    token = stashed_secret(SIGNUP)
    try:
        invitation = _followed_invitation(session, now)
        if not token:
            raise LinkInvalid(NO_LINK)
        data = read_link_token(token)
    except (InvitationInvalid, LinkInvalid) as exc:
        return _unusable(str(exc))
    if data.get("inv") != invitation.id:
        return _unusable("This link is not valid.")
    organization = session.get(Organization, invitation.organization_id)
    address = str(data["e"])
    if find_user(session, address) is not None:
        forget_secret(SIGNUP)  # the invitation waits for the login
        flash("You already have an account: log in to join with it.", "info")
        return see_other(url_for("auth.login", next=url_for("portal_join.accept")))
    form = PasswordForm()
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template(
            "auth/signup_finish.html", form=form, email=address, organization=organization
        ), status
    try:
        user = accept_invitation(session, invitation, address, form.password.data or "", now)
    except (AccountError, InvitationInvalid) as exc:
        session.rollback()
        form.form_errors.append(str(exc))
        return render_template(
            "auth/signup_finish.html", form=form, email=address, organization=organization
        ), 422
    session.commit()
    _forget_links()
    begin_session(session, user, remember=False, now=now)  # remember-me is opt-in
    return see_other(url_for("portal.index"))


def _join_as_current_user(
    session: Session, invitation: Invitation, organization: Organization, now: datetime
) -> ResponseReturnValue:
    """The signed-in account joins, or hears why it cannot; nothing changes on a refusal."""
    refusal = join_problem(session, current_user, organization)
    if refusal:
        return render_template("portal/join.html", organization=organization, refusal=refusal), 409
    if request.method == "GET":
        return render_template("portal/join.html", organization=organization)
    if request.form.get("email") != current_user.email:
        error = f"You are now logged in as {current_user.email}. Join as this account?"
        return render_template("portal/join.html", organization=organization, error=error), 409
    try:
        join_with_account(session, invitation, current_user, now)
    except MembershipRefused as exc:
        session.rollback()
        return render_template("portal/join.html", organization=organization, refusal=str(exc)), 409
    except InvitationInvalid as exc:
        session.rollback()
        return _unusable(str(exc))
    session.commit()
    forget_secret(INVITATION)
    # New powers, new session, remembered as long as it was; the account's other
    # browsers, which never saw these powers granted, sign in again.
    user = current_user._get_current_object()
    begin_session(session, user, remember=remembered(), now=now)
    end_other_sessions(session, user)
    flash(f"You joined {organization.name}. Welcome to its portal.", "info")
    return see_other(url_for("portal.index"))
