"""Whether a notification may go out now: a pure function of its row, the
consumer's settings and the clock.

Push and email interrupt people, so they respect pauses and quiet hours (held
until those end, never dropped), and push respects the daily cap. An instant
push that cannot go out soon enough (capped, or held past its useful life)
waits for the daily digest instead of arriving stale. Whatever the consumer
turned off since the row was queued is skipped, not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from app.models.notifications import NotificationSettings
from app.notifications.catalog import Category, Channel, Frequency
from app.notifications.preferences import Choices
from app.notifications.timing import quiet_until, zone

DIGEST_CATEGORY = "digest"


class Action(StrEnum):
    SEND = "send"
    HOLD = "hold"  # try again at ``until``
    DIGEST = "digest"  # move into the next daily digest
    SKIP = "skip"


@dataclass(frozen=True)
class Verdict:
    action: Action
    reason: str = ""
    until: datetime | None = None


SEND = Verdict(Action.SEND)


@dataclass(frozen=True)
class Pending:
    """The parts of an outbox row the decision depends on."""

    channel: Channel
    category: str
    instant: bool
    created_at: datetime


def decide(
    row: Pending,
    settings: NotificationSettings,
    choices: Choices,
    now: datetime,
    *,
    pushes_today: int,
    push_max_hold: timedelta,
) -> Verdict:
    if row.category != DIGEST_CATEGORY:
        frequency = choices.get((Category(row.category), row.channel), Frequency.OFF)
        if frequency == Frequency.OFF:
            return Verdict(Action.SKIP, "Turned off in the notification settings.")
    if row.channel == Channel.IN_APP:
        return SEND
    if row.channel == Channel.EMAIL and not settings.email_enabled:
        return Verdict(Action.SKIP, "Unsubscribed from email.")
    if settings.paused_until is not None and settings.paused_until > now:
        return Verdict(Action.HOLD, "Notifications are paused.", settings.paused_until)
    quiet_end = quiet_until(now, zone(settings.timezone), settings.quiet_start, settings.quiet_end)
    if quiet_end is not None:
        return Verdict(Action.HOLD, "Quiet hours.", quiet_end)
    if row.channel == Channel.PUSH and row.instant:
        if now - row.created_at > push_max_hold:
            return Verdict(Action.DIGEST, "Held too long to be news; moved to the daily digest.")
        if pushes_today >= settings.push_daily_cap:
            return Verdict(Action.DIGEST, "Daily push limit reached; moved to the daily digest.")
    return SEND
