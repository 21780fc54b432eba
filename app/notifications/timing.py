"""Time in the consumer's own zone: quiet hours, digest times, the start of their day.

Pure functions of (now, zone, settings), so tests can walk them through
midnight and daylight-saving changes without a clock. ``now`` is always an
aware UTC datetime and every answer is one too. A wall-clock time that a DST
change skips is read with the offset in force before the change (02:30 on a
spring-forward night is 03:30); a repeated one (autumn) as its first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

MINUTES_PER_DAY = 24 * 60
MONDAY = 0

PAUSES: dict[str, tuple[timedelta, str]] = {
    "1h": (timedelta(hours=1), "1 hour"),
    "1d": (timedelta(days=1), "1 day"),
    "1w": (timedelta(weeks=1), "1 week"),
}


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


# The regions IANA names its zones by; every other name (UTC, US/Eastern, EST5EDT...)
# is listed under "Other".
REGIONS = (
    "Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe",
    "Indian", "Pacific",
)  # fmt: skip


def timezone_groups(now: datetime) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every known zone as (region, [(name, label)]), the label with the zone's place and
    its offset from UTC at ``now`` ("Paris · UTC+01:00"), for a picker people can scan.

    Offsets change on the quarter hour at most, so the list is made once per quarter
    hour (making it takes a noticeable fraction of a page's time)."""
    utc = now.astimezone(UTC)
    quarter = utc.replace(minute=utc.minute // 15 * 15, second=0, microsecond=0)
    return _timezone_groups(quarter)


@lru_cache(maxsize=2)
def _timezone_groups(now: datetime) -> list[tuple[str, list[tuple[str, str]]]]:
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in (*REGIONS, "Other")}
    for name in sorted(known_timezones()):
        region, _, place = name.partition("/")
        if region not in REGIONS or not place:
            region, place = "Other", name
        label = f"{place.replace('_', ' ')} · {utc_offset(now, ZoneInfo(name))}"
        groups[region].append((name, label))
    return [(region, zones) for region, zones in groups.items() if zones]


def utc_offset(now: datetime, tz: ZoneInfo) -> str:
    """'UTC+05:30', 'UTC-03:00' or 'UTC' for the offset ``tz`` has at ``now``."""
    offset = now.astimezone(tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def is_known_timezone(name: str) -> bool:
    return name in known_timezones()


def zone(name: str | None) -> ZoneInfo:
    """The consumer's zone; UTC until we know it (or if a stored name vanished from tzdata)."""
    if name and is_known_timezone(name):
        return ZoneInfo(name)
    return ZoneInfo("UTC")


def at_local(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC moment when the wall clock in ``tz`` shows ``minute`` past midnight on ``day``."""
    wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return wall.astimezone(UTC)


def minute_of_day(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.hour * 60 + local.minute


def quiet_until(now: datetime, tz: ZoneInfo, start: int | None, end: int | None) -> datetime | None:
    """When the quiet hours around ``now`` end, or None if ``now`` is not in them.

    ``start`` and ``end`` are minutes after local midnight; ``start > end`` means
    the quiet hours cross midnight (22:00 to 07:00).
    """
    if start is None or end is None or start == end:
        return None
    local_day = now.astimezone(tz).date()
    minute = minute_of_day(now, tz)
    if start < end:
        return at_local(local_day, end, tz) if start <= minute < end else None
    if minute >= start:
        return at_local(local_day + timedelta(days=1), end, tz)
    if minute < end:
        return at_local(local_day, end, tz)
    return None


def next_digest_at(now: datetime, tz: ZoneInfo, hour: int, weekday: int | None = None) -> datetime:
    """The first local ``hour``:00 strictly after ``now`` (on ``weekday`` for weekly digests)."""
    local_day = now.astimezone(tz).date()
    for offset in range(15):
        day = local_day + timedelta(days=offset)
        if weekday is not None and day.weekday() != weekday:
            continue
        moment = at_local(day, hour * 60, tz)
        if moment > now:
            return moment
    raise AssertionError("unreachable: a week always has the weekday")


def day_start(now: datetime, tz: ZoneInfo) -> datetime:
    """Local midnight of the consumer's current day, as UTC (the daily push cap resets then)."""
    return at_local(now.astimezone(tz).date(), 0, tz)


def parse_clock(value: str) -> int:
    """'07:30' -> 450; raises ValueError for anything else."""
    hours, _, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(value)
    h, m = int(hours), int(minutes)
    if not (0 <= h < 24 and 0 <= m < 60):
        raise ValueError(value)
    return h * 60 + m


def format_clock(minute: int | None) -> str:
    return "" if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"
