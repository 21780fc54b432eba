"""The example plugin ``examples/plaza-store-events``, installed the way a third party's would be.

``make test`` installs it (``pip install -e examples/plaza-store-events``); nothing
in Plaza names it, so finding it proves the entry-point path. The kind is tested
once against a stand-in context (what it makes of a calendar) and then end to end:
a real loopback server, Plaza's guarded fetcher, the refresh and ingest code, the
test database and a consumer's feed rendered by the default card template.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import entry_points
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sqlmodel import select
from werkzeug import Request, Response

from app.contexts import LiveContext
from app.models import Card, CardInterest, Provider
from app.refresh import refresh_provider
from cards.errors import SourceError
from cards.registry import all_kinds
from cards.spec import Fetched
from cards.taxonomy import Taxonomy
from feeds.fetch import FetchPolicy

store_events = pytest.importorskip(
    "plaza_store_events", reason="run `make test`, which installs examples/plaza-store-events"
)
StoreEventsConfig = store_events.StoreEventsConfig
StoreEventsKind = store_events.StoreEventsKind

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)  # a Sunday; 06:00 in Denver
BASE = "https://northwind.example/calendar/events.ics"
LOOPBACK = FetchPolicy(allow=("127.0.0.1",), connect_timeout=1.0, read_timeout=1.0, deadline=3.0)

# Folded lines, escaped commas, a moved and an excluded instance, HTML in a
# description: what calendar programs really write.
CALENDAR = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Northwind Outfitters//Store events//EN
X-WR-CALNAME:Northwind Denver events
X-WR-TIMEZONE:America/Denver
BEGIN:VEVENT
UID:clinic-2025-06@northwind.example
DTSTAMP:20250615T115900Z
LAST-MODIFIED:20250610T080000Z
DTSTART;TZID=America/Denver:20250621T100000
DTEND;TZID=America/Denver:20250621T120000
SUMMARY:Trail shoe clinic
DESCRIPTION:<p>Bring your <b>old</b> shoes: our fitters check wear and gait
 .</p>
CATEGORIES:Running,Workshops
LOCATION:Northwind Denver\\, 1550 Wynkoop St\\, Denver CO 80202
URL:/events/trail-shoe-clinic
IMAGE;VALUE=URI;DISPLAY=BADGE:https://cdn.northwind.example/events/clinic.jpg
END:VEVENT
BEGIN:VEVENT
UID:run-club@northwind.example
DTSTAMP:20250615T115900Z
DTSTART;TZID=America/Denver:20250602T180000
DURATION:PT1H
RRULE:FREQ=WEEKLY;BYDAY=MO
EXDATE;TZID=America/Denver:20250616T180000
SUMMARY:Monday run club
CATEGORIES:Running
LOCATION:Northwind Denver
END:VEVENT
BEGIN:VEVENT
UID:run-club@northwind.example
RECURRENCE-ID;TZID=America/Denver:20250623T180000
DTSTAMP:20250615T115900Z
DTSTART;TZID=America/Denver:20250624T190000
DURATION:PT1H
SUMMARY:Monday run club
DESCRIPTION:On Tuesday this week.
LOCATION:Northwind Denver
END:VEVENT
BEGIN:VEVENT
UID:summer-sale@northwind.example
DTSTAMP:20250615T115900Z
DTSTART;VALUE=DATE:20250628
DTEND;VALUE=DATE:20250630
SUMMARY:Summer camping weekend
CATEGORIES:Camping
END:VEVENT
BEGIN:VEVENT
UID:repair@northwind.example
DTSTAMP:20250615T115900Z
DTSTART;TZID=America/Denver:20250614T100000
DTEND;TZID=America/Denver:20250616T160000
SUMMARY:Pop-up gear repair
LOCATION:Tools & Trails <annex>
END:VEVENT
BEGIN:VEVENT
UID:bike-check@northwind.example
DTSTAMP:20250615T115900Z
DTSTART:20250622T160000Z
DTEND:20250622T170000Z
SUMMARY:Kids' bike check
END:VEVENT
BEGIN:VEVENT
UID:launch@northwind.example
DTSTAMP:20250615T115900Z
DTSTART:20250620T160000Z
STATUS:CANCELLED
SUMMARY:Cancelled launch
END:VEVENT
BEGIN:VEVENT
UID:stocktake@northwind.example
DTSTAMP:20250615T115900Z
DTSTART:20250622T140000Z
CLASS:PRIVATE
SUMMARY:Stocktake (staff only)
END:VEVENT
BEGIN:VEVENT
DTSTAMP:20250615T115900Z
DTSTART:20250623T160000Z
SUMMARY:No UID
END:VEVENT
BEGIN:VEVENT
UID:broken@northwind.example
DTSTAMP:20250615T115900Z
DTSTART:next tuesday
SUMMARY:Broken start
END:VEVENT
BEGIN:VEVENT
UID:past@northwind.example
DTSTAMP:20250615T115900Z
DTSTART:20250601T160000Z
DTEND:20250601T170000Z
SUMMARY:Already over
END:VEVENT
BEGIN:VEVENT
UID:autumn@northwind.example
DTSTAMP:20250615T115900Z
DTSTART:20250901T160000Z
SUMMARY:Too far ahead
END:VEVENT
END:VCALENDAR
""".replace("\n", "\r\n")


@dataclass
class StubContext:
    """A RefreshContext that answers every fetch with one prepared response."""

    now: datetime
    taxonomy: Taxonomy
    response: Fetched
    fetched: list[str] = field(default_factory=list)
    source_unchanged: bool = False
    fresh_until: datetime | None = None

    def fetch(self, url: str) -> Fetched:
        self.fetched.append(url)
        return self.response

    def google_http(self) -> None:
        raise AssertionError("store events never use Google's APIs")

    def secret(self, name: str) -> None:
        return None

    def setting(self, name: str) -> None:
        return None


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection the kind tried to open itself would fail the test."""

    def refuse(*_args: object) -> None:
        raise AssertionError("the kind opened a socket instead of using context.fetch")

    monkeypatch.setattr(socket.socket, "connect", refuse)


def refresh(taxonomy: Taxonomy, body: str | bytes, **config: object) -> list:
    context = StubContext(NOW, taxonomy, Fetched(_bytes(body), BASE, {}))
    settings = StoreEventsConfig(**{"url": BASE, **config})
    drafts = list(StoreEventsKind().refresh(settings, context))
    assert context.fetched == [BASE]
    return drafts


def _bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body


def test_the_kind_is_found_through_its_entry_point():
    (entry,) = [e for e in entry_points(group="plaza.card_kinds") if e.name == "store_events"]
    assert entry.dist is not None and entry.dist.name == "plaza-store-events"
    assert isinstance(all_kinds()["store_events"], StoreEventsKind)


def test_each_series_gives_its_next_public_occurrence(test_taxonomy, no_sockets):
    drafts = refresh(test_taxonomy, CALENDAR)

    assert [d.external_id for d in drafts] == [
        "repair@northwind.example",  # ongoing: it ends tomorrow
        "clinic-2025-06@northwind.example",
        "bike-check@northwind.example",
        "run-club@northwind.example",  # once, at its next (moved) session
        "summer-sale@northwind.example",
    ]
    repair, clinic, bike_check, run_club, sale = drafts
    assert clinic.title == "Trail shoe clinic"
    assert clinic.summary == (
        "Sat 21 Jun, 10:00\u201312:00 MDT · Northwind Denver · "
        "Bring your old shoes: our fitters check wear and gait."
    )
    assert clinic.url == "https://northwind.example/events/trail-shoe-clinic"
    assert clinic.image_url == "https://cdn.northwind.example/events/clinic.jpg"
    assert clinic.interests == ["sports/running"]
    assert clinic.published_at == datetime(2025, 6, 10, 8, 0, tzinfo=UTC)  # not DTSTAMP
    assert clinic.ends_at == datetime(2025, 6, 21, 18, 0, tzinfo=UTC)  # the card expires then
    assert clinic.starts_at == datetime(2025, 5, 22, 16, 0, tzinfo=UTC)  # shown 30 days ahead
    assert clinic.payload == {
        "venue": "Northwind Denver",
        "address": "1550 Wynkoop St, Denver CO 80202",
        "starts_at": "2025-06-21T10:00:00-06:00",
        "ends_at": "2025-06-21T12:00:00-06:00",
        "all_day": False,
        "timezone": "America/Denver",
    }
    assert (
        run_club.summary
        == "Tue 24 Jun, 19:00\u201320:00 MDT · Northwind Denver · On Tuesday this week."
    )
    assert run_club.published_at is None  # no LAST-MODIFIED: Plaza uses when it first saw it
    assert (
        repair.summary == "Sat 14 Jun, 10:00 \u2013 Mon 16 Jun, 16:00 MDT · Tools & Trails <annex>"
    )
    assert repair.payload["venue"] == "Tools & Trails <annex>"  # plain text, not HTML
    # Times in UTC are shown in the calendar's zone (X-WR-TIMEZONE), as are all-day dates.
    assert bike_check.summary == "Sun 22 Jun, 10:00\u201311:00 MDT"
    assert sale.summary == "Sat 28 Jun \u2013 Sun 29 Jun"
    assert sale.interests == ["sports/camping"]
    assert (sale.payload["starts_at"], sale.payload["all_day"]) == (
        "2025-06-28T00:00:00-06:00",
        True,
    )
    assert sale.ends_at == datetime(2025, 6, 30, 6, 0, tzinfo=UTC)


def test_announcing_fewer_days_ahead_and_fewer_events(test_taxonomy):
    assert [d.title for d in refresh(test_taxonomy, CALENDAR, days_ahead=7)] == [
        "Pop-up gear repair",
        "Trail shoe clinic",
    ]
    assert [d.title for d in refresh(test_taxonomy, CALENDAR, max_items=1)] == [
        "Pop-up gear repair"
    ]


def test_the_zone_the_retailer_chose_wins_over_the_calendars(test_taxonomy):
    drafts = {d.external_id: d for d in refresh(test_taxonomy, CALENDAR, timezone="Europe/Paris")}

    assert drafts["bike-check@northwind.example"].summary == "Sun 22 Jun, 18:00\u201319:00 CEST"
    # An event with a zone of its own (TZID) keeps it.
    assert drafts["clinic-2025-06@northwind.example"].summary.startswith(
        "Sat 21 Jun, 10:00\u201312:00 MDT"
    )


def test_a_calendar_that_has_not_changed_yields_nothing(test_taxonomy, no_sockets):
    context = StubContext(NOW, test_taxonomy, Fetched(b"", BASE, {}, not_modified=True))
    config = StoreEventsConfig(url=BASE)

    assert list(StoreEventsKind().refresh(config, context)) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<!doctype html><title>Events</title>", "returned a web page, not a calendar"),
        ('{"version": "https://jsonfeed.org/version/1.1"}', "did not return an iCalendar"),
        ("", "did not return an iCalendar"),
        ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\n", "did not return an iCalendar"),
        ("BEGIN:VCARD\r\nFN:Northwind\r\nEND:VCARD\r\n", "an iCalendar VCARD, not a calendar"),
    ],
)
def test_documents_that_are_not_calendars_are_explained(test_taxonomy, body, message):
    with pytest.raises(SourceError, match=message):
        refresh(test_taxonomy, body)


def test_config_reads_webcal_addresses_and_checks_the_time_zone():
    config = StoreEventsConfig(url=" webcal://northwind.example/events.ics ")
    assert config.url == "https://northwind.example/events.ics"
    assert (config.days_ahead, config.timezone, config.max_items) == (30, None, 50)
    assert StoreEventsConfig(url=BASE, timezone=" ").timezone is None
    assert StoreEventsConfig(url=BASE, timezone="Europe/Paris").timezone == "Europe/Paris"
    with pytest.raises(ValidationError, match="starting with https://"):
        StoreEventsConfig(url="javascript:alert(1)")
    with pytest.raises(ValidationError, match="time zone name"):
        StoreEventsConfig(url=BASE, timezone="Mountain Time")
    schema = StoreEventsConfig.model_json_schema()
    assert all(prop.get("description") for prop in schema["properties"].values())


# --- End to end: loopback server -> LiveContext -> refresh -> database -> feed ------------


def calendar_for(start: datetime, category: str, *titles: str) -> str:
    """A calendar with one two-hour event per title, each starting at ``start`` (aware)."""
    local = start.astimezone(ZoneInfo("America/Denver"))
    end = local + timedelta(hours=2)
    events = "".join(
        "BEGIN:VEVENT\r\n"
        f"UID:{title.lower().replace(' ', '-')}@northwind.example\r\n"
        "DTSTAMP:20250101T000000Z\r\n"
        f"DTSTART;TZID=America/Denver:{local:%Y%m%dT%H%M%S}\r\n"
        f"DTEND;TZID=America/Denver:{end:%Y%m%dT%H%M%S}\r\n"
        f"SUMMARY:{title}\r\nCATEGORIES:{category}\r\n"
        "LOCATION:Northwind Denver\\, 1550 Wynkoop St\r\n"
        "END:VEVENT\r\n"
        for title in titles
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\n{events}END:VCALENDAR\r\n"


def serve(httpserver: HTTPServer, path: str, body: str) -> str:
    """Serve ``body`` at ``path`` with an ETag, answering 304 when the client has it."""
    etag = f'"{hash(body) & 0xFFFFFFFF:x}"'

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body, content_type="text/calendar; charset=utf-8", headers={"ETag": etag})

    httpserver.expect_request(path).respond_with_handler(handler)
    return httpserver.url_for(path)


def refresh_live(app, db, provider: Provider):
    now = datetime.now(UTC)
    context = LiveContext(
        provider=provider, now=now, taxonomy=app.extensions["plaza.taxonomy"], policy=LOOPBACK
    )
    return refresh_provider(db, provider, context, now)


def stored(db, provider: Provider) -> list[Card]:
    db.expire_all()
    return list(db.exec(select(Card).where(Card.provider_id == provider.id)).all())


def test_a_refreshed_calendar_shows_on_the_consumers_feed(app, db, world, httpserver):
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    url = serve(httpserver, "/events.ics", calendar_for(start, "Camping", "Camp stove workshop"))
    provider = world.provider("Northwind events", kind="store_events", config={"url": url})

    outcome = refresh_live(app, db, provider)

    assert outcome.ok, outcome.error
    assert outcome.counts.new == 1
    (card,) = stored(db, provider)
    assert card.kind == "store_events"
    assert card.ends_at == start + timedelta(hours=2)
    assert card.payload["venue"] == "Northwind Denver"
    slugs = db.exec(select(CardInterest.slug).where(CardInterest.card_id == card.id)).all()
    assert list(slugs) == ["sports/camping"]

    world.consumer(follows=("sports",))
    world.login()
    html = world.client.get("/").get_data(as_text=True)
    assert f'data-card-id="{card.id}"' in html
    assert 'class="card card--store_events"' in html
    assert f'id="card-{card.id}-title">Camp stove workshop<' in html  # cards/_default.html
    assert f'<p class="card__summary">{card.summary}</p>' in html
    assert card.summary.startswith(f"{start.astimezone(ZoneInfo('America/Denver')):%a}")

    # The next refresh sends the ETag back, gets 304 and changes nothing.
    assert refresh_live(app, db, provider).ok
    assert httpserver.log[-1][0].headers["If-None-Match"] == provider.etag
    assert httpserver.log[-1][1].status_code == 304
    assert [(c.id, c.updated_at) for c in stored(db, provider)] == [(card.id, card.updated_at)]


def test_an_event_deleted_from_the_calendar_leaves_the_feed(app, db, world, httpserver):
    start = datetime.now(UTC) + timedelta(days=5)
    kept, deleted = "Stove repair clinic", "Lantern workshop"
    url = serve(httpserver, "/events.ics", calendar_for(start, "Camping", kept, deleted))
    provider = world.provider("Northwind events", kind="store_events", config={"url": url})
    assert refresh_live(app, db, provider).counts.new == 2

    httpserver.clear_all_handlers()
    serve(httpserver, "/events.ics", calendar_for(start, "Camping", kept))
    outcome = refresh_live(app, db, provider)

    assert (outcome.counts.unchanged, outcome.counts.expired) == (1, 1)
    world.consumer(follows=("sports",))
    world.login()
    html = world.client.get("/").get_data(as_text=True)
    assert kept in html and deleted not in html


def test_a_broken_calendar_is_recorded_on_its_provider_and_nothing_else(app, db, world, httpserver):
    start = datetime.now(UTC) + timedelta(days=2)
    broken_url = serve(httpserver, "/a.ics", calendar_for(start, "Camping", "Knife sharpening"))
    healthy_url = serve(httpserver, "/b.ics", calendar_for(start, "Camping", "Tent pitching"))
    broken = world.provider("A events", kind="store_events", config={"url": broken_url})
    healthy = world.provider("B events", kind="store_events", config={"url": healthy_url})
    assert refresh_live(app, db, broken).ok
    before = [(c.id, c.title, c.updated_at) for c in stored(db, broken)]

    httpserver.clear_all_handlers()
    httpserver.expect_request("/a.ics").respond_with_data(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nthis is not iCalendar", content_type="text/calendar"
    )
    serve(httpserver, "/b.ics", calendar_for(start, "Camping", "Tent pitching"))
    failed = refresh_live(app, db, broken)
    succeeded = refresh_live(app, db, healthy)

    assert not failed.ok
    db.refresh(broken)
    assert broken.last_error == (
        "The address did not return an iCalendar (.ics) file that Plaza can read."
    )
    assert (broken.status, broken.consecutive_errors) == ("backing_off", 1)
    assert [(c.id, c.title, c.updated_at) for c in stored(db, broken)] == before
    assert succeeded.ok and succeeded.counts.new == 1
    db.refresh(healthy)
    assert healthy.last_error is None
    world.consumer(follows=("sports",))
    world.login()
    html = world.client.get("/").get_data(as_text=True)
    assert "Knife sharpening" in html and "Tent pitching" in html
