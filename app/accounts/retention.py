"""Personal data kept only as long as configured, by a worker job.

* Raw events go after ``PLAZA_EVENT_RETENTION_DAYS``. Only events every rollup has
  counted (up to the lowest of their watermarks, :mod:`app.event_rollup`) are deleted,
  so popularity, which keeps its own window, and partners' results, kept for
  ``PLAZA_RESULTS_RETENTION_DAYS``, lose nothing even when the worker was stopped for
  a while.
* Notifications that are done (sent, folded into a digest, skipped, failed) go after
  ``PLAZA_NOTIFICATION_RETENTION_DAYS``; those still waiting or due stay. So do the
  rows of account emails sent or given up (already blanked, :mod:`app.accounts.mail`).
* Rate-limit counts and emailed links go once no limit or link can need them, and
  signed-in browsers once their session expired (:mod:`app.accounts.sessions`).
* First pages ranked ahead (:mod:`app.ranking.prepared`) go once too old to be served,
  and with them everything the worker kept about a shopper who has not opened their
  feed within ``PLAZA_PREPARED_FEED_ACTIVE_DAYS``.
* The address an invitation was emailed to is forgotten a month after it expired.

Deletes run in batches of ids, each its own transaction, so that web requests writing
at the same time wait for a batch at most. Afterwards SQLite's write-ahead log is
emptied (:func:`app.db.checkpoint_sqlite`), as after an account deletion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.sessions import prune_sessions
from app.accounts.throttle import prune_throttle
from app.db import checkpoint_sqlite, rows_changed
from app.event_rollup import counted_by_every_rollup
from app.models import AccountMail, AccountToken, Event, Notification, State
from app.models.partners import Invitation
from app.ranking.prepared import prune as prune_prepared

BATCH = 5000
DONE = (State.SENT, State.DIGESTED, State.SKIPPED, State.FAILED)
THROTTLE_KEEP = timedelta(days=1)  # longer than any rate limit's window
LINK_KEEP = timedelta(days=1)  # past expiry: a link's page can still say "expired"
# Past an emailed invitation's expiry, its members still see whom it was for, a while.
INVITATION_ADDRESS_KEEP = timedelta(days=30)


@dataclass(frozen=True)
class Pruned:
    events: int
    notifications: int
    sessions: int
    prepared_pages: int


@dataclass(frozen=True)
class PreparedPages:
    """How long first pages ranked ahead are of use: a plan is served while younger than
    ``max_age``, and prepared for shoppers who opened their feed within ``active``."""

    max_age: timedelta
    active: timedelta

    @classmethod
    def configured(cls, config: Mapping[str, Any]) -> PreparedPages:
        """As ``PLAZA_PREPARED_FEED_MAX_AGE_MINUTES`` and ``..._ACTIVE_DAYS`` say."""
        return cls(
            max_age=timedelta(minutes=config["PREPARED_FEED_MAX_AGE_MINUTES"]),
            active=timedelta(days=config["PREPARED_FEED_ACTIVE_DAYS"]),
        )


def prune_personal_data(
    db: Session,
    now: datetime,
    *,
    event_days: int,
    notification_days: int,
    prepared: PreparedPages,
) -> Pruned:
    """Delete what is past its retention (commits)."""
    counted = counted_by_every_rollup(db)
    events = _in_batches(
        db,
        select(Event.id)
        .where(col(Event.id) <= counted, col(Event.created_at) < now - timedelta(days=event_days))
        .order_by(col(Event.id)),
        Event,
    )
    notifications = _in_batches(
        db,
        select(Notification.id).where(
            col(Notification.state).in_(DONE),
            col(Notification.created_at) < now - timedelta(days=notification_days),
        ),
        Notification,
    )
    _in_batches(
        db,
        select(AccountMail.id).where(
            col(AccountMail.state).in_(DONE),
            col(AccountMail.created_at) < now - timedelta(days=notification_days),
        ),
        AccountMail,
    )
    sessions = prune_sessions(db, now)
    prepared_pages = prune_prepared(db, now, active=prepared.active, max_age=prepared.max_age)
    prune_throttle(db, now - THROTTLE_KEEP)
    db.exec(
        delete(AccountToken).where(
            or_(
                col(AccountToken.expires_at) < now - LINK_KEEP,
                col(AccountToken.used_at) < now - LINK_KEEP,
            )
        )
    )
    db.exec(
        update(Invitation)
        .where(
            col(Invitation.sent_to).is_not(None),
            col(Invitation.expires_at) < now - INVITATION_ADDRESS_KEEP,
        )
        .values(sent_to=None)
    )
    db.commit()
    checkpoint_sqlite(db)
    return Pruned(events, notifications, sessions, prepared_pages)


def _in_batches(
    db: Session,
    ids: SelectOfScalar[Any],
    table: type[Event] | type[Notification] | type[AccountMail],
) -> int:
    removed = 0
    while True:
        batch = list(db.exec(ids.limit(BATCH)).all())
        if not batch:
            return removed
        removed += rows_changed(db.exec(delete(table).where(col(table.id).in_(batch))))
        db.commit()
        if len(batch) < BATCH:
            return removed
