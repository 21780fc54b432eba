"""When a queued notification may go out: pure decisions, given settings and a clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.models.notifications import NotificationSettings
from app.notifications.catalog import Category, Channel, Frequency
from app.notifications.policy import Action, Pending, decide
from app.notifications.preferences import choices_for

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
HOLD = timedelta(hours=12)


def settings(**values) -> NotificationSettings:
    base = {"user_id": 1, "timezone": "UTC", "quiet_start": None, "quiet_end": None}
    return NotificationSettings(**{**base, **values})


def defaults():
    class NoRows:
        def exec(self, _query):
            return []

    return choices_for(NoRows(), [1])[1]  # type: ignore[arg-type]


def pending(channel=Channel.PUSH, category=Category.PRODUCTS, instant=True, age=timedelta(0)):
    return Pending(channel, category, instant, NOON - age)


def test_sends_when_nothing_stands_in_the_way():
    verdict = decide(pending(), settings(), defaults(), NOON, pushes_today=0, push_max_hold=HOLD)
    assert verdict.action == Action.SEND


def test_a_channel_turned_off_since_is_skipped():
    choices = defaults() | {(Category.PRODUCTS, Channel.PUSH): Frequency.OFF}
    verdict = decide(pending(), settings(), choices, NOON, pushes_today=0, push_max_hold=HOLD)
    assert verdict.action == Action.SKIP
    assert "Turned off" in verdict.reason


def test_email_after_unsubscribe_is_skipped():
    verdict = decide(
        pending(Channel.EMAIL),
        settings(email_enabled=False),
        defaults(),
        NOON,
        pushes_today=0,
        push_max_hold=HOLD,
    )
    assert verdict.action == Action.SKIP


def test_pause_holds_until_it_ends():
    until = NOON + timedelta(days=1)
    verdict = decide(
        pending(),
        settings(paused_until=until),
        defaults(),
        NOON,
        pushes_today=0,
        push_max_hold=HOLD,
    )
    assert (verdict.action, verdict.until) == (Action.HOLD, until)


def test_quiet_hours_hold_push_and_email_but_not_the_centre():
    quiet = settings(timezone="Europe/Paris", quiet_start=13 * 60, quiet_end=15 * 60)  # 14:00 there
    for channel in (Channel.PUSH, Channel.EMAIL):
        verdict = decide(
            pending(channel), quiet, defaults(), NOON, pushes_today=0, push_max_hold=HOLD
        )
        assert verdict.action == Action.HOLD
        assert verdict.until == datetime(2026, 6, 1, 13, 0, tzinfo=UTC)  # 15:00 in Paris
    in_app = decide(
        pending(Channel.IN_APP), quiet, defaults(), NOON, pushes_today=0, push_max_hold=HOLD
    )
    assert in_app.action == Action.SEND


def test_the_daily_push_cap_moves_instant_pushes_to_the_digest():
    capped = decide(
        pending(), settings(push_daily_cap=3), defaults(), NOON, pushes_today=3, push_max_hold=HOLD
    )
    assert capped.action == Action.DIGEST
    digest = decide(
        pending(category="digest", instant=False),
        settings(push_daily_cap=3),
        defaults(),
        NOON,
        pushes_today=3,
        push_max_hold=HOLD,
    )
    assert digest.action == Action.SEND


def test_an_instant_push_held_too_long_goes_to_the_digest_instead_of_arriving_stale():
    verdict = decide(
        pending(age=timedelta(hours=13)),
        settings(),
        defaults(),
        NOON,
        pushes_today=0,
        push_max_hold=HOLD,
    )
    assert verdict.action == Action.DIGEST
