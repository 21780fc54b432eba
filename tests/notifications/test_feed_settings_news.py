"""A kind a shopper took out of their feed is no news to them either: the notification
job ranks with the same profile, feed settings included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models import FeedPreference
from tests.notifications.test_enqueue import enqueue, outbox


def test_videos_turned_off_in_the_feed_are_no_news(world, notify, db):
    now = datetime.now(UTC)
    people = {
        name: notify.consumer(world, f"{name}@example.com", follows=("shoes/running",))
        for name in ("watcher", "reader")
    }
    db.add(FeedPreference(user_id=people["reader"], kinds={"youtube": "none"}))
    db.commit()
    enqueue(notify, now)  # the first run only sets where the scan starts
    tube = world.provider("Trail videos", kind="youtube")
    world.cards(tube, 1, interests=("shoes/running",), age_hours=0.1, price=None)
    enqueue(notify, now + timedelta(minutes=2))
    heard = outbox(db, people)
    assert ("in_app", "card", "instant", "sent") in heard["watcher"]
    assert "reader" not in heard
