"""Following partners: a shopper's choice to see more of an organisation's cards.

A follow lifts the organisation's cards in the shopper's feed (``followed_providers``
of :class:`app.ranking.rank.Profile`), with the reason "Because you follow <name>".
Following and unfollowing count as a change of the shopper's tastes, as following an
interest does, so a first page the worker ranked before is not served
(:func:`app.ranking.prepared.interests_changed`). Nobody starts following a suspended
organisation; anyone may stop following one. Every function but
:func:`change_following` (what a shopper's request does) leaves the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime

from flask import abort
from sqlmodel import Session, col, delete, select

from app import db as request_db
from app.db import dialect_insert, rows_changed
from app.models import Organization, PartnerFollow, stored_id
from app.ranking.prepared import interests_changed


class FollowRefused(ValueError):
    """The organisation cannot be followed now; the message says why."""


def is_available(organization: Organization) -> bool:
    """Whether shoppers may see ``organization``'s page and follow it: not suspended."""
    return organization.suspended_at is None


def follow(db: Session, user_id: int, organization: Organization, now: datetime) -> None:
    """``user_id`` follows ``organization``; following it again changes nothing."""
    if not is_available(organization):
        raise FollowRefused(
            f"{organization.name} is not available on Plaza at the moment, so it cannot be"
            " followed."
        )
    insert = dialect_insert(db)(PartnerFollow).values(
        user_id=user_id, organization_id=stored_id(organization), created_at=now
    )
    if rows_changed(db.execute(insert.on_conflict_do_nothing())):
        interests_changed(db, user_id)


def unfollow(db: Session, user_id: int, organization: Organization) -> None:
    """``user_id`` stops following ``organization``; unfollowing again changes nothing."""
    removed = db.execute(
        delete(PartnerFollow).where(
            col(PartnerFollow.user_id) == user_id,
            col(PartnerFollow.organization_id) == organization.id,
        )
    )
    if rows_changed(removed):
        interests_changed(db, user_id)


def change_following(user_id: int, organization: Organization, *, wanted: bool) -> None:
    """A shopper's request to follow (``wanted``) or unfollow ``organization``, committed;
    a refusal is a 409 with its reason, and changes nothing."""
    session = request_db.session()
    try:
        if wanted:
            follow(session, user_id, organization, datetime.now(UTC))
        else:
            unfollow(session, user_id, organization)
    except FollowRefused as refused:
        session.rollback()
        abort(409, description=str(refused))
    session.commit()


def followed_among(db: Session, user_id: int, organization_ids: Collection[int]) -> set[int]:
    """Which of ``organization_ids`` ``user_id`` follows."""
    if not organization_ids:
        return set()
    return set(
        db.exec(
            select(PartnerFollow.organization_id).where(
                PartnerFollow.user_id == user_id,
                col(PartnerFollow.organization_id).in_(list(organization_ids)),
            )
        ).all()
    )


def followed_organizations(db: Session, user_id: int) -> list[tuple[Organization, datetime]]:
    """Every organisation ``user_id`` follows, by name, with when they began."""
    rows = db.exec(
        select(Organization, PartnerFollow.created_at)
        .join(PartnerFollow, col(PartnerFollow.organization_id) == Organization.id)
        .where(PartnerFollow.user_id == user_id)
        .order_by(col(Organization.name))
    )
    return [(organization, since) for organization, since in rows]
