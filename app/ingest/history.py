"""A provider's refresh history: one row per refresh, for its owner (app.models.refreshes).

The worker writes a row at the end of every refresh, with the outcome, the counts the
store reported, the failure in the words the provider shows, and what the kind left out
(``cards.spec.report_rejected``). Only the newest row keeps its rejected items, and only
the first :data:`REJECTED_KEPT` of them; a provider keeps its newest :data:`KEEP_ROWS`
rows. So the table stays small however often and however badly a source misbehaves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete, func, select

from app.models import ProviderRefresh, RefreshOutcome

REJECTED_KEPT = 30
KEEP_ROWS = 200
TEXT_MAX = 300


@dataclass
class Rejections:
    """What a kind left out during one refresh: the count, and the first few with why."""

    count: int = 0
    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, item: str, reason: str) -> None:
        self.count += 1
        if len(self.items) < REJECTED_KEPT:
            self.items.append({"item": item[:TEXT_MAX], "reason": reason[:TEXT_MAX]})


@dataclass
class CollectsRejections:
    """A refresh context's ``reject`` (:class:`cards.spec.RefreshContext`): what the kind
    left out is counted, and the first few are kept with why."""

    rejections: Rejections = field(default_factory=Rejections, kw_only=True)

    def reject(self, item: str, reason: str) -> None:
        self.rejections.add(item, reason)


def rejections_of(context: Any) -> Rejections:
    """The rejections a refresh context collected (a test's own context has none)."""
    found = getattr(context, "rejections", None)
    return found if isinstance(found, Rejections) else Rejections()


def record_refresh(
    db: Session,
    provider_id: int,
    now: datetime,
    outcome: RefreshOutcome,
    *,
    new: int = 0,
    updated: int = 0,
    expired: int = 0,
    error: str | None = None,
    rejections: Rejections | None = None,
) -> ProviderRefresh:
    """Add the row of a refresh that just ended (the caller commits)."""
    previous = newest_refresh(db, provider_id)
    if previous is not None and previous.rejected:
        previous.rejected = []  # only the newest refresh's items are kept
        db.add(previous)
    rejected = rejections or Rejections()
    row = ProviderRefresh(
        provider_id=provider_id,
        at=now,
        outcome=outcome,
        new=new,
        updated=updated,
        expired=expired,
        error=error,
        rejected_count=rejected.count,
        rejected=list(rejected.items),
    )
    db.add(row)
    _forget_old(db, provider_id)
    return row


def newest_refresh(db: Session, provider_id: int) -> ProviderRefresh | None:
    """The provider's latest refresh on record, if any."""
    return db.exec(
        select(ProviderRefresh)
        .where(ProviderRefresh.provider_id == provider_id)
        .order_by(col(ProviderRefresh.id).desc())
        .limit(1)
    ).first()


def _forget_old(db: Session, provider_id: int) -> None:
    oldest_kept = db.exec(
        select(ProviderRefresh.id)
        .where(ProviderRefresh.provider_id == provider_id)
        .order_by(col(ProviderRefresh.id).desc())
        .offset(KEEP_ROWS - 1)
        .limit(1)
    ).first()
    if oldest_kept is not None:
        db.exec(
            delete(ProviderRefresh).where(
                col(ProviderRefresh.provider_id) == provider_id,
                col(ProviderRefresh.id) < oldest_kept,
            )
        )


def refresh_page(
    db: Session, provider_id: int, page: int, per_page: int
) -> tuple[list[ProviderRefresh], int]:
    """One page of a provider's refreshes, newest first, and how many there are."""
    total = db.exec(select(func.count()).where(ProviderRefresh.provider_id == provider_id)).one()
    rows = db.exec(
        select(ProviderRefresh)
        .where(ProviderRefresh.provider_id == provider_id)
        .order_by(col(ProviderRefresh.id).desc())
        .offset(max(page - 1, 0) * per_page)
        .limit(per_page)
    ).all()
    return list(rows), int(total)
