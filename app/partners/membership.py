"""Members coming and going: an existing account joining, a member leaving or removed.

An account belongs to at most one organisation, so only an account outside
every organisation may join one, and staff (who reach every organisation
already) never join. An organisation keeps at least one active member: its
members can neither remove the last one nor leave as the last one, so it is
never left with no one to act for it unless staff decide so.

Both rules hold when requests race: each change is one conditional UPDATE,
and a removal first locks the organisation's row, so two members removing each
other at the same moment cannot both succeed (SQLite serialises writers
anyway; PostgreSQL waits on the lock).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.db import rows_changed
from app.models import Organization, Role, User
from app.models.partners import Invitation
from app.partners.orgs import still_usable, use_invitation


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
    if rows_changed(joined) != 1:
        raise MembershipRefused("Your account joined an organisation a moment ago; reload.")


def removal_problem(
    db: Session, organization: Organization, member: User, by: User | None
) -> str | None:
    """Why ``by`` cannot take ``member`` out now; None when they can.

    ``by`` is None on the command line, which has staff's rights: staff may
    remove anyone, the last member too.
    """
    if _is_staff(by) or not is_last_active_member(db, organization, member):
        return None
    if by is not None and by.id == member.id:
        return (
            f"You are the last active member of {organization.name}, so you cannot leave it. "
            "Invite someone to take over first, or ask Plaza's staff."
        )
    return (
        f"{member.email} is the last active member of {organization.name}, and an "
        "organisation keeps at least one. Invite someone first, or ask Plaza's staff."
    )


def remove_member(
    db: Session, organization: Organization, member: User, by: User | None, now: datetime
) -> int:
    """Take ``member`` out of ``organization`` (the caller commits); returns the links withdrawn.

    A retailer becomes an ordinary consumer and keeps their own feed, saved
    cards and settings. Access ends as soon as this commits, because every
    request loads the account afresh and the portal checks its role and
    organisation. The organisation's API tokens stay: they belong to it, not
    to the person. The member's unused invitation links are withdrawn: only
    they ever saw those links, and one would let them straight back in.
    Raises MembershipRefused (see :func:`removal_problem`).
    """
    db.exec(
        select(Organization.id).where(Organization.id == organization.id).with_for_update()
    ).one()
    change = update(User).where(
        col(User.id) == member.id, col(User.organization_id) == organization.id
    )
    if not _is_staff(by):
        change = change.where(_other_active_members(organization, member).exists())
    role = Role.CONSUMER if member.role == Role.RETAILER else member.role
    removed = db.execute(change.values(organization_id=None, role=role))
    if rows_changed(removed) != 1:
        raise MembershipRefused(
            removal_problem(db, organization, member, by)
            or f"{member.email} is no longer a member of {organization.name}."
        )
    withdrawn = db.execute(
        update(Invitation)
        .where(*_pending_invitations_from(organization, member, now))
        .values(revoked_at=now)
    )
    return rows_changed(withdrawn)


def is_last_active_member(db: Session, organization: Organization, member: User) -> bool:
    """Whether taking ``member`` out would leave ``organization`` with no active member."""
    return not db.exec(select(_other_active_members(organization, member).exists())).one()


def pending_invitations_from(
    db: Session, organization: Organization, member: User, now: datetime
) -> int:
    """How many of the member's invitation links still work (removing them withdraws these)."""
    return int(
        db.exec(
            select(func.count())
            .select_from(Invitation)
            .where(*_pending_invitations_from(organization, member, now))
        ).one()
    )


def _pending_invitations_from(
    organization: Organization, member: User, now: datetime
) -> tuple[ColumnElement[bool], ...]:
    return (
        col(Invitation.organization_id) == organization.id,
        col(Invitation.created_by_id) == member.id,
        *still_usable(now),
    )


def _other_active_members(organization: Organization, member: User) -> SelectOfScalar[int | None]:
    return select(col(User.id)).where(
        User.organization_id == organization.id, col(User.active), col(User.id) != member.id
    )


def _is_staff(by: User | None) -> bool:
    return by is None or by.role == Role.STAFF
