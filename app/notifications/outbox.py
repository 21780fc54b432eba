"""The outbox: queue notifications once, claim them safely, record what happened.

Rows are inserted with ``ON CONFLICT DO NOTHING`` on (consumer, channel,
subject), so an event processed twice (a retried job, two workers) still
yields one row per channel. A worker claims due rows by leasing them in one
short transaction (:mod:`app.claims`: locked with ``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, taken by a compare-and-set), and every result is written with the same guard,
so a worker whose lease ran out can never overwrite the row's new owner. A
worker killed mid-batch leaves its rows leased; they are claimed again when
the lease ends, and go out with the same idempotency key (Message-ID, push
topic and tag) as the attempt that may already have reached the server.

Claiming and recording work alike for the account emails' outbox
(:class:`app.models.AccountMail`, sent by :mod:`app.accounts.mail`), which has the
same state, due time, lease and attempts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from sqlalchemy import Table, and_, inspect, or_, update
from sqlmodel import Session, SQLModel, col, select

from app import claims
from app.db import dialect_insert
from app.models.accounts import AccountMail
from app.models.notifications import Notification, NotificationSettings, State
from app.notifications.catalog import Category, Channel, Frequency
from app.notifications.preferences import Choices

INSERT_CHUNK = 500
MAX_BACKOFF = timedelta(hours=6)
Row = TypeVar("Row", Notification, AccountMail)  # an outbox's row: notification or email


def insert_new(db: Session, model: type[SQLModel], rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``model``'s table, silently keeping any row whose key is
    already there. The statement names the table, not the model: an ORM insert would
    send the rows one by one instead of as one batch."""
    table = cast(Table, inspect(model).local_table)
    statement = dialect_insert(db)(table).on_conflict_do_nothing()
    for start in range(0, len(rows), INSERT_CHUNK):
        db.execute(statement, list(rows[start : start + INSERT_CHUNK]))


@dataclass(frozen=True)
class Event:
    """Something one consumer may hear about: a card, a price drop, a message."""

    subject: str
    category: Category
    score: float
    card_id: int | None = None
    content: dict[str, Any] = field(default_factory=dict)
    urgent: bool = False  # goes out instantly whatever its score (price drops, account)


@dataclass
class Recipient:
    """What decides where a consumer's events go."""

    user_id: int
    choices: Choices
    settings: NotificationSettings
    has_push: bool


def plan(
    recipient: Recipient,
    events: Iterable[Event],
    now: datetime,
    *,
    email_available: bool,
    min_score: float,
    instant_quota: int,
) -> list[dict[str, Any]]:
    """Outbox rows for one consumer's events, best first, one per enabled channel.

    An event goes out instantly only on channels set to "right away", when it
    ranks at least ``min_score`` (or is urgent), and within ``instant_quota``
    per channel for this run; everything else waits for a digest.
    """
    rows: list[dict[str, Any]] = []
    instant_count = dict.fromkeys(Channel, 0)
    for event in sorted(events, key=lambda e: (not e.urgent, -e.score)):
        for channel in _channels(recipient, email_available):
            frequency = recipient.choices[(event.category, channel)]
            if frequency == Frequency.OFF:
                continue
            instant = (
                frequency == Frequency.INSTANT
                and (event.urgent or event.score >= min_score)
                and instant_count[channel] < instant_quota
            )
            if instant:
                instant_count[channel] += 1
            rows.append(_row(recipient.user_id, channel, event, frequency, instant, now))
    return rows


def _channels(recipient: Recipient, email_available: bool) -> Iterator[Channel]:
    yield Channel.IN_APP
    if recipient.has_push:
        yield Channel.PUSH
    if email_available and recipient.settings.email_enabled:
        yield Channel.EMAIL


def _row(
    user_id: int, channel: Channel, event: Event, frequency: Frequency, instant: bool, now: datetime
) -> dict[str, Any]:
    if instant:
        mode, state = Frequency.INSTANT, State.SENT if channel == Channel.IN_APP else State.PENDING
    else:
        mode = Frequency.DAILY if frequency == Frequency.INSTANT else frequency
        state = State.WAITING
    return new_row(
        user_id=user_id,
        channel=channel,
        category=event.category,
        subject=event.subject,
        card_id=event.card_id,
        mode=mode,
        score=event.score,
        content=event.content,
        state=state,
        now=now,
    )


def new_row(
    *,
    user_id: int,
    channel: str,
    category: str,
    subject: str,
    mode: str,
    state: State,
    now: datetime,
    card_id: int | None = None,
    score: float = 0.0,
    content: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Every column of a new outbox row (bulk inserts bypass the model's defaults)."""
    return {
        "user_id": user_id,
        "channel": str(channel),
        "category": str(category),
        "subject": subject,
        "card_id": card_id,
        "digest_id": None,
        "mode": str(mode),
        "score": score,
        "content": content or {},
        "state": str(state),
        "due_at": now,
        "lease_until": None,
        "attempts": 0,
        "reason": None,
        "created_at": now,
        "sent_at": now if state == State.SENT else None,
        "read_at": None,
    }


# --- Claiming and recording ------------------------------------------------------------


def _claimable(model: type[Row], now: datetime) -> Any:
    return and_(
        col(model.due_at) <= now,
        or_(
            col(model.state) == State.PENDING,
            and_(col(model.state) == State.SENDING, col(model.lease_until) < now),
        ),
    )


def claim(db: Session, now: datetime, limit: int, lease: timedelta, model: type[Row]) -> list[Row]:
    """Lease up to ``limit`` due rows of ``model``'s outbox to this worker
    (:func:`app.claims.claim_due`) and return them; commits."""
    claimed = claims.claim_due(
        db,
        model,
        [_claimable(model, now)],
        order_by=col(model.due_at),
        limit=limit,
        lease={
            "state": State.SENDING,
            "lease_until": now + lease,
            "attempts": col(model.attempts) + 1,
        },
    )
    if not claimed:
        return []
    ids = [row_id for (row_id,) in claimed]
    return list(db.exec(select(model).where(col(model.id).in_(ids)).order_by(col(model.id))).all())


def finish(db: Session, row: Notification | AccountMail, **values: Any) -> bool:
    """Write a claimed row's outcome unless its lease was lost; the caller commits.

    The worker's session holds every row it claimed: matching them in memory
    (SQLAlchemy's default) would cost a scan of them all per result, so it is off.
    """
    model = type(row)
    result = db.exec(
        update(model)
        .where(
            col(model.id) == row.id,
            col(model.state) == State.SENDING,
            col(model.lease_until) == row.lease_until,
        )
        .values(lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def sent(db: Session, row: Notification, now: datetime, note: str | None = None) -> bool:
    return finish(db, row, state=State.SENT, sent_at=now, reason=note)


def held(db: Session, row: Notification, until: datetime, reason: str) -> bool:
    """Back to pending until ``until``; a hold is not a delivery attempt."""
    return finish(
        db, row, state=State.PENDING, due_at=until, reason=reason, attempts=row.attempts - 1
    )


def to_digest(db: Session, row: Notification, reason: str) -> bool:
    return finish(db, row, state=State.WAITING, mode=Frequency.DAILY, reason=reason)


def skipped(db: Session, row: Notification, reason: str) -> bool:
    return finish(db, row, state=State.SKIPPED, reason=reason)


def failed(
    db: Session,
    row: Notification | AccountMail,
    reason: str,
    now: datetime,
    *,
    retry: bool,
    max_attempts: int,
    retry_base: timedelta,
    retry_after: datetime | None = None,
    **final: Any,
) -> bool:
    """Retry later with exponential backoff, or give up with the reason (writing the
    ``final`` values too then)."""
    if not retry or row.attempts >= max_attempts:
        if retry:
            tries = "1 attempt" if row.attempts == 1 else f"{row.attempts} attempts"
            reason = f"Gave up after {tries}: {reason}"
        return finish(db, row, state=State.FAILED, reason=reason, **final)
    backoff = min(retry_base * 2 ** (row.attempts - 1), MAX_BACKOFF)
    due = max(now + backoff, retry_after or now)
    return finish(db, row, state=State.PENDING, due_at=due, reason=reason)
