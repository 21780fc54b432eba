"""Folding what waited into one digest per channel, at the consumer's local morning.

Each consumer's settings row says when their next daily and weekly digests
are due (computed in their zone, so 08:00 stays 08:00 across DST changes).
When one is due, the waiting rows of that kind become one digest row per
channel, listing the best of them. On the morning a daily and a weekly digest
meet (a Monday, with the default hour) the consumer gets one digest per
channel with both parts, not two: everything due for a consumer is folded in
the same pass. The digest's subject names its parts and due time, so a run
repeated after a crash finds the same digest instead of making a second one.
Cards that were removed, ended or dismissed meanwhile are left out.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from app.models import Card, CardState
from app.models.notifications import Notification, NotificationSettings, State
from app.notifications.catalog import Channel, Frequency
from app.notifications.config import NotifyConfig
from app.notifications.outbox import insert_new, new_row
from app.notifications.policy import DIGEST_CATEGORY
from app.notifications.timing import MONDAY, next_digest_at, zone

BATCH = 100
# Each digest kind: its frequency, the settings column saying when it is next due, and
# the weekday it falls on. Shorter periods first: a merged digest lists them in this order.
KINDS: tuple[tuple[Frequency, str, int | None], ...] = (
    (Frequency.DAILY, "daily_due_at", None),
    (Frequency.WEEKLY, "weekly_due_at", MONDAY),
)


def build_due_digests(db: Session, now: datetime, cfg: NotifyConfig) -> int:
    """Make every digest that is due; commits per batch of consumers. Returns how many."""
    made = 0
    is_due = or_(*(col(getattr(NotificationSettings, column)) <= now for _, column, _ in KINDS))
    while True:
        due = db.exec(
            select(NotificationSettings)
            .where(is_due)
            .order_by(col(NotificationSettings.user_id))
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        if not due:
            break
        for settings in due:
            parts = [
                (mode, getattr(settings, column))
                for mode, column, _ in KINDS
                if getattr(settings, column) is not None and getattr(settings, column) <= now
            ]
            made += _digest(db, settings.user_id, parts, now, cfg.digest_size)
            tz = zone(settings.timezone)
            for mode, column, weekday in KINDS:
                if any(part == mode for part, _ in parts):
                    setattr(settings, column, next_digest_at(now, tz, cfg.digest_hour, weekday))
            db.add(settings)
        db.commit()
    return made


def _digest(
    db: Session,
    user_id: int,
    parts: list[tuple[Frequency, datetime]],
    now: datetime,
    size: int,
) -> int:
    """One digest per channel of everything waiting for the ``parts`` due now."""
    modes = [mode for mode, _ in parts]
    waiting = db.exec(
        select(Notification).where(
            Notification.user_id == user_id,
            Notification.state == State.WAITING,
            col(Notification.mode).in_(modes),
        )
    ).all()
    if not waiting:
        return 0
    gone = _not_shown_any_more(db, user_id, {r.card_id for r in waiting if r.card_id}, now)
    by_channel: dict[str, list[Notification]] = defaultdict(list)
    for row in waiting:
        by_channel[row.channel].append(row)
    slot = min(due for _, due in parts)
    made = 0
    for channel, rows in by_channel.items():
        sections = []
        for mode in modes:
            live = [r for r in rows if r.mode == mode and r.card_id not in gone]
            best = sorted(live, key=lambda r: (-r.score, -(r.id or 0)))[:size]
            if best:
                sections.append((mode, best, len(live)))
        digest_id = _digest_row(db, user_id, channel, sections, slot, now) if sections else None
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
    sections: list[tuple[Frequency, list[Notification], int]],
    slot: datetime,
    now: datetime,
) -> int:
    """Store the digest; ``content`` lists its items and, per part, how many it counted.

    A digest's ``mode`` is its longest part (a daily and weekly digest together is
    a weekly one that also carries the day's picks).
    """
    modes = [mode for mode, _, _ in sections]
    subject = f"digest:{'+'.join(modes)}:{slot.strftime('%Y-%m-%dT%H:%MZ')}"
    items = [r.id for _, best, _ in sections for r in best]
    content: dict[str, Any] = {
        "items": items,
        "total": sum(total for _, _, total in sections),
        "parts": [
            {"mode": mode, "items": [r.id for r in best], "total": total}
            for mode, best, total in sections
        ],
    }
    state = State.SENT if channel == Channel.IN_APP else State.PENDING
    row = new_row(
        user_id=user_id,
        channel=channel,
        category=DIGEST_CATEGORY,
        subject=subject,
        mode=modes[-1],
        state=state,
        now=now,
        score=max(best[0].score for _, best, _ in sections),
        content=content,
    )
    insert_new(db, Notification, [row])
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
