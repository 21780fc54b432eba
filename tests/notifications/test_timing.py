"""Quiet hours, digest times and the start of a consumer's day, walked through
midnight and daylight-saving changes with explicit clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.notifications.timing import (
    MONDAY,
    day_start,
    next_digest_at,
    parse_clock,
    quiet_until,
    zone,
)

PARIS = ZoneInfo("Europe/Paris")  # DST 2026: 29 March 02:00 -> 03:00, 25 October 03:00 -> 02:00
NEW_YORK = ZoneInfo("America/New_York")  # DST 2026: 8 March 02:00 -> 03:00
NIGHT = (22 * 60, 7 * 60)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(tz: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=tz).astimezone(UTC)


def test_quiet_hours_within_one_day():
    lunch = (12 * 60, 13 * 60 + 30)
    assert quiet_until(local(PARIS, 2026, 6, 1, 12, 0), PARIS, *lunch) == local(
        PARIS, 2026, 6, 1, 13, 30
    )
    assert quiet_until(local(PARIS, 2026, 6, 1, 13, 30), PARIS, *lunch) is None
    assert quiet_until(local(PARIS, 2026, 6, 1, 11, 59), PARIS, *lunch) is None


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        ((2026, 6, 1, 22, 0), (2026, 6, 2, 7, 0)),  # starts: ends tomorrow morning
        ((2026, 6, 1, 23, 59), (2026, 6, 2, 7, 0)),  # before midnight
        ((2026, 6, 2, 0, 0), (2026, 6, 2, 7, 0)),  # midnight itself
        ((2026, 6, 2, 6, 59), (2026, 6, 2, 7, 0)),  # the last minute
    ],
)
def test_quiet_hours_across_midnight(now, ends):
    assert quiet_until(local(PARIS, *now), PARIS, *NIGHT) == local(PARIS, *ends)


def test_outside_quiet_hours_and_without_them():
    assert quiet_until(local(PARIS, 2026, 6, 2, 7, 0), PARIS, *NIGHT) is None
    assert quiet_until(local(PARIS, 2026, 6, 2, 21, 59), PARIS, *NIGHT) is None
    assert quiet_until(local(PARIS, 2026, 6, 2, 23, 0), PARIS, None, None) is None


def test_quiet_hours_end_at_local_seven_across_both_dst_changes():
    # The night the clocks go forward is an hour shorter: 07:00 CEST is 05:00 UTC.
    assert quiet_until(local(PARIS, 2026, 3, 28, 23, 0), PARIS, *NIGHT) == utc(2026, 3, 29, 5, 0)
    # ...and the night they go back an hour longer: 07:00 CET is 06:00 UTC.
    assert quiet_until(local(PARIS, 2026, 10, 24, 23, 0), PARIS, *NIGHT) == utc(2026, 10, 25, 6)
    # In the repeated hour (02:30 happens twice) it is still quiet, both times.
    first = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=0).astimezone(UTC)
    second = datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1).astimezone(UTC)
    assert second - first == timedelta(hours=1)
    assert quiet_until(first, PARIS, *NIGHT) == quiet_until(second, PARIS, *NIGHT)


def test_daily_digest_stays_at_eight_local_across_dst():
    hour = 8
    before = next_digest_at(local(PARIS, 2026, 3, 27, 9, 0), PARIS, hour)
    assert before == utc(2026, 3, 28, 7, 0)  # CET, UTC+1
    change = next_digest_at(before, PARIS, hour)
    assert change == utc(2026, 3, 29, 6, 0)  # the DST morning: CEST, UTC+2
    assert change - before == timedelta(hours=23)
    back = next_digest_at(local(PARIS, 2026, 10, 24, 9, 0), PARIS, hour)
    assert back == utc(2026, 10, 25, 7, 0)  # 25 hours after the day before's


def test_weekly_digest_is_on_monday_morning():
    sunday = local(PARIS, 2026, 3, 29, 20, 0)
    assert next_digest_at(sunday, PARIS, 8, MONDAY) == utc(2026, 3, 30, 6, 0)
    monday_eight = utc(2026, 3, 30, 6, 0)
    assert next_digest_at(monday_eight, PARIS, 8, MONDAY) == utc(2026, 4, 6, 6, 0)


def test_a_digest_hour_the_clocks_skip_is_read_after_the_jump():
    # 02:00 does not exist in New York on 8 March 2026; the digest comes at 03:00 EDT.
    due = next_digest_at(local(NEW_YORK, 2026, 3, 7, 12, 0), NEW_YORK, 2)
    assert due == utc(2026, 3, 8, 7, 0)
    assert due.astimezone(NEW_YORK).hour == 3


def test_the_day_starts_at_local_midnight():
    assert day_start(local(PARIS, 2026, 6, 2, 0, 30), PARIS) == utc(2026, 6, 1, 22, 0)
    assert day_start(local(PARIS, 2026, 6, 1, 23, 30), PARIS) == utc(2026, 5, 31, 22, 0)
    assert day_start(local(PARIS, 2026, 3, 29, 12, 0), PARIS) == utc(2026, 3, 28, 23, 0)


def test_unknown_or_missing_zones_mean_utc():
    assert zone(None) == ZoneInfo("UTC")
    assert zone("Mars/Olympus_Mons") == ZoneInfo("UTC")
    assert zone("../../etc/passwd") == ZoneInfo("UTC")
    assert zone("Asia/Tokyo") == ZoneInfo("Asia/Tokyo")


@pytest.mark.parametrize("text", ["", "7", "7:5", "24:00", "12:60", "ab:cd", "-1:00"])
def test_clock_times_are_checked(text):
    with pytest.raises(ValueError):
        parse_clock(text)


def test_clock_times_parse():
    assert parse_clock("07:30") == 450
    assert parse_clock(" 23:59 ") == 1439
