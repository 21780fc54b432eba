"""Folding what waited into one digest per channel, at the consumer's local morning.

Each consumer's settings row says when their next daily and weekly digests
are due (computed in their zone, so 08:00 stays 08:00 across DST changes).
When one is due, the waiting rows of that kind become one digest row per
channel, listing the best of them; the digest's subject names the due time,
so a run repeated after a crash finds the same digest instead of making a
second one. Cards that were removed, ended or dismissed meanwhile are left out.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.models import Card, CardState
from app.notifications.catalog import Channel, Frequency
from app.notifications.config import NotifyConfig
from app.notifications.models import Notification, NotificationSettings, State
from app.notifications.outbox import insert_new, new_row
from app.notifications.policy import DIGEST_CATEGORY
from app.notifications.timing import MONDAY, next_digest_at, zone

BATCH = 100


def build_due_digests(db: Session, now: datetime, cfg: NotifyConfig) -> int:
    """Make every digest that is due; commits per batch of consumers. Returns how many."""
    made = 0
    for mode, weekday in ((Frequency.DAILY, None), (Frequency.WEEKLY, MONDAY)):
        column = (
            NotificationSettings.daily_due_at
            if mode == Frequency.DAILY
            else NotificationSettings.weekly_due_at
        )
        while True:
            due = db.exec(
                select(NotificationSettings)
                .where(col(column) <= now)
                .order_by(col(column))
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            if not due:
                break
            for settings in due:
                slot = getattr(settings, column.key)
                made += _digest(db, settings.user_id, mode, slot, now, cfg.digest_size)
                tz = zone(settings.timezone)
                setattr(settings, column.key, next_digest_at(now, tz, cfg.digest_hour, weekday))
                db.add(settings)
            db.commit()
    return made


def _digest(
    db: Session, user_id: int, mode: Frequency, slot: datetime, now: datetime, size: int
) -> int:
    waiting = db.exec(
        select(Notification).where(
            Notification.user_id == user_id,
            Notification.state == State.WAITING,
            Notification.mode == mode,
        )
    ).all()
    if not waiting:
        return 0
    gone = _not_shown_any_more(db, user_id, {r.card_id for r in waiting if r.card_id}, now)
    by_channel: dict[str, list[Notification]] = defaultdict(list)
    for row in waiting:
        by_channel[row.channel].append(row)
    made = 0
    for channel, rows in by_channel.items():
        live = [r for r in rows if r.card_id not in gone]
        best = sorted(live, key=lambda r: (-r.score, -(r.id or 0)))[:size]
        digest_id = None
        if best:
            digest_id = _digest_row(db, user_id, channel, mode, slot, now, best, len(live))
        db.exec(
            update(Notification)
            .where(col(Notification.id).in_([r.id for r in rows]))
            .values(state=State.DIGESTED, digest_id=digest_id)
            .execution_options(synchronize_session=False)
        )
        made += digest_id is not None
    return made


def _digest_row(
    db: Session,
    user_id: int,
    channel: str,
    mode: Frequency,
    slot: datetime,
    now: datetime,
    best: list[Notification],
    total: int,
) -> int:
    subject = f"digest:{mode}:{slot.strftime('%Y-%m-%dT%H:%MZ')}"
    content: dict[str, Any] = {"items": [r.id for r in best], "total": total}
    state = State.SENT if channel == Channel.IN_APP else State.PENDING
    row = new_row(
        user_id=user_id,
        channel=channel,
        category=DIGEST_CATEGORY,
        subject=subject,
        mode=mode,
        state=state,
        now=now,
        score=best[0].score,
        content=content,
    )
    insert_new(db, Notification.__table__, [row])  # type: ignore[arg-type]
    digest_id = db.exec(
        select(Notification.id).where(
            Notification.user_id == user_id,
            Notification.channel == channel,
            Notification.subject == subject,
        )
    ).one()
    assert digest_id is not None
    return digest_id


def _not_shown_any_more(db: Session, user_id: int, card_ids: set[int], now: datetime) -> set[int]:
    if not card_ids:
        return set()
    cards = db.exec(select(Card).where(col(Card.id).in_(card_ids))).all()
    dismissed = set(
        db.exec(
            select(CardState.card_id).where(
                CardState.user_id == user_id,
                col(CardState.card_id).in_(card_ids),
                col(CardState.dismissed_at).is_not(None),
            )
        ).all()
    )
    shown = {
        c.id
        for c in cards
        if c.removed_at is None and (c.ends_at is None or c.ends_at > now) and c.id not in dismissed
    }
    return card_ids - shown
