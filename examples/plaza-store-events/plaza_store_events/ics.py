"""Read a store's iCalendar (.ics) file into the next occurrence of each event.

This module knows iCalendar and nothing of Plaza, so it can be tested and
reasoned about on its own. Two libraries do the hard parts: ``icalendar``
parses RFC 5545 (line folding, escaping, time zones, property types) and
``recurring-ical-events`` expands repeating events (RRULE, RDATE, EXDATE and
single instances that were moved or cancelled), which is where hand-written
calendar code usually goes wrong.

Each event *series* (one UID) gives at most one occurrence, its next one: a
weekly run club is one card that moves on to next week's session when this
week's is over, not eight cards crowding a shopper's feed. It also means a
rule such as ``FREQ=SECONDLY`` costs one step, not millions.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from html import escape
from itertools import islice
from typing import Any

import icalendar
import recurring_ical_events
from icalendar.parser import unescape_backslash

log = logging.getLogger(__name__)

# How many cancelled or private instances of one series are passed over looking
# for a showable one; a series cancelled as a whole would otherwise never end.
_MAX_SKIPPED = 25
_PUBLIC = frozenset({"", "PUBLIC"})
# A DESCRIPTION is taken for HTML when it holds a tag calendar programs write, or a
# character reference; "Tools & Trails <annex>" stays plain text.
_HTML_MARK = re.compile(
    r"</?(?:a|b|br|div|em|font|h[1-6]|html|i|img|li|ol|p|span|strong|table|u|ul)\b[^<>]*>"
    r"|&(?:[a-z]+|#[0-9]+|#x[0-9a-f]+);",
    re.IGNORECASE,
)


class CalendarError(ValueError):
    """The document is not an iCalendar file; ``message`` says so to the retailer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Occurrence:
    """One upcoming (or ongoing) showing of an event, with the times made aware.

    Text fields are as the calendar wrote them (iCalendar escapes undone);
    ``description`` is always an HTML fragment (see :func:`_description_html`),
    unsanitized: whoever shows it must sanitize it.
    """

    uid: str
    title: str
    description: str
    location: str
    url: str | None
    image_url: str | None
    categories: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    updated_at: datetime | None


def read_calendar(body: bytes) -> icalendar.Calendar:
    """Parse ``body`` as one VCALENDAR; raise :class:`CalendarError` when it is not one."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise CalendarError(
            "The address returned a web page, not a calendar. Use the address of the .ics "
            "file (calendar apps call it the iCal, subscribe or export link)."
        )
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except ValueError as error:
        raise CalendarError(
            "The address did not return an iCalendar (.ics) file that Plaza can read."
        ) from error
    if calendar.name != "VCALENDAR":
        raise CalendarError(f"The address returned an iCalendar {calendar.name}, not a calendar.")
    return calendar


def calendar_zone(calendar: icalendar.Calendar) -> str | None:
    """The zone a calendar says it is in (``X-WR-TIMEZONE``, written by Google Calendar,
    Outlook and Apple Calendar), or None."""
    name = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    return name or None


def next_occurrences(
    calendar: icalendar.Calendar, after: datetime, before: datetime, zone: tzinfo
) -> Iterator[Occurrence]:
    """The next public, not cancelled occurrence of each series that ends after ``after``
    and starts before ``before``. ``zone`` is the store's (see :func:`_aware`).

    A series that cannot be read (no start, a broken rule or date) is skipped and
    logged; the rest of the calendar still counts, as one bad item in a feed does not
    hide the others.
    """
    for uid, series in _series(calendar).items():
        try:
            occurrence = _next(uid, series, after, before, zone)
        except (ValueError, KeyError) as error:
            log.info("calendar event %r skipped: %s", uid, error)
            continue
        if occurrence is not None:
            yield occurrence


def _series(calendar: icalendar.Calendar) -> dict[str, icalendar.Calendar]:
    """One small calendar per UID holding that series' events and every time zone,
    so each series is expanded, and can fail, on its own.

    Events without a UID are dropped: RFC 5545 requires one, and without it an
    edited event could not be told from a new one.
    """
    timezones = calendar.walk("VTIMEZONE")
    series: dict[str, icalendar.Calendar] = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("UID", "")).strip()
        if not uid:
            continue
        if uid not in series:
            series[uid] = icalendar.Calendar()
            for timezone in timezones:
                series[uid].add_component(timezone)
        series[uid].add_component(event)
    return series


def _next(
    uid: str, series: icalendar.Calendar, after: datetime, before: datetime, zone: tzinfo
) -> Occurrence | None:
    for event in islice(recurring_ical_events.of(series).after(after), _MAX_SKIPPED):
        occurrence = _occurrence(uid, event, zone)
        if occurrence.starts_at >= before:
            return None
        if _showable(event):
            return occurrence
    return None


def _showable(event: icalendar.Event) -> bool:
    """Cancelled instances and private entries (staff shifts) never become cards.

    RFC 5545 says an unknown CLASS must be treated as PRIVATE, so only PUBLIC
    (the default) is shown.
    """
    status = str(event.get("STATUS", "")).upper()
    classification = str(event.get("CLASS", "")).upper()
    return status != "CANCELLED" and classification in _PUBLIC


def _occurrence(uid: str, event: icalendar.Event, zone: tzinfo) -> Occurrence:
    start, end = event.start, event.end
    images = [image.uri for image in event.images if image.uri]
    return Occurrence(
        uid=uid,
        title=str(event.get("SUMMARY", "")),
        description=_description_html(event),
        location=str(event.get("LOCATION", "")),
        url=str(event["URL"]) if event.get("URL") else None,
        image_url=images[0] if images else None,
        categories=tuple(str(c) for c in event.categories),
        starts_at=_aware(start, zone),
        ends_at=_aware(end, zone),
        all_day=not isinstance(start, datetime),
        updated_at=_revised(event),
    )


def _description_html(event: icalendar.Event) -> str:
    """The event's description as an HTML fragment, however the calendar wrote it.

    Outlook and Exchange add an HTML copy of the description in
    ``X-ALT-DESC;FMTTYPE=text/html``, which wins; Google Calendar writes HTML
    straight into DESCRIPTION; most other programs write plain text there, which
    is escaped, with blank lines made paragraphs and line breaks kept.
    """
    for alternative in _all(event.get("X-ALT-DESC")):
        if str(alternative.params.get("FMTTYPE", "")).lower() == "text/html":
            # An X- property is not known to be TEXT, so its escapes are still there.
            html = unescape_backslash(str(alternative)).strip()
            if html:
                return html
    text = str(event.get("DESCRIPTION", "")).strip()
    if _HTML_MARK.search(text):
        return text
    paragraphs = (part.strip() for part in re.split(r"\n\s*\n", text))
    return "".join(
        "<p>" + "<br>".join(escape(line.strip()) for line in part.splitlines()) + "</p>"
        for part in paragraphs
        if part
    )


def _all(value: object) -> list[Any]:
    """A property's values as a list: icalendar gives a list only when it repeats."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _revised(event: icalendar.Event) -> datetime | None:
    """When the organiser last changed the event (LAST-MODIFIED, else CREATED).

    Not DTSTAMP, which icalendar's own ``last_modified`` falls back to: many
    servers stamp it with the time of each download, which would make every
    event look freshly changed at every refresh.
    """
    for name in ("LAST-MODIFIED", "CREATED"):
        value = getattr(event.get(name), "dt", None)
        if isinstance(value, datetime):
            return value
    return None


def _aware(value: date | datetime, zone: tzinfo) -> datetime:
    """A time as the store's shoppers read it.

    Dates (all-day events) and floating times are in the store's zone. UTC times are
    shown in it too: some calendars (Google's exports among them) store every event
    in UTC. Times with a zone of their own (TZID) keep it.
    """
    if not isinstance(value, datetime):
        return datetime.combine(value, time(), zone)
    if value.tzinfo is None:
        return value.replace(tzinfo=zone)
    return value.astimezone(zone) if str(value.tzinfo) == "UTC" else value
