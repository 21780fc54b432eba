"""An existing account joining an organisation through an invitation link.

An account belongs to at most one organisation, so only an account outside
every organisation may join one, and staff (who reach every organisation
already) never join. The rule holds when requests race: the account changes
through one conditional UPDATE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col

from app.models import Organization, Role, User
from app.orgs import use_invitation
from app.portal.models import Invitation


class MembershipRefused(ValueError):
    """The change is not allowed; the message says why, for the person asking."""


def join_problem(db: Session, user: User, organization: Organization) -> str | None:
    """Why ``user`` cannot join ``organization`` through an invitation; None when they can."""
    if user.role == Role.STAFF:
        return (
            "Staff accounts reach every organisation already and cannot join one. "
            "To create a partner account instead, log out and open this link again."
        )
    if user.organization_id == organization.id:
        return f"You are already a member of {organization.name}."
    if user.organization_id is not None:
        current = db.get(Organization, user.organization_id)
        name = current.name if current else "another organisation"
        return (
            f"Your account belongs to {name}, and an account belongs to one organisation "
            f"at a time. Leave {name} first, or log out and open this link again to "
            "create a new account."
        )
    return None


def join_with_account(db: Session, invitation: Invitation, user: User, now: datetime) -> None:
    """Make an existing account a member and use up the invitation (the caller commits).

    A consumer keeps their feed, saved cards and settings. Raises
    MembershipRefused (see :func:`join_problem`) and InvitationInvalid when
    someone else used the link first.
    """
    organization = db.get(Organization, invitation.organization_id)
    assert organization is not None  # the invitation's foreign key
    problem = join_problem(db, user, organization)
    if problem:
        raise MembershipRefused(problem)
    use_invitation(db, invitation, user, now)
    joined = db.execute(
        update(User)
        .where(
            col(User.id) == user.id,
            col(User.organization_id).is_(None),
            col(User.role) != Role.STAFF,
        )
        .values(role=Role.RETAILER, organization_id=organization.id)
    )
    if joined.rowcount != 1:  # type: ignore[attr-defined]
        raise MembershipRefused("Your account joined an organisation a moment ago; reload.")
