"""The ``store_events`` kind: one card per upcoming in-store event of a retailer's calendar.

Why iCalendar and not JSON Feed: events are what iCalendar (RFC 5545) is for.
Every calendar and booking tool a shop already uses (Google Calendar, Outlook,
Eventbrite, Shopify booking apps) publishes an .ics address, with time zones,
repeating events and cancellations built in. JSON Feed has no start or end
time at all, so each retailer would need a custom extension and a developer
to produce it.

The kind reaches the calendar only through ``context.fetch`` (Plaza's guarded
fetcher, with its address checks, limits and conditional GET), maps the
events' CATEGORIES onto interests with ``context.taxonomy.match``, and cleans
text and links with Plaza's own :mod:`feeds.normalize`. Its template,
``templates/cards/store_events.html``, shows the description as rich text
through Plaza's ``rich_text`` filter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from html import escape
from itertools import islice
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cards.errors import SourceError
from cards.spec import CardDraft, CardKind, RefreshContext
from feeds.normalize import as_utc, clip_html, plain_text, safe_url
from plaza_store_events.ics import (
    CalendarError,
    Occurrence,
    calendar_zone,
    next_occurrences,
    read_calendar,
)

TITLE_MAX = 150
SUMMARY_MAX = 300
# Characters of description HTML kept in a card's payload: a few paragraphs with
# links, enough for a feed card, while a pasted newsletter cannot bloat the database.
DESCRIPTION_MAX = 3000
_DASH = "\u2013"  # en dash, as in "10:00\u201312:00"


class StoreEventsConfig(BaseModel):
    """Where the store's calendar lives and how early to announce its events."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(
        title="Calendar address",
        description="The iCalendar (.ics) address of your events calendar, the one calendar "
        "apps subscribe to, e.g. https://shop.example/events.ics or webcal://...",
        max_length=2048,
        json_schema_extra={"format": "uri"},
    )
    days_ahead: int = Field(
        default=30,
        ge=1,
        le=365,
        title="Announce days ahead",
        description="Show each event from this many days before it starts until it ends.",
    )
    timezone: str | None = Field(
        default=None,
        title="Store time zone",
        description="Your store's time zone, e.g. America/Denver, for all-day events and "
        "times your calendar gives without one. Leave empty to use the zone your calendar "
        "names, or UTC if it names none.",
    )
    max_items: int = Field(
        default=50, ge=1, le=200, title="Most events", description="How many events to show."
    )

    @field_validator("url")
    @classmethod
    def check_url(cls, value: str) -> str:
        """Accept a complete http(s) address; ``webcal://`` (how calendar apps publish
        subscription links) means https."""
        if value.lower().startswith("webcal://"):
            value = "https://" + value[len("webcal://") :]
        if safe_url(value) != value or urlsplit(value).scheme.lower() not in ("http", "https"):
            raise ValueError("Enter the full address of your calendar, starting with https://.")
        return value

    @field_validator("timezone", mode="before")
    @classmethod
    def check_timezone(cls, value: Any) -> Any:
        """Forms send an empty string for "none"; anything else must be a zone name."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if _zone(value) is None:
            raise ValueError("Enter a time zone name such as America/Denver or Europe/Paris.")
        return value


class StoreEventsKind(CardKind[StoreEventsConfig]):
    """Announce your in-store events (workshops, launches, run clubs, tastings) to shoppers
    who care about them. Give Plaza the .ics address your calendar or booking tool
    publishes; each upcoming event becomes a card with its date, time and place, shown
    from a few weeks before it starts until it ends. A repeating event is one card that
    moves on to the next session. Plaza reads each event's categories to pick the shoppers
    it is for, skips cancelled and private entries, and checks the calendar every hour."""

    name = "store_events"
    label = "Store events"
    description = "Event cards (workshops, launches, meet-ups) from your store's calendar."
    card_label = "Event"
    config_model = StoreEventsConfig
    default_interval = timedelta(hours=1)
    gone_grace = timedelta(0)  # an event deleted from the calendar is off: its card ends now
    # A card runs from the announcement until the event ends (see _draft): the feed finds
    # the running ones whenever they were published, and they age over that run.
    scheduled = True
    # New events reach shoppers' notifications with partners' offers.
    notification_category = "promotions"

    def refresh(self, config: StoreEventsConfig, context: RefreshContext) -> Iterator[CardDraft]:
        fetched = context.fetch(config.url)
        if fetched.not_modified:
            return
        try:
            calendar = read_calendar(fetched.body)
        except CalendarError as error:
            raise SourceError(error.message) from error
        now = as_utc(context.now)
        announce = timedelta(days=config.days_ahead)
        upcoming = sorted(
            next_occurrences(calendar, now, now + announce, _store_zone(config, calendar)),
            key=lambda occurrence: (occurrence.starts_at, occurrence.uid),
        )
        drafts = (_draft(o, announce, fetched.base_url, context) for o in upcoming)
        yield from islice((d for d in drafts if d is not None), config.max_items)


def _zone(name: object) -> ZoneInfo | None:
    try:
        return ZoneInfo(str(name).strip())
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _store_zone(config: StoreEventsConfig, calendar: icalendar.Calendar) -> ZoneInfo:
    """The zone the retailer chose, else the one the calendar names, else UTC."""
    return _zone(config.timezone or calendar_zone(calendar) or "UTC") or ZoneInfo("UTC")


def _draft(
    event: Occurrence, announce: timedelta, base_url: str, context: RefreshContext
) -> CardDraft | None:
    """One event card, or ``None`` for an event without a title.

    The card's ``starts_at`` is when Plaza starts *showing* it (ranking hides cards
    whose ``starts_at`` is in the future), so it is the event's start minus the
    announcement period; the event's own times are in the payload. ``ends_at`` is
    the event's end: the card expires with it.
    """
    title = plain_text(event.title, TITLE_MAX)
    if not title:
        return None
    venue, _, address = (" ".join(part.split()) for part in event.location.partition(","))
    # When and where, for every plain-text place (notifications, the API, Plaza's
    # generic card); the card's own template adds the description as rich text.
    summary = " \u00b7 ".join(escape(part) for part in (_when(event), venue) if part)
    return CardDraft(
        external_id=event.uid,
        title=title,
        url=safe_url(event.url, base_url),
        summary=plain_text(summary, SUMMARY_MAX),
        image_url=safe_url(event.image_url, base_url),
        interests=context.taxonomy.match(event.categories),
        payload=_payload(event, venue, address),
        published_at=min(as_utc(event.updated_at), as_utc(context.now))
        if event.updated_at
        else None,
        starts_at=event.starts_at - announce,
        ends_at=event.ends_at,
    )


def _payload(event: Occurrence, venue: str, address: str) -> dict[str, Any]:
    """What a template needs to show the event in the store's own time, as JSON values.

    ``description`` is the event's HTML as it came (a plain-text one escaped), only cut
    to DESCRIPTION_MAX and never sanitized here: the template shows it through Plaza's
    ``rich_text`` filter, which sanitizes at every render, so a tighter allow-list
    protects stored cards too.
    """
    return {
        "venue": venue or None,
        "address": address or None,
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "all_day": event.all_day,
        "timezone": getattr(event.starts_at.tzinfo, "key", None),
        "description": clip_html(event.description, DESCRIPTION_MAX) or None,
    }


def _when(event: Occurrence) -> str:
    """The date and time in the store's zone, e.g. "Sat 21 Jun, 10:00-12:00 MDT" (en dashes)."""
    start, end = event.starts_at, event.ends_at
    if event.all_day:
        last = end - timedelta(days=1)  # an all-day DTEND is the day after the last
        return _day(start) if last.date() <= start.date() else f"{_day(start)} {_DASH} {_day(last)}"
    zone = start.strftime("%Z")
    if end.date() == start.date():
        return f"{_day(start)}, {start:%H:%M}{_DASH}{end:%H:%M} {zone}".rstrip()
    return f"{_day(start)}, {start:%H:%M} {_DASH} {_day(end)}, {end:%H:%M} {zone}".rstrip()


def _day(moment: datetime) -> str:
    return f"{moment:%a} {moment.day} {moment:%b}"
