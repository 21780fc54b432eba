"""How fast Plaza's refresh path ingests product feeds, against bare feedparser.

    .venv/bin/python bench/ingest.py [--providers 200] [--items 50]
                                     [--database-url postgresql://...] [--json]

A loopback HTTP server (stdlib ``ThreadingHTTPServer``, in a process of its own
like a real shop's server) serves one distinct Google Merchant RSS feed per
provider, with ETag and Last-Modified, and answers conditional requests with
304. Every provider is then refreshed through the real path: ``LiveContext`` ->
the guarded fetcher -> the ``product_feed`` kind (feeds.parse and feedparser) ->
``app.ingest.store.store_drafts`` -> commit, into a fresh SQLite database migrated with
``app.migrate.upgrade`` (or the given database, which must be a throw-away one
the benchmark may migrate and write to).

What is timed, one provider after another on this process's main thread, both
in wall-clock time and in that thread's CPU time:

* **new**: the first refresh of every provider: open a session, load the provider,
  fetch over loopback, parse, build drafts, insert the cards and their interests,
  commit.
* **bare feedparser**: ``feedparser.parse`` of the very same bytes from memory, with
  no HTTP, no checks and no database, run right after each provider's first refresh
  so both meet the same machine load. "Plaza / bare feedparser" is new / this.
* **not modified**: every feed unchanged, refreshed again: the fetch gets 304 and
  nothing is parsed or stored.
* **changed**: every feed changed (new prices and titles), refreshed again: the cards
  are updated in place. "304 cheaper" is changed / not modified.

Not timed: generating the feeds, starting the server, migrating the database,
creating the providers, and importing the card kinds (a running worker has them).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.sharedctypes import Synchronized
from typing import Any
from xml.sax.saxutils import escape

import feedparser
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.db import make_engine
from app.ingest.refresh import refresh_provider
from app.ingest.sources import LiveContext
from app.migrate import upgrade
from app.models import Card, Organization, Provider
from cards.registry import all_kinds
from cards.taxonomy import Taxonomy, default_taxonomy
from feeds.fetch import FetchPolicy

POLICY = FetchPolicy(allow=("127.0.0.1",))
TIMED = (
    "one provider after another on one thread, wall clock and that thread's CPU time; "
    "a refresh = session, load the provider, guarded fetch over loopback, parse, product_feed "
    "kind, store_drafts, commit; bare feedparser = feedparser.parse of the same bytes from memory"
)

# (Google product category, product type, product nouns, brand): real taxonomy paths,
# so the kind's interest matching does the work it does on real feeds.
_CATALOG = (
    ("Apparel & Accessories > Shoes", "Footwear > Running > Trail",
     ("Trail Runner", "Speed Racer", "Ridge Shoe", "Mud Grip"), "Trailpeak"),
    ("Apparel & Accessories > Clothing > Outerwear > Coats & Jackets", "Outerwear > Rain jackets",
     ("Rain Shell", "Storm Jacket", "Packable Anorak"), "Northwind"),
    ("Sporting Goods > Outdoor Recreation > Camping & Hiking > Tents", "Camping > Tents",
     ("Backpacking Tent", "Ultralight Shelter", "Dome Tent"), "Trailpeak"),
    ("Home & Garden > Kitchen & Dining > Kitchen Appliances > Coffee Makers & Espresso Machines",
     "Kitchen > Coffee", ("Pour-Over Kettle", "Espresso Machine", "Burr Grinder"), "Harbor"),
    ("Electronics > Audio > Audio Components > Headphones & Headsets", "Audio > Headphones",
     ("Wireless Headphones", "Sport Earbuds", "Studio Monitors"), "Harbor"),
    ("Luggage & Bags > Backpacks", "Bags > Daypacks",
     ("Daypack 22L", "Commuter Pack", "Hydration Pack"), "Northwind"),
)  # fmt: skip
_ADJECTIVES = ("Alpine", "Coastal", "Summit", "Canyon", "Harbor", "Granite", "Cedar", "Aurora")
_COLOURS = ("Black", "Slate", "Forest", "Sand", "Ember", "Glacier")


@dataclass(frozen=True)
class Document:
    """One version of one feed, with the validators the server sends for it."""

    body: bytes
    etag: str
    last_modified: str
    modified_at: float


def merchant_feed(shop: int, items: int, version: int) -> bytes:
    """A Google Merchant Center RSS feed for shop ``shop``, as a real shop exports it.

    Every shop has its own products (ids, titles, links, categories); ``version``
    changes prices and titles the way a catalogue update does, keeping the ids.
    """
    rng = random.Random(shop * 7919 + version)
    host = f"shop{shop}.example"
    entries = "".join(_item(host, shop, n, version, rng) for n in range(items))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n'
        f"<title>Shop {shop} product feed</title>\n<link>https://{host}/</link>\n"
        f"<description>Every product of Shop {shop}, updated nightly.</description>\n"
        f"{entries}</channel>\n</rss>\n"
    ).encode()


def _item(host: str, shop: int, n: int, version: int, rng: random.Random) -> str:
    category, product_type, nouns, brand = _CATALOG[(shop + n) % len(_CATALOG)]
    title = f"{brand} {rng.choice(_ADJECTIVES)} {nouns[n % len(nouns)]} - {rng.choice(_COLOURS)}"
    if version > 1 and n % 3 == 0:
        title += " (new season)"
    slug = f"{title.lower().replace(' ', '-')}-{n}"
    price = rng.randrange(1900, 59900) / 100
    sale = (
        f"<g:sale_price>{price * 0.8:.2f} USD</g:sale_price>\n"
        "<g:sale_price_effective_date>2025-01-01T00:00-0800/2099-12-31T23:59-0800"
        "</g:sale_price_effective_date>\n"
        if n % 4 == 0
        else ""
    )
    description = (
        f"The {title} from {brand}: {rng.choice(_ADJECTIVES).lower()} comfort, recycled "
        "materials and a two-year warranty. <b>Free returns</b> within 60 days."
    )
    return (
        "<item>\n"
        f"<g:id>S{shop}-{n:05d}</g:id>\n<title>{escape(title)}</title>\n"
        f"<description>{escape(description)}</description>\n"
        f"<link>https://{host}/products/{slug}?variant={n}</link>\n"
        f"<g:image_link>https://cdn.{host}/images/{slug}.jpg</g:image_link>\n"
        f"<g:additional_image_link>https://cdn.{host}/images/{slug}-2.jpg"
        "</g:additional_image_link>\n"
        f"<g:availability>{'in_stock' if n % 7 else 'out_of_stock'}</g:availability>\n"
        f"<g:price>{price:.2f} USD</g:price>\n{sale}"
        f"<g:brand>{brand}</g:brand>\n<g:condition>new</g:condition>\n"
        f"<g:gtin>{4006381333931 + shop * 1000 + n}</g:gtin>\n"
        f"<g:mpn>{brand[:3].upper()}-{n}</g:mpn>\n"
        f"<g:google_product_category>{escape(category)}</g:google_product_category>\n"
        f"<g:product_type>{escape(product_type)}</g:product_type>\n"
        "<g:shipping><g:country>US</g:country><g:service>Standard</g:service>"
        "<g:price>5.95 USD</g:price></g:shipping>\n"
        "</item>\n"
    )


BASE_TIME = 1_750_000_000  # when version 1 of every feed was last modified (June 2025)
_COUNTED = (HTTPStatus.OK, HTTPStatus.NOT_MODIFIED, HTTPStatus.NOT_FOUND)


def document(body: bytes, version: int) -> Document:
    modified_at = BASE_TIME + version * 3600
    return Document(
        body=body,
        etag=f'"{hashlib.sha256(body).hexdigest()[:20]}"',
        last_modified=formatdate(modified_at, usegmt=True),
        modified_at=modified_at,
    )


class FeedServer(ThreadingHTTPServer):
    """Serves ``/feeds/<shop>.xml`` with HTTP validators, like a well-behaved shop.

    Both versions of every feed are made before it listens, so a request costs only
    the sending. ``version`` (shared with the benchmark) picks the one served;
    ``counts`` (shared too) counts answers by status, in the order of ``_COUNTED``.
    """

    daemon_threads = True

    def __init__(self, providers: int, items: int, version: Synchronized, counts: Any) -> None:
        super().__init__(("127.0.0.1", 0), _FeedHandler)
        self.version = version
        self.counts = counts
        self.documents = {
            (f"/feeds/{shop}.xml", v): document(merchant_feed(shop, items, v), v)
            for shop in range(providers)
            for v in (1, 2)
        }


class _FeedHandler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        doc = self.server.documents.get((self.path, self.server.version.value))
        if doc is None:
            self._send(HTTPStatus.NOT_FOUND, b"", {})
            return
        headers = {"ETag": doc.etag, "Last-Modified": doc.last_modified}
        if self._not_modified(doc):
            self._send(HTTPStatus.NOT_MODIFIED, b"", headers)
            return
        headers["Content-Type"] = "application/rss+xml; charset=utf-8"
        self._send(HTTPStatus.OK, doc.body, headers)

    def _not_modified(self, doc: Document) -> bool:
        """RFC 9110: If-None-Match decides when present; If-Modified-Since only otherwise."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return doc.etag in (tag.strip() for tag in if_none_match.split(","))
        since = self.headers.get("If-Modified-Since")
        try:
            return since is not None and parsedate_to_datetime(since).timestamp() >= int(
                doc.modified_at
            )
        except (TypeError, ValueError):
            return False

    def _send(self, status: HTTPStatus, body: bytes, headers: dict[str, str]) -> None:
        with self.server.counts.get_lock():
            self.server.counts[_COUNTED.index(status)] += 1
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != HTTPStatus.NOT_MODIFIED:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: one line per request would swamp the figures."""


def _serve(providers: int, items: int, version: Synchronized, counts: Any, ready: Any) -> None:
    """The server process: make the feeds, say which port, serve until terminated."""
    server = FeedServer(providers, items, version, counts)
    ready.put(server.server_address[1])
    server.serve_forever()


@dataclass
class Shops:
    """The benchmark's handle on the server process."""

    port: int
    version: Synchronized
    counts: Any

    def url(self, shop: int) -> str:
        return f"http://127.0.0.1:{self.port}/feeds/{shop}.xml"

    def publish(self, version: int) -> None:
        """Serve ``version`` of every feed from now on."""
        self.version.value = version

    def take_statuses(self) -> dict[str, int]:
        """How many answers of each status since the last call."""
        with self.counts.get_lock():
            taken = {str(int(s)): n for s, n in zip(_COUNTED, self.counts, strict=True) if n}
            self.counts[:] = [0] * len(_COUNTED)
        return taken


@contextmanager
def serving(providers: int, items: int) -> Iterator[Shops]:
    """Run the shops' server in a process of its own, as a remote server would be: its
    work must neither count as Plaza's time nor compete for Plaza's interpreter lock."""
    context = multiprocessing.get_context("spawn")
    version, counts, ready = (
        context.Value("i", 1),
        context.Array("i", len(_COUNTED)),
        context.Queue(),
    )
    process = context.Process(
        target=_serve, args=(providers, items, version, counts, ready), daemon=True
    )
    process.start()
    try:
        yield Shops(ready.get(timeout=120), version, counts)
    finally:
        process.terminate()
        process.join()


def create_providers(engine: Engine, shops: Shops, count: int, items: int) -> list[int]:
    """A fresh organisation (so a database may be reused across runs) and its providers."""
    with Session(engine) as db:
        org = Organization(slug=f"bench-{uuid.uuid4().hex[:12]}", name="Benchmark shops")
        db.add(org)
        db.flush()
        assert org.id is not None
        providers = [
            Provider(
                organization_id=org.id,
                kind="product_feed",
                name=f"Shop {shop}",
                config={"url": shops.url(shop), "max_items": items},
            )
            for shop in range(count)
        ]
        db.add_all(providers)
        db.commit()
        return [p.id for p in providers if p.id is not None]


def refresh_one(engine: Engine, provider_id: int, taxonomy: Taxonomy) -> None:
    """Refresh one provider the way the worker does. Fails loudly on an error, since
    figures for a path that did not run would be meaningless."""
    with Session(engine, expire_on_commit=False) as db:
        provider = db.get(Provider, provider_id)
        assert provider is not None
        now = datetime.now(UTC)
        context = LiveContext(provider=provider, now=now, taxonomy=taxonomy, policy=POLICY)
        outcome = refresh_provider(db, provider, context, now)
    if not outcome.ok:
        raise RuntimeError(f"provider {provider_id} failed: {outcome.error}")


@dataclass
class Clock:
    """Time spent inside :meth:`timing` blocks: wall clock, and CPU time of this thread.

    The CPU figure leaves out waiting (for the server, for other processes on a busy
    machine) and the server process's own work, so it is the steadier of the two
    when the machine is shared; with PostgreSQL it also leaves out the database
    server's work, which the wall clock includes.
    """

    wall: float = 0.0
    cpu: float = 0.0

    @contextmanager
    def timing(self) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            yield
        finally:
            self.wall += time.perf_counter() - wall
            self.cpu += time.thread_time() - cpu


def refresh_all(engine: Engine, provider_ids: Sequence[int], taxonomy: Taxonomy) -> Clock:
    """Refresh every provider once."""
    clock = Clock()
    for provider_id in provider_ids:
        with clock.timing():
            refresh_one(engine, provider_id, taxonomy)
    return clock


def refresh_and_parse(
    engine: Engine, provider_ids: Sequence[int], bodies: Sequence[bytes], taxonomy: Taxonomy
) -> tuple[Clock, Clock, int]:
    """Each provider's first refresh, each followed by bare feedparser on the bytes it just
    ingested: (Plaza's clock, feedparser's clock, entries feedparser found).

    Interleaving puts both under the same machine load, so the ratio stays honest on a
    busy machine.
    """
    plaza, bare = Clock(), Clock()
    entries = 0
    for provider_id, body in zip(provider_ids, bodies, strict=True):
        with plaza.timing():
            refresh_one(engine, provider_id, taxonomy)
        with bare.timing():
            entries += len(feedparser.parse(io.BytesIO(body)).entries)
    return plaza, bare, entries


def stored_cards(engine: Engine, provider_ids: Sequence[int]) -> int:
    with Session(engine) as db:
        return db.exec(select(func.count()).where(col(Card.provider_id).in_(provider_ids))).one()


def times(clock: Clock, items: int) -> dict[str, Any]:
    return {
        "seconds": round(clock.wall, 4),
        "cpu_seconds": round(clock.cpu, 4),
        "items_per_second": round(items / clock.wall, 1) if items else None,
    }


def phase(shops: Shops, clock: Clock, refreshes: int, items: int) -> dict[str, Any]:
    """Describe one refresh phase, with how the server answered during it."""
    return {
        **times(clock, items),
        "per_refresh_ms": round(clock.wall / refreshes * 1000, 3),
        "http_statuses": shops.take_statuses(),
    }


def ratio(slow: Clock, fast: Clock) -> dict[str, float]:
    return {"wall": round(slow.wall / fast.wall, 2), "cpu": round(slow.cpu / fast.cpu, 2)}


def benchmark(providers: int, items: int, database_url: str) -> dict[str, Any]:
    """Every figure of one run, as a JSON-ready dict."""
    engine = make_engine(database_url)
    upgrade(engine)
    taxonomy = default_taxonomy()
    all_kinds()  # import every kind now, as a running worker already has
    bodies = [merchant_feed(shop, items, 1) for shop in range(providers)]
    total = providers * items
    try:
        with serving(providers, items) as shops:
            ids = create_providers(engine, shops, providers, items)
            plaza, bare, entries = refresh_and_parse(engine, ids, bodies, taxonomy)
            new = phase(shops, plaza, providers, total)
            stored = stored_cards(engine, ids)
            unchanged = refresh_all(engine, ids, taxonomy)
            not_modified = phase(shops, unchanged, providers, 0)
            shops.publish(version=2)
            updated = refresh_all(engine, ids, taxonomy)
            changed = phase(shops, updated, providers, total)
    finally:
        engine.dispose()
    return {
        "providers": providers,
        "items_per_provider": items,
        "items": total,
        "database": engine.url.get_backend_name(),
        "timed": TIMED,
        "refresh_new": new,
        "refresh_changed": changed,
        "refresh_not_modified": not_modified,
        "bare_feedparser": {**times(bare, entries), "entries": entries},
        "stored_cards": stored,
        "plaza_over_feedparser": ratio(plaza, bare),
        "not_modified_speedup": ratio(updated, unchanged),
    }


def report(figures: dict[str, Any]) -> str:
    """The figures for a person reading a terminal."""
    rows = [
        ("refresh, new feeds", figures["refresh_new"]),
        ("refresh, changed feeds", figures["refresh_changed"]),
        ("refresh, 304 unchanged", figures["refresh_not_modified"]),
        ("bare feedparser.parse", figures["bare_feedparser"]),
    ]
    overhead, speedup = figures["plaza_over_feedparser"], figures["not_modified_speedup"]
    lines = [
        f"Plaza ingest benchmark: {figures['providers']} providers x "
        f"{figures['items_per_provider']} items = {figures['items']} items "
        f"({figures['database']})",
        f"timed: {figures['timed']}",
        f"  {'':<24}{'wall s':>9}{'CPU s':>9}{'items/s':>10}{'ms/refresh':>12}",
    ]
    for name, row in rows:
        rate = f"{row['items_per_second']:10.0f}" if row["items_per_second"] else " " * 10
        per = f"{row['per_refresh_ms']:12.2f}" if "per_refresh_ms" in row else ""
        lines.append(f"  {name:<24}{row['seconds']:9.3f}{row['cpu_seconds']:9.3f}{rate}{per}")
    lines += [
        f"cards stored: {figures['stored_cards']} of {figures['items']}",
        f"Plaza refresh / bare feedparser: {overhead['wall']:.2f}x wall clock, "
        f"{overhead['cpu']:.2f}x CPU (aim: at most 1.5x)",
        f"a 304 refresh is {speedup['wall']:.1f}x cheaper than a changed feed's in wall clock, "
        f"{speedup['cpu']:.1f}x in CPU (aim: at least 20x)",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--providers", type=int, default=200, help="feeds to refresh (200)")
    parser.add_argument("--items", type=int, default=50, help="products per feed (50)")
    parser.add_argument(
        "--database-url", help="a throw-away database to use instead of a fresh SQLite file"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.providers < 1 or args.items < 1:
        parser.error("--providers and --items must be at least 1")
    with tempfile.TemporaryDirectory(prefix="plaza-bench-") as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.sqlite3"
        figures = benchmark(args.providers, args.items, url)
    print(json.dumps(figures) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
