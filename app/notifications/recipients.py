"""Everything that decides where a batch of consumers' events go, in a few queries.

Consumers who never had a notification get their settings row here (with
their first digests scheduled), so the digest job finds them later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from app.models.notifications import NotificationSettings, PushSubscription
from app.notifications.outbox import Recipient, insert_new
from app.notifications.preferences import choices_for, new_settings


def load_recipients(
    db: Session, user_ids: Iterable[int], now: datetime, digest_hour: int
) -> dict[int, Recipient]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    _ensure_settings(db, ids, now, digest_hour)
    settings = {
        s.user_id: s
        for s in db.exec(
            select(NotificationSettings).where(col(NotificationSettings.user_id).in_(ids))
        )
    }
    with_push = set(
        db.exec(
            select(PushSubscription.user_id)
            .where(col(PushSubscription.user_id).in_(ids))
            .distinct()
        ).all()
    )
    choices = choices_for(db, ids)
    return {uid: Recipient(uid, choices[uid], settings[uid], uid in with_push) for uid in ids}


def _ensure_settings(db: Session, ids: list[int], now: datetime, digest_hour: int) -> None:
    known = set(
        db.exec(
            select(NotificationSettings.user_id).where(col(NotificationSettings.user_id).in_(ids))
        ).all()
    )
    missing = [uid for uid in ids if uid not in known]
    if missing:
        rows = [new_settings(uid, now, digest_hour).model_dump() for uid in missing]
        insert_new(db, NotificationSettings, rows)
