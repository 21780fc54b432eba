"""The example plugin ``examples/plaza-store-events``, installed the way a third party's would be.

``make test`` installs it (``pip install -e examples/plaza-store-events``); nothing
in Plaza names it, so finding it proves the entry-point path. The kind is tested
once against a stand-in context (what it makes of a calendar) and then end to end:
a real loopback server, Plaza's guarded fetcher, the refresh and ingest code, the
test database and a consumer's feed rendered by the kind's own card template,
which shows the event's description through Plaza's ``rich_text`` filter.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from importlib.metadata import entry_points
from zoneinfo import ZoneInfo

import icalendar
import pytest
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sqlmodel import select
from werkzeug import Request, Response

from app.ingest.refresh import refresh_provider
from app.ingest.sources import LiveContext
from app.models import Card, CardInterest, Provider
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
LOOPBACK = FetchPolicy(allow=("127.0.0.1",), connect_timeout=5.0, read_timeout=5.0, deadline=20.0)

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
    assert clinic.summary == "Sat 21 Jun, 10:00\u201312:00 MDT · Northwind Denver"
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
        # As the calendar wrote it (HTML); the template sanitizes it when it shows it.
        "description": "<p>Bring your <b>old</b> shoes: our fitters check wear and gait.</p>",
    }
    assert run_club.summary == "Tue 24 Jun, 19:00\u201320:00 MDT · Northwind Denver"
    assert run_club.payload["description"] == "<p>On Tuesday this week.</p>"  # plain text
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


def one_event(*lines: str) -> str:
    """A calendar holding one event next Saturday (see NOW) with the given content lines."""
    body = "".join(f"{line}\r\n" for line in lines)
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:clinic@northwind.example\r\nDTSTAMP:20250615T000000Z\r\n"
        "DTSTART:20250621T160000Z\r\nDTEND:20250621T180000Z\r\nSUMMARY:Clinic\r\n"
        f"{body}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def description_of(taxonomy: Taxonomy, *lines: str) -> str | None:
    (draft,) = refresh(taxonomy, one_event(*lines))
    return draft.payload["description"]


def test_outlooks_html_description_wins_over_its_plain_one(test_taxonomy):
    description = description_of(
        test_taxonomy,
        "DESCRIPTION:Bring shoes\\, socks.",
        "X-ALT-DESC;FMTTYPE=text/plain:Plain copy",
        "X-ALT-DESC;FMTTYPE=text/html:<html><body><p>Bring <b>shoes</b>\\, socks\\;"
        "\\nand water.</p></body></html>",
    )

    # iCalendar's escapes are undone; the HTML is otherwise kept as it came.
    assert description == "<html><body><p>Bring <b>shoes</b>, socks;\nand water.</p></body></html>"


def test_a_plain_text_description_becomes_escaped_paragraphs(test_taxonomy):
    description = description_of(
        test_taxonomy, "DESCRIPTION:Tools & Trails <annex>\\nback door\\n\\nFree entry"
    )

    assert description == ("<p>Tools &amp; Trails &lt;annex&gt;<br>back door</p><p>Free entry</p>")
    assert description_of(test_taxonomy) is None  # no description at all


def test_a_long_description_is_cut_to_a_bounded_size(test_taxonomy):
    paragraph = "<p>Our fitters check <b>wear</b> and gait on the treadmill.</p>"
    description = description_of(test_taxonomy, f"DESCRIPTION:{paragraph * 200}")

    assert len(description) <= store_events.kind.DESCRIPTION_MAX
    assert description.startswith(paragraph * 10)
    assert description.endswith("\u2026")


# --- End to end: loopback server -> LiveContext -> refresh -> database -> feed ------------


def calendar_for(start: datetime, category: str, *titles: str, extra: str = "") -> str:
    """A calendar with one two-hour event per title, each starting at ``start`` (aware);
    ``extra`` holds more content lines for every event."""
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
        f"{extra}"
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
    assert f'id="card-{card.id}-title">Camp stove workshop<' in html  # the kind's template
    assert f'<p class="card__meta">{card.summary}</p>' in html
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


# A description written to attack the feed page, with formatting a store really uses.
# Everything hostile says "evil", so no trace of it may reach the page.
HOSTILE_DESCRIPTION = (
    '<p id="card-1" class="card" style="position:fixed;inset:0" onclick="evil()">'
    "Bring your <b>old</b> shoes and <strong>running socks</strong>.</p>"
    '<ul><li hx-get="/evil/get" hx-trigger="load">Gait check</li>'
    '<li hx-post="/evil/post" data-hx-trigger="evil-revealed">Fitting</li></ul>'
    '<p id="why-1"><a href="https://northwind.example/clinic/book" target="_blank">Book a slot</a>'
    ' <a href="javascript:evil()">Win a prize</a> <a href="data:text/html,evil">Claim it</a>'
    ' <a href="/clinic/map">Map</a></p>'
    "<script>evil()</script><style>/* evil */ .card { display: none }</style>"
    '<form action="https://evil.example/" method="post"><input name="evil-card">'
    "<button>evil</button></form>"
    '<iframe src="https://evil.example/frame">evil</iframe>'
    '<img src="data:image/svg+xml,evil" alt="x"><img src="https://cdn.northwind.example/map.png"'
    ' alt="Store map" onerror="evil()">'
)


@dataclass
class Element:
    """An element of a parsed page: enough of a DOM to say what a browser would build."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def walk(self) -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                yield child
                yield from child.walk()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find(self, tag: str, **attrs: str) -> Element:
        (found,) = [
            e
            for e in self.walk()
            if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]
        return found


class PageParser(HTMLParser):
    """Builds an :class:`Element` tree from a page, closing elements the way HTML does."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"})

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.open[-1].children.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if any(e.tag == tag for e in self.open[1:]):
            while self.open.pop().tag != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def test_a_hostile_description_shows_its_formatting_and_nothing_that_acts(
    app, db, world, httpserver
):
    start = datetime.now(UTC) + timedelta(days=4)
    event = (
        "URL:https://northwind.example/events/clinic\r\n"
        f"DESCRIPTION:{icalendar.vText(HOSTILE_DESCRIPTION).to_ical().decode()}\r\n"
    )
    url = serve(
        httpserver, "/events.ics", calendar_for(start, "Running", "Shoe clinic", extra=event)
    )
    provider = world.provider("Northwind events", kind="store_events", config={"url": url})
    assert refresh_live(app, db, provider).ok
    (card,) = stored(db, provider)
    assert card.payload["description"] == HOSTILE_DESCRIPTION  # stored as it came

    world.consumer(follows=("sports",))
    world.login()
    page = PageParser(world.client.get("/").get_data(as_text=True)).root
    article = page.find("article", id=f"card-{card.id}")
    rich = article.find("div", **{"class": "rich-text"})

    # The formatting is there: paragraphs, bold, a list, a safe link, an https image.
    assert [e.tag for e in rich.walk()] == [
        *("p", "b", "strong", "ul", "li", "li", "p", "a", "a", "a", "a", "img", "img"),
    ]
    assert rich.find("b").text() == "old"
    assert [li.text() for li in rich.walk() if li.tag == "li"] == ["Gait check", "Fitting"]
    links = [(a.text(), a.attrs) for a in rich.walk() if a.tag == "a"]
    safe = {"rel": "noopener noreferrer nofollow"}
    assert links == [
        ("Book a slot", {"href": "https://northwind.example/clinic/book", **safe}),
        ("Win a prize", safe),  # javascript: dropped, the text stays
        ("Claim it", safe),  # data: dropped
        ("Map", {"href": "https://northwind.example/clinic/map", **safe}),  # against card.url
    ]
    assert [e.attrs for e in rich.walk() if e.tag == "img"] == [
        {"alt": "x"},
        {"src": "https://cdn.northwind.example/map.png", "alt": "Store map"},
    ]
    # None of the hostile parts: no other attribute at all (no id, class, style, on*,
    # hx-*, data-*), and nothing of the script, style, form or frame, anywhere on the page.
    assert {name for e in rich.walk() for name in e.attrs} == {"href", "rel", "src", "alt"}
    assert "evil" not in rich.text()
    everything = [v for e in page.walk() for v in e.attrs.values()] + [page.text()]
    assert not [value for value in everything if "evil" in value]
    assert not [
        e.tag
        for e in page.walk()
        if e.tag in ("iframe", "style") or (e.tag == "script" and "evil" in e.text())
    ]
    # Plaza's own ids stay unique: the description's id="card-1" and id="why-1" are gone.
    ids = Counter(e.attrs["id"] for e in page.walk() if "id" in e.attrs)
    assert ids.most_common(1)[0][1] == 1
    assert article.attrs["id"] == f"card-{card.id}"
