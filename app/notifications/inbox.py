"""The notification centre: what a consumer sees in Plaza, and what they read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.models.notifications import Notification, State
from app.notifications.catalog import Channel
from app.notifications.compose import Composed
from app.notifications.content import Contents

PAGE_SIZE = 30


def _inbox(user_id: int) -> list[ColumnElement[bool]]:
    return [
        col(Notification.user_id) == user_id,
        col(Notification.channel) == Channel.IN_APP,
        col(Notification.state) == State.SENT,
    ]


def unread_count_query(user_id: int) -> SelectOfScalar[int]:
    """The query counting the unread notifications in the centre: the bell draws it with
    the top bar's other numbers (:mod:`app.web.top_bar`)."""
    return select(func.count()).where(*_inbox(user_id), col(Notification.read_at).is_(None))


@dataclass(frozen=True)
class Entry:
    row: Notification
    composed: Composed


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next_before: int | None  # the id to continue below, or None at the end


def page(db: Session, user_id: int, before: int | None = None) -> Page:
    """Newest first; rows whose cards are no longer shown are left out."""
    query = select(Notification).where(*_inbox(user_id))
    if before is not None:
        query = query.where(col(Notification.id) < before)
    rows = list(db.exec(query.order_by(col(Notification.id).desc()).limit(PAGE_SIZE + 1)).all())
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    contents = Contents.load(db, rows)
    entries = [Entry(row, c) for row in rows if (c := contents.compose(row)) is not None]
    return Page(entries, rows[-1].id if more and rows else None)


def entry(db: Session, user_id: int, notification_id: int) -> Entry | None:
    """One entry of the consumer's centre, as the centre shows it."""
    row = find(db, user_id, notification_id)
    if row is None or row.channel != Channel.IN_APP or row.state != State.SENT:
        return None
    composed = Contents.load(db, [row]).compose(row)
    return Entry(row, composed) if composed else None


def find(db: Session, user_id: int, notification_id: int) -> Notification | None:
    """One of the consumer's own notifications, on any channel."""
    row = db.get(Notification, notification_id)
    return row if row is not None and row.user_id == user_id else None


def mark_read(db: Session, user_id: int, notification_id: int, now: datetime) -> None:
    db.exec(
        update(Notification)
        .where(
            *_inbox(user_id),
            col(Notification.id) == notification_id,
            col(Notification.read_at).is_(None),
        )
        .values(read_at=now)
    )


def mark_all_read(db: Session, user_id: int, now: datetime) -> None:
    db.exec(
        update(Notification)
        .where(*_inbox(user_id), col(Notification.read_at).is_(None))
        .values(read_at=now)
    )


def mark_subject_read(db: Session, user_id: int, row: Notification, now: datetime) -> None:
    """Opening a push or email counts as reading the same news in the centre."""
    db.exec(
        update(Notification)
        .where(
            *_inbox(user_id),
            col(Notification.subject) == row.subject,
            col(Notification.read_at).is_(None),
        )
        .values(read_at=now)
    )
