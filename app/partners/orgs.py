"""Organisations, their members and invitations: who may act for which partner.

Staff create organisations. Members are retailer accounts of exactly one
organisation; a member (or staff) invites another with a single-use link
that expires. The link's secret is stored only as a digest, and accepting it
is a compare-and-set on ``used_at``, so two people racing with one link
cannot both join.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.accounts import throttle
from app.accounts.lookalikes import hidden_characters, skeleton
from app.accounts.mail import queue_account_mail
from app.accounts.users import AccountError, create_user, normalise_email
from app.db import rows_changed
from app.models import Organization, Role, User, stored_id
from app.models.partners import Invitation
from app.partners.secrets import digest, new_secret

SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
ORGANIZATION_KINDS = ("retailer", "brand")
PLAZA_SLUG, PLAZA_NAME = "plaza", "Plaza"  # Plaza's own organisation: its staff's cards
# Words the portal's own URLs use, and Plaza's own organisation, which no partner may take.
RESERVED_SLUGS = frozenset({"orgs", "join", PLAZA_SLUG})
INVITATION_LIFETIME = timedelta(days=7)
# Invitations one member may email in a day: enough to bring a team in, too few for the
# portal to be a way of sending mail to strangers from Plaza's address.
INVITATION_EMAILS_PER_DAY = 20
INVITATION_PREFIX = "plaza_inv_"
SUSPENDED_NOTICE = (
    "Plaza's staff suspended your organisation: its cards are not shown, and nothing can be "
    "published or changed until they restore it. Contact Plaza's staff."
)


@dataclass
class OrganizationProblems(ValueError):
    """Everything wrong with a new organisation, as (field, message) pairs."""

    problems: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {message}" for name, message in self.problems)


class InvitationInvalid(LookupError):
    """The link cannot be used; the message says why, for the person holding it."""


def create_organization(db: Session, slug: str, name: str, kind: str = "retailer") -> Organization:
    """Validate and add an organisation (the caller commits); raises OrganizationProblems."""
    slug, name = slug.strip().lower(), " ".join(unicodedata.normalize("NFKC", name).split())
    problems = []
    if not (SLUG.fullmatch(slug) and len(slug) <= 64):
        problems.append(("slug", "Use 1 to 64 lower-case letters, digits and single dashes."))
    elif slug in RESERVED_SLUGS or organization_by_slug(db, slug) is not None:
        problems.append(("slug", f"The slug {slug!r} is taken; choose another."))
    hidden = hidden_characters(name)
    if hidden:
        problems.append(
            ("name", f"The name contains invisible or direction-changing characters "
                     f"({', '.join(hidden[:3])}); type it again.")
        )  # fmt: skip
    elif not 1 <= len(name) <= 200:
        problems.append(("name", "Give a name of 1 to 200 characters."))
    elif (twin := lookalike_organization(db, name)) is not None:
        problems.append(
            ("name", f"“{name}” looks just like the organisation “{twin.name}”; choose a "
                     "name people can tell apart.")
        )  # fmt: skip
    if kind not in ORGANIZATION_KINDS:
        problems.append(("kind", f"Choose one of {', '.join(ORGANIZATION_KINDS)}."))
    if problems:
        raise OrganizationProblems(problems)
    organization = Organization(slug=slug, name=name, kind=kind, name_skeleton=skeleton(name))
    db.add(organization)
    db.flush()
    return organization


def plaza_organization(db: Session) -> Organization:
    """Plaza's own organisation, which owns the cards its staff publish; made on first use
    (the caller commits). Nobody else can take its slug (reserved) or a name like it (a
    look-alike of an existing organisation is refused)."""
    found = organization_by_slug(db, PLAZA_SLUG)
    if found is not None:
        return found
    try:
        with db.begin_nested():  # another request may be making it at the same moment
            organization = Organization(
                slug=PLAZA_SLUG, name=PLAZA_NAME, kind="plaza", name_skeleton=skeleton(PLAZA_NAME)
            )
            db.add(organization)
        return organization
    except IntegrityError:
        found = organization_by_slug(db, PLAZA_SLUG)
        assert found is not None
        return found


def lookalike_organization(db: Session, name: str) -> Organization | None:
    """An organisation whose name looks like ``name``: the same once full-width forms,
    case and look-alike letters from other scripts are set aside."""
    return db.exec(select(Organization).where(Organization.name_skeleton == skeleton(name))).first()


def organization_by_slug(db: Session, slug: str) -> Organization | None:
    return db.exec(select(Organization).where(Organization.slug == slug)).first()


def members(db: Session, organization: Organization) -> list[User]:
    return list(
        db.exec(
            select(User).where(User.organization_id == organization.id).order_by(col(User.email))
        )
    )


def member_counts(db: Session) -> dict[int, int]:
    """Organisation id -> number of members, for staff's list of organisations."""
    rows = db.exec(
        select(User.organization_id, func.count())
        .where(col(User.organization_id).is_not(None))
        .group_by(col(User.organization_id))
    )
    return {org_id: count for org_id, count in rows if org_id is not None}


def invite(
    db: Session, organization: Organization, by: User | None, now: datetime
) -> tuple[Invitation, str]:
    """A new invitation and its secret, which is shown once and never stored."""
    secret = new_secret(INVITATION_PREFIX)
    invitation = Invitation(
        organization_id=stored_id(organization),
        token_hash=digest(secret),
        created_by_id=by.id if by else None,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    db.add(invitation)
    db.flush()
    return invitation, secret


class InvitationNotSent(ValueError):
    """An invitation could not be emailed; the message says why, for the member."""


def email_invitation(
    db: Session,
    organization: Organization,
    by: User,
    address: str,
    link_for: Callable[[str], str],
    now: datetime,
) -> Invitation:
    """A new invitation whose link (``link_for(secret)``) goes to ``address`` by email,
    queued in the account-mail outbox (commits). The secret is in that email alone."""
    try:
        to = normalise_email(address)
    except AccountError as exc:
        raise InvitationNotSent(str(exc)) from exc
    key = throttle.user_key(throttle.INVITATION_EMAILS, stored_id(by))
    if throttle.attempts(db, key, timedelta(days=1), now) >= INVITATION_EMAILS_PER_DAY:
        raise InvitationNotSent(
            f"You emailed {INVITATION_EMAILS_PER_DAY} invitations in the last day. Create a "
            "link and send it yourself, or try again tomorrow."
        )
    invitation, secret = invite(db, organization, by, now)
    invitation.sent_to = to
    throttle.count(db, key, now)
    queue_account_mail(
        db,
        to,
        f"Join {organization.name} on Plaza",
        "portal_invitation",
        now,
        link=link_for(secret),
        organization=organization.name,
        days=INVITATION_LIFETIME.days,
    )
    return invitation


def open_invitation(db: Session, secret: str, now: datetime) -> Invitation:
    """The usable invitation behind a link; raises InvitationInvalid saying why not."""
    invitation = db.exec(select(Invitation).where(Invitation.token_hash == digest(secret))).first()
    if invitation is None:
        raise InvitationInvalid(
            "This invitation link is not valid. Check that you copied all of it."
        )
    if invitation.used_at is not None:
        raise InvitationInvalid("This invitation has already been used; ask for a new one.")
    if invitation.revoked_at is not None:
        raise InvitationInvalid("This invitation was withdrawn; ask for a new one.")
    if invitation.expires_at <= now:
        raise InvitationInvalid("This invitation has expired; ask for a new one.")
    return invitation


def accept_invitation(
    db: Session, invitation: Invitation, email: str, password: str, now: datetime
) -> User:
    """Create the member's account and use up the invitation (the caller commits).

    Raises :class:`app.accounts.users.AccountError` for a bad email or password and
    InvitationInvalid when someone else used the link first.
    """
    organization = db.get(Organization, invitation.organization_id)
    user = create_user(db, email, password, Role.RETAILER, organization)
    user.onboarded_at = now
    use_invitation(db, invitation, user, now)
    return user


def use_invitation(db: Session, invitation: Invitation, user: User, now: datetime) -> None:
    """Mark the invitation used by ``user``, unless someone else was first (the caller commits).

    Raises InvitationInvalid when the link stopped working since it was opened.
    """
    claimed = db.execute(
        update(Invitation)
        .where(col(Invitation.id) == invitation.id, *still_usable(now))
        .values(used_at=now, used_by_id=user.id)
    )
    if rows_changed(claimed) != 1:
        raise InvitationInvalid("This invitation has just been used; ask for a new one.")


def still_usable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """What makes an invitation's link work at ``now``: not used, not withdrawn, not expired."""
    return (
        col(Invitation.used_at).is_(None),
        col(Invitation.revoked_at).is_(None),
        col(Invitation.expires_at) > now,
    )


def invitations(db: Session, organization: Organization) -> list[Invitation]:
    """Every invitation of the organisation, newest first (used and expired ones too)."""
    return list(
        db.exec(
            select(Invitation)
            .where(Invitation.organization_id == organization.id)
            .order_by(col(Invitation.created_at).desc(), col(Invitation.id).desc())
        )
    )


def revoke_invitation(invitation: Invitation, now: datetime) -> None:
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = now
