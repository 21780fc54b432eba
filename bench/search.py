"""How long a search costs the server, as the catalog grows.

    .venv/bin/python bench/search.py [--cards 100000,1000000] [--consumers 2000]
                                     [--shoppers 200] [--requests 400]
                                     [--database-url postgresql://...] [--json]

Set-up (not timed): bench/feed_load.py's world on a fresh SQLite file (or the given
throw-away database): its organisations, 200 providers and ``--consumers`` shoppers who
follow interests of one or two tastes (``seed_people``), and its catalog grown to each
size of ``--cards`` in turn (``grow_catalog``), with cards worded as shops word them: a
brand of 300, an adjective, one of the card's interest's names or aliases and a model
number in the title ("Summitforge waterproof Trail running shoes R214"), a sentence
with another in the summary, the brand in the payload. The search index is then filled
as the migration fills it (``app.search.index.index_everything``).

Timed: ``GET /search?q=...`` through Flask's test client in this process, so the
figures are the server's own cost (session, the index's query and the vocabulary's,
the profile, blending with the shopper's tastes, rendering the cards), not the
network's. ``--shoppers`` distinct shoppers sign in through ``/login`` and take turns,
a different one per request, seven requests in ten as htmx's search-as-you-type
fragment and the rest as the whole page. The searches are a mix a shop sees: an
interest's name or alias ("hiking boots"), a brand, a brand with a word, an adjective
with a word, a misspelt name ("hikng boots"), the first letters of a name being typed,
and a few hostile ones (quotes, ``NEAR``, ``*``, SQL, markup). It prints p50 and p99 of
the wall time and of the CPU time of a request, how many results a search found, and
the seconds spent seeding and indexing.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Card  # noqa: E402
from app.search.index import index_everything  # noqa: E402
from bench import database  # noqa: E402
from bench.feed_load import PASSWORD, SEED, World, grow_catalog, seed_people  # noqa: E402
from cards.taxonomy import Taxonomy, default_taxonomy  # noqa: E402

FIRST = ("Summit", "North", "Harbor", "Cloud", "River", "Stone", "Pine", "Ember", "Alder",
         "Cedar", "Copper", "Falcon", "Granite", "Maple", "Orbit", "Prairie", "Quartz",
         "Sierra", "Tundra", "Willow")  # fmt: skip
SECOND = ("peak", "wind", "line", "craft", "works", "field", "forge", "ridge", "wave",
          "house", "lab", "goods", "mill", "supply", "trail")  # fmt: skip
BRANDS = [first + second for first in FIRST for second in SECOND]  # 300
ADJECTIVES = ("lightweight", "waterproof", "classic", "organic", "wireless", "compact",
              "premium", "everyday", "vintage", "insulated", "breathable", "stainless",
              "handmade", "recycled", "cordless", "slim", "rugged", "soft", "portable",
              "quick-dry")  # fmt: skip
HOSTILE = ('"', "shoes NEAR(trail, 2)", "*", "boots OR 1=1; DROP TABLE card; --",
           "<script>alert(1)</script>", "title:tent", "' OR ''='")  # fmt: skip
MIX = (("interest", 35), ("brand", 10), ("brand and word", 15), ("adjective and word", 10),
       ("misspelt", 15), ("typing", 10), ("hostile", 5))  # fmt: skip
HTMX_SHARE = 0.7
CARD_ID = re.compile(r'data-card-id="(\d+)"')
WARM_UP = 20


def names(taxonomy: Taxonomy, slug: str) -> list[str]:
    interest = taxonomy.get(slug)
    return [interest.name, *interest.aliases] if interest is not None else [slug]


def card_words(taxonomy: Taxonomy) -> Any:
    """What ``grow_catalog`` gives each card to be found by."""

    def words(slugs: list[str], rng: random.Random) -> dict[str, Any]:
        brand = rng.choice(BRANDS)
        noun = rng.choice(names(taxonomy, slugs[0]))
        other = rng.choice(names(taxonomy, rng.choice(slugs)))
        model = f"{rng.choice('RSTMVX')}{rng.randint(1, 999)}"
        return {
            "title": f"{brand} {rng.choice(ADJECTIVES)} {noun} {model}",
            "summary": f"A {rng.choice(ADJECTIVES)} pick for {other.lower()}, from {brand}.",
            "payload": {"brand": brand},
        }

    return words


def misspelt(text: str, rng: random.Random) -> str:
    """``text`` with one letter of its longest word dropped, doubled or swapped."""
    words = text.split()
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 5:
        return text
    at = rng.randrange(1, len(word) - 1)
    how = rng.choice(("drop", "double", "swap"))
    if how == "drop":
        word = word[:at] + word[at + 1 :]
    elif how == "double":
        word = word[:at] + word[at] + word[at:]
    else:
        word = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    words[longest] = word
    return " ".join(words)


def searches(taxonomy: Taxonomy, count: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` (kind, search) pairs drawn from :data:`MIX`."""
    phrases = [name.lower() for interest in taxonomy for name in names(taxonomy, interest.slug)]
    kinds = [kind for kind, share in MIX for _ in range(share)]
    drawn = []
    for _ in range(count):
        kind = rng.choice(kinds)
        phrase = rng.choice(phrases)
        word = max(phrase.split(), key=len)
        query = {
            "interest": phrase,
            "brand": rng.choice(BRANDS),
            "brand and word": f"{rng.choice(BRANDS)} {word}",
            "adjective and word": f"{rng.choice(ADJECTIVES)} {word}",
            "misspelt": misspelt(phrase, rng),
            "typing": phrase[: rng.randint(3, max(3, min(8, len(phrase))))],
            "hostile": rng.choice(HOSTILE),
        }[kind]
        drawn.append((kind, query))
    return drawn


def sign_in(app: Flask, user_id: int) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on /login"
    response = client.post(
        "/login",
        data={"email": f"shopper{user_id}@bench.example", "password": PASSWORD,
              "csrf_token": token.group(1)},
    )  # fmt: skip
    assert response.status_code == 303, f"shopper {user_id} could not sign in"
    return client


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(
    clients: list[FlaskClient], queries: list[tuple[str, str]], rng: random.Random
) -> dict[str, Any]:
    wall: list[float] = []
    cpu: list[float] = []
    results: dict[str, list[int]] = {}
    for n, (kind, query) in enumerate(queries):
        client = clients[n % len(clients)]
        headers = {"HX-Request": "true"} if rng.random() < HTMX_SHARE else {}
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = client.get("/search", query_string={"q": query}, headers=headers)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.thread_time() - started_cpu
        if response.status_code != 200:
            raise SystemExit(f"/search?q={query!r} answered {response.status_code}")
        if n < WARM_UP:
            continue
        wall.append(elapsed * 1000)
        cpu.append(elapsed_cpu * 1000)
        found = len(CARD_ID.findall(response.get_data(as_text=True)))
        results.setdefault(kind, []).append(found)
    return {
        "requests": len(wall),
        "p50_ms": round(statistics.median(wall), 1),
        "p99_ms": round(percentile(wall, 0.99), 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
        "cpu_p99_ms": round(percentile(cpu, 0.99), 1),
        "mean_results_on_first_page": {
            kind: round(statistics.mean(found), 1) for kind, found in sorted(results.items())
        },
        "searches_with_no_result": round(
            sum(found == 0 for kinds in results.values() for found in kinds) / len(wall), 3
        ),
    }


def bench(args: argparse.Namespace, database_url: str) -> dict[str, Any]:
    engine = make_engine(database_url)
    upgrade(engine)
    taxonomy = default_taxonomy()
    world = World(taxonomy, random.Random(SEED), datetime.now(UTC))
    world.cards_by_taste = None  # no history here: it would only cost memory
    seed_people(engine, world, args.consumers)
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "search-bench-secret",
                      "TAXONOMY": taxonomy})  # fmt: skip
    rng = random.Random(SEED)
    shoppers = rng.sample(world.shoppers, min(args.shoppers, len(world.shoppers)))
    clients = [sign_in(app, shopper.id) for shopper in shoppers]
    figures: dict[str, Any] = {
        "database": engine.dialect.name, "consumers": args.consumers,
        "shoppers": len(clients), "htmx_share": HTMX_SHARE,
        "mix": dict(MIX), "catalogs": {},
    }  # fmt: skip
    for size in args.cards:
        with Session(engine) as db:
            indexed_up_to = db.execute(select(func.max(Card.id))).scalar() or 0
        started = time.monotonic()
        grow_catalog(engine, world, size, card_words(taxonomy))
        seeded = time.monotonic() - started
        started = time.monotonic()
        with Session(engine) as db:
            index_everything(db, taxonomy, after=indexed_up_to)
        indexed = time.monotonic() - started
        database.vacuumed_as_autovacuum_would(engine)
        queries = searches(taxonomy, args.requests + WARM_UP, rng)
        run = measure(clients, queries, rng)
        figures["catalogs"][str(size)] = run | {
            "seed_seconds": round(seeded, 1), "index_seconds": round(indexed, 3),
        }  # fmt: skip
    app.extensions["plaza.engine"].dispose()
    engine.dispose()
    return figures


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"search on {figures['database']}: {figures['shoppers']} signed-in shoppers taking "
        f"turns, {figures['htmx_share']:.0%} htmx fragments, in-process (Flask test client)"
    ]
    for size, run in figures["catalogs"].items():
        lines.append(
            f"  {int(size):>9,} cards: p50 {run['p50_ms']} ms, p99 {run['p99_ms']} ms "
            f"(CPU p50 {run['cpu_p50_ms']} ms, p99 {run['cpu_p99_ms']} ms) over "
            f"{run['requests']} searches; {run['searches_with_no_result']:.1%} found nothing; "
            f"seeded in {run['seed_seconds']} s, indexed in {run['index_seconds']} s"
        )
        lines.append(f"      cards on the first page by kind: {run['mean_results_on_first_page']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cards", type=lambda text: [int(n) for n in text.split(",")],
                        default=[100_000, 1_000_000], help="catalog sizes, ascending")  # fmt: skip
    parser.add_argument("--consumers", type=int, default=2_000)
    parser.add_argument("--shoppers", type=int, default=200, help="distinct signed-in shoppers")
    parser.add_argument("--requests", type=int, default=400, help="timed searches per size")
    database.add_options(parser)
    args = parser.parse_args()
    sys.exit(database.run(args, lambda url: bench(args, url), report))


if __name__ == "__main__":
    main()
