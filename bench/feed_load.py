"""How fast the home feed serves many shoppers at once, as the catalog grows.

    .venv/bin/python bench/feed_load.py [--consumers 10000] [--cards 10000,100000,1000000]
                                        [--connections 1,4,16,64] [--duration 10]
                                        [--signed-in 1000] [--database-url postgresql://...]
                                        [--server plaza,waitress:1x8,gunicorn-sync:2,...]
                                        [--rounds 1] [--prepared] [--profile-pages 60]
                                        [--json]

Set-up (not timed): a fresh SQLite database migrated with ``app.migrate.upgrade`` (or
the given throw-away database) holding the shipped taxonomy, 20 organisations with 200
providers (product feeds, YouTube, Pinterest, a few capped promotions and surveys),
``--consumers`` shoppers who each follow 5 to 30 interests of one or two tastes (a
top-level interest), and two weeks of their past events (impressions, one open in eight,
some saves and dismissals, each impression with the viewer's usual open rate) on cards
of their tastes, rolled up into popularity as the worker keeps it. The catalog then
grows to each size of ``--cards`` in turn: cards of a provider's taste with one to three
interests, published over the last 180 days (newer ones more often).

For each catalog size, Plaza is started the way production runs it (``plaza serve
--no-worker``), or by each server of ``--server`` in turn, back to back on the same
database (``--rounds 2`` runs the list twice, to see the noise): ``plaza`` is ``plaza
serve`` as shipped, ``plaza:PxT`` the same with ``--workers P --threads T``, and
``waitress:1xT``, ``gunicorn-sync:P``, ``gunicorn-gthread:PxT`` and ``granian:PxT`` are
those servers started by their own commands on ``app:create_app`` (P processes of T
threads). ``--signed-in`` distinct shoppers sign in through ``/login``, and wrk
(Debian's ``wrk``) drives, at each of ``--connections`` for ``--duration`` seconds:

* **first page**: ``GET /`` as a signed-in shopper, a different one per request;
* **next page**: ``GET /feed?cursor=...`` with ``HX-Request`` (infinite scroll), each
  shopper scrolling their own feed session;
* **trivial route**: ``GET /healthz`` on the same server, for the ratio.

With ``--prepared``, the worker's job that ranks first pages ahead
(``app.ranking.prepared``) runs in this process over the signed-in shoppers (counted as
having visited a moment ago) before each first-page run, so that run's first pages are
served prepared rather than ranked on the request; the figures say how many were, and
the job's CPU per prepared shopper.

It prints pages per second, p50 and p99 (wrk's latency, in ms), errors and non-2xx
answers, the ratio of feed pages to trivial requests per second, the first page's size,
and the server's memory after the runs: each process's resident set (a forked worker
shares pages with its parent, so these overlap) and the proportional set size of all
of them together (shared pages divided among the processes that share them). Then, at
each size, where a first page's time goes: ``--profile-pages`` more first pages of the
signed-in shoppers served in this process, half timed (CPU), half under cProfile, whose
time is shared out among the parts of Plaza and the libraries under it (``PARTS``).
Last, each aim is judged: met, or how many times short of its bound the figure is.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psutil
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, insert, select, text
from sqlmodel import Session, col

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.db import make_engine  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import (  # noqa: E402
    Card,
    CardInterest,
    ConsumerInterest,
    Event,
    EventKind,
    Organization,
    PreparedFeed,
    Provider,
    User,
)
from app.ranking.rollup import roll_up  # noqa: E402
from cards.spec import DeliveryCaps  # noqa: E402
from cards.taxonomy import Taxonomy, default_taxonomy  # noqa: E402

SEED = 20261206
PASSWORD = "feed-load-bench-password"  # made-up shoppers of a throw-away database
SECRET = "feed-load-bench-secret"
USER_AGENT = "plaza-feed-load"
CHUNK = 10_000
PROVIDERS = 200
ORGANISATIONS = 20
# Provider kinds, as shares of the 200: mostly shops, some channels and boards, a few
# capped promotions and surveys (scheduled: they run around now).
KIND_MIX = (("product_feed", 150), ("youtube", 25), ("pinterest", 15), ("promotion", 6),
            ("survey", 4))  # fmt: skip
CATALOG_DAYS = 180
MEAN_AGE_DAYS = 30  # publication ages are exponential: newer cards come more often
HISTORY_DAYS = 14
EVENTS_PER_SHOPPER = (0, 120)
ROUTES = ("first_page", "next_page", "trivial")
REFRESH_CONNECTIONS = 16
TIMED = (
    "wrk over loopback against each server (`plaza` = `plaza serve --no-worker` as "
    "shipped); a different signed-in shopper per request; latency = wrk's, per request"
)
SERVERS = ("plaza", "waitress", "gunicorn-sync", "gunicorn-gthread", "granian")

# wrk: a different shopper's cookie (and path) per request, and the figures as one line
# of JSON when the run ends.
WRK_SCRIPT = """
local targets = {}
for line in io.lines("%(targets)s") do
  local path, cookie = line:match("([^\\t]*)\\t(.*)")
  targets[#targets + 1] = {path, cookie}
end
local extra = %(extra)s
local n = 0
function setup(thread)
  thread:set("offset", math.random(#targets))
end
function request()
  n = n + 1
  local target = targets[(offset + n) %% #targets + 1]
  local headers = {["Cookie"] = target[2], ["User-Agent"] = "%(agent)s"}
  for key, value in pairs(extra) do headers[key] = value end
  return wrk.format("GET", target[1], headers)
end
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %%d, "seconds": %%.3f, "p50_us": %%d, "p99_us": %%d, "max_us": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(99), latency.max, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout))
end
"""


@dataclass
class Shopper:
    id: int
    tastes: list[str]


@dataclass
class World:
    """What was seeded, for growing the catalog and arranging the history."""

    taxonomy: Taxonomy
    rng: random.Random
    now: datetime
    providers: list[tuple[int, str, str]] = field(default_factory=list)  # id, kind, taste
    shoppers: list[Shopper] = field(default_factory=list)
    cards: int = 0
    # The cards of each taste and their providers, kept only until the history is seeded
    # (it is about the first catalog): a million would cost the benchmark's memory.
    cards_by_taste: dict[str, list[tuple[int, int]]] | None = field(default_factory=dict)

    def subtree(self, taste: str) -> list[str]:
        return self.taxonomy.descendants(taste)


def seed_people(engine: Engine, world: World, consumers: int) -> None:
    """Organisations, providers, shoppers and what they follow."""
    rng, tastes = world.rng, world.taxonomy.children(None)
    with Session(engine) as db:
        orgs = [Organization(slug=f"shop-{n}", name=f"Shop {n}") for n in range(ORGANISATIONS)]
        db.add_all(orgs)
        db.flush()
        kinds = [kind for kind, count in KIND_MIX for _ in range(count)]
        for n, kind in enumerate(kinds):
            taste = rng.choice(tastes)
            provider = Provider(
                organization_id=orgs[n % ORGANISATIONS].id or 0,
                kind=kind,
                name=f"{kind} {n}",
                interests=[taste] if kind in ("promotion", "survey") else [],
            )
            db.add(provider)
            db.flush()
            world.providers.append((provider.id or 0, kind, taste))
        db.commit()
        password = PasswordHasher(time_cost=1, memory_cost=1024).hash(PASSWORD)
        first = (db.execute(select(func.max(User.id))).scalar() or 0) + 1
        users, follows = [], []
        for user_id in range(first, first + consumers):
            mine = rng.sample(tastes, rng.choice((1, 1, 2)))
            world.shoppers.append(Shopper(user_id, mine))
            users.append(
                {"id": user_id, "email": f"shopper{user_id}@bench.example",
                 "password_hash": password, "role": "consumer", "active": True,
                 "display_name": "", "onboarded_at": world.now, "created_at": world.now}
            )  # fmt: skip
            pool = [slug for taste in mine for slug in world.subtree(taste)]
            for slug in rng.sample(pool, min(len(pool), rng.randint(5, 30))):
                follows.append({"user_id": user_id, "slug": slug, "state": "follow",
                                "created_at": world.now})  # fmt: skip
        _insert(db, User, users)
        _insert(db, ConsumerInterest, follows)
        db.commit()


def grow_catalog(
    engine: Engine,
    world: World,
    total: int,
    words: Callable[[list[str], random.Random], dict[str, Any]] | None = None,
) -> None:
    """Add cards until the catalog holds ``total``, each about its provider's taste.
    ``words``, given a card's interests, gives it columns of its own (a title, a summary,
    a brand in the payload) instead of "Item 123": what a search finds it by."""
    rng, now = world.rng, world.now
    with Session(engine) as db:
        next_id = (db.execute(select(func.max(Card.id))).scalar() or 0) + 1
        while world.cards < total:
            batch = min(CHUNK, total - world.cards)
            cards, interests = [], []
            for card_id in range(next_id, next_id + batch):
                provider_id, kind, taste = rng.choice(world.providers)
                slugs = rng.sample(world.subtree(taste), rng.randint(1, 3))
                cards.append(_card(card_id, provider_id, kind, now, rng))
                if words is not None:
                    own = words(slugs, rng)
                    cards[-1] |= own | {"payload": cards[-1]["payload"] | own.get("payload", {})}
                interests += [{"card_id": card_id, "slug": slug} for slug in set(slugs)]
                if world.cards_by_taste is not None:
                    world.cards_by_taste.setdefault(taste, []).append((card_id, provider_id))
            _insert(db, Card, cards)
            _insert(db, CardInterest, interests)
            db.commit()
            next_id += batch
            world.cards += batch
        if db.get_bind().dialect.name == "postgresql":  # the ids were given: move the sequence
            db.execute(
                text("SELECT setval(pg_get_serial_sequence('card', 'id'), max(id)) FROM card")
            )
            db.commit()


def _card(card_id: int, provider_id: int, kind: str, now: datetime, rng: random.Random) -> dict:
    age = timedelta(days=min(rng.expovariate(1 / MEAN_AGE_DAYS), CATALOG_DAYS))
    published = now - age
    payload: dict[str, Any] = {"price": f"{rng.uniform(5, 300):.2f}", "currency": "USD"}
    starts = ends = None
    if kind in ("promotion", "survey"):
        starts, ends = now - timedelta(days=rng.randint(1, 20)), now + timedelta(days=20)
        payload = {**payload, "daily_impression_cap": 100_000, "per_consumer_cap": 3}
        DeliveryCaps.model_validate(payload)
        if kind == "survey":
            payload |= {"question_id": f"q{card_id}", "type": "single", "choices": [
                {"id": "c1", "label": "Yes"}, {"id": "c2", "label": "No"}]}  # fmt: skip
    return {
        "id": card_id, "provider_id": provider_id, "kind": kind,
        "external_id": f"item-{card_id}", "title": f"Item {card_id}", "summary": "",
        "url": f"https://shop.example/items/{card_id}",
        "image_url": f"/static/demo/img/p-shoe-{card_id % 97}.svg", "payload": payload,
        "badge": "new", "published_at": published, "starts_at": starts, "ends_at": ends,
        "first_seen_at": published, "updated_at": published, "removed_at": None,
    }  # fmt: skip


def seed_history(engine: Engine, world: World) -> int:
    """Two weeks of each shopper's impressions, opens, saves and dismissals, then the
    popularity rollup the worker would have kept; returns how many events."""
    rng, now = world.rng, world.now
    by_taste = world.cards_by_taste or {}
    world.cards_by_taste = None
    events: list[dict[str, Any]] = []
    total = 0
    with Session(engine) as db:
        for shopper in world.shoppers:
            cards = [c for taste in shopper.tastes for c in by_taste.get(taste, [])]
            rate = rng.uniform(0.05, 0.25)
            for _ in range(rng.randint(*EVENTS_PER_SHOPPER) if cards else 0):
                card_id, provider_id = rng.choice(cards)
                at = now - timedelta(seconds=rng.uniform(0, HISTORY_DAYS * 86400))
                kind = rng.choices(
                    (EventKind.IMPRESSION, EventKind.OPEN, EventKind.SAVE, EventKind.DISMISS),
                    weights=(8, 1, 0.15, 0.1),
                )[0]
                events.append({"user_id": shopper.id, "card_id": card_id,
                               "provider_id": provider_id, "kind": kind,
                               "viewer_rate": rate if kind == EventKind.IMPRESSION else None,
                               "detail": {}, "created_at": at})  # fmt: skip
            if len(events) >= CHUNK:
                total += _flush_events(db, events)
        total += _flush_events(db, events)
        roll_up(db, now)
    return total


def _flush_events(db: Session, events: list[dict[str, Any]]) -> int:
    count = len(events)
    if events:
        _insert(db, Event, events)
        db.commit()
        events.clear()
    return count


def _insert(db: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.execute(insert(model.__table__), rows[start : start + CHUNK])


# --- The server and the load ------------------------------------------------------------


def big_refresh(database_url: str, items: int) -> dict[str, Any]:
    """A shop's refresh of ``items`` items through the ingest store, as the worker runs
    it in its own process: every card the shop has, at a new price, and the rest new
    items published long ago; then housekeeping, which prunes those again. Returns how
    long each took."""
    from app.ingest.retention import MAX_AGE, prune_cards
    from app.ingest.store import store_drafts
    from cards.spec import CardDraft

    engine = make_engine(database_url)
    now = datetime.now(UTC)
    taxonomy = default_taxonomy()
    with Session(engine) as db:
        provider = db.scalars(
            select(Provider).where(col(Provider.kind) == "product_feed").order_by(col(Provider.id))
        ).first()
        assert provider is not None
        owned = db.scalars(
            select(col(Card.external_id)).where(col(Card.provider_id) == provider.id)
        )
        external_ids = list(owned)[:items]
        external_ids += [f"refresh-{n}" for n in range(items - len(external_ids))]
        slugs = taxonomy.descendants(taxonomy.children(None)[0])
        old = now - MAX_AGE - timedelta(days=10)
        drafts = [
            CardDraft(external_id=external_id, title=f"Refreshed {external_id}",
                      url=f"https://shop.example/{external_id}", interests=[slugs[n % len(slugs)]],
                      payload={"price": f"{5 + n % 90}.99", "currency": "USD"},
                      published_at=old if external_id.startswith("refresh-") else None)
            for n, external_id in enumerate(external_ids)
        ]  # fmt: skip
        started = time.monotonic()
        counts = store_drafts(db, provider, drafts, taxonomy, now)
        db.commit()
        stored = time.monotonic()
        pruned = prune_cards(db, now)
        done = time.monotonic()
    engine.dispose()
    return {"items": items, "new": counts.new, "updated": counts.updated,
            "refresh_s": round(stored - started, 1), "pruned": pruned,
            "prune_s": round(done - stored, 1)}  # fmt: skip


def during_refresh(args: argparse.Namespace, database_url: str, server: Server,
                   targets: Path, workdir: Path) -> dict[str, Any]:  # fmt: skip
    """First pages at 16 connections while :func:`big_refresh` runs in another process,
    run after run until it has finished."""
    job = subprocess.Popen(
        [sys.executable, __file__, "--refresh-job", str(args.refresh_items),
         "--database-url", database_url],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    runs = []
    while job.poll() is None:
        runs.append(wrk(server.port, targets, REFRESH_CONNECTIONS, args.duration, workdir, {}))
    out, _ = job.communicate()
    if job.returncode != 0:
        raise RuntimeError(f"the refresh job failed ({job.returncode})")
    requests = sum(run["requests"] for run in runs)
    seconds = sum(run["requests"] / run["pages_per_second"] for run in runs if run["requests"])
    return {
        "connections": REFRESH_CONNECTIONS,
        "job": json.loads(out.strip().splitlines()[-1]),
        "runs": len(runs),
        "pages_per_second": round(requests / seconds, 1) if seconds else 0.0,
        "p50_ms": max((run["p50_ms"] for run in runs), default=0.0),
        "p99_ms": max((run["p99_ms"] for run in runs), default=0.0),
        "max_ms": max((run["max_ms"] for run in runs), default=0.0),
        "failed": sum(run["errors"] + run["non_2xx"] for run in runs),
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServerSpec:
    """One contender of ``--server``: a name, and P processes of T threads."""

    name: str
    processes: int | None = None  # None: the server's own default
    threads: int | None = None

    @property
    def label(self) -> str:
        if self.processes is None and self.threads is None:
            return self.name
        if self.name == "gunicorn-sync":
            return f"{self.name}:{self.processes}"
        return f"{self.name}:{self.processes}x{self.threads}"

    def command(self, port: int) -> list[str]:
        bin_dir = Path(sys.executable).parent
        host, processes, threads = "127.0.0.1", self.processes or 1, self.threads or 1
        if self.name == "plaza":
            sized = [] if self.processes is None else ["--workers", str(processes)]
            sized += [] if self.threads is None else ["--threads", str(threads)]
            return [str(bin_dir / "plaza"), "serve", "--no-worker", "--host", host,
                    "--port", str(port), *sized]  # fmt: skip
        if self.name == "waitress":
            return [str(bin_dir / "waitress-serve"), "--host", host, "--port", str(port),
                    f"--threads={self.threads or 8}", "--ident=Plaza",
                    "--call", "app:create_app"]  # fmt: skip
        if self.name.startswith("gunicorn-"):
            return [str(bin_dir / "gunicorn"), "--bind", f"{host}:{port}",
                    "--workers", str(processes), "--worker-class", self.name.split("-")[1],
                    "--threads", str(threads), "app:create_app()"]  # fmt: skip
        return [str(bin_dir / "granian"), "--interface", "wsgi", "--host", host,
                "--port", str(port), "--workers", str(processes),
                "--blocking-threads", str(threads), "--factory", "app:create_app"]  # fmt: skip


def _server_specs(text: str) -> list[ServerSpec]:
    """``plaza,waitress:1x8,gunicorn-sync:2,gunicorn-gthread:2x4,granian:2x4``."""
    specs = []
    for part in (part.strip() for part in text.split(",") if part.strip()):
        name, _, size = part.partition(":")
        if name not in SERVERS:
            raise argparse.ArgumentTypeError(f"unknown server {name!r}: one of {SERVERS}")
        if name == "waitress" and size and not size.startswith("1x"):
            raise argparse.ArgumentTypeError("waitress runs one process: waitress:1xT")
        match = re.fullmatch(r"(\d+)(?:x(\d+))?", size)
        if size and match is None:
            raise argparse.ArgumentTypeError(f"{part!r}: the size is P or PxT, e.g. 2x4")
        if match is None:
            specs.append(ServerSpec(name))
        else:
            processes, threads = int(match[1]), int(match[2] or 1)
            specs.append(ServerSpec(name, processes, threads))
    return specs


class Server:
    """A server on a free port (``plaza serve --no-worker`` unless told otherwise)."""

    def __init__(self, database_url: str, workdir: Path, spec: ServerSpec | None = None) -> None:
        self.port = free_port()
        self.spec = spec or ServerSpec("plaza")
        # The code of this checkout, whichever one the environment's `plaza` was installed from.
        env = {**os.environ, "PLAZA_DATABASE_URL": database_url, "PLAZA_SECRET_KEY": SECRET,
               "PLAZA_ENV_NAME": "development", "PYTHONPATH": str(ROOT)}  # fmt: skip
        self.log = (workdir / "server.log").open("w")
        # Its own process group, so that stopping it stops every process it started.
        self.process = subprocess.Popen(
            self.spec.command(self.port), env=env, stdout=self.log, stderr=subprocess.STDOUT,
            cwd=workdir, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{self.spec.label} did not start: see {workdir / 'server.log'}")
            time.sleep(0.2)

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", path, headers={"User-Agent": USER_AGENT, **(headers or {})})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def sign_in(self, email: str, password: str = PASSWORD) -> str:
        """A shopper's session cookie, from the login form as a browser gets it."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            connection.request("GET", "/login", headers={"User-Agent": USER_AGENT})
            page = connection.getresponse()
            body = page.read().decode()
            cookie = _cookie(page.getheader("Set-Cookie") or "")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', body)
            if token is None:
                raise RuntimeError("no CSRF token on /login")
            form = urlencode({"email": email, "password": password, "csrf_token": token[1]})
            connection.request("POST", "/login", body=form, headers={
                "User-Agent": USER_AGENT, "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
            answer = connection.getresponse()
            answer.read()
            if answer.status != 303:
                raise RuntimeError(f"signing in {email} answered {answer.status}")
            return _cookie(answer.getheader("Set-Cookie") or "") or cookie
        finally:
            connection.close()

    def settle(self, limit: float = 120.0) -> float:
        """Wait until the server answers its trivial route at once again: a run that
        overloads it leaves requests queued, which the next run must not inherit.
        Returns the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < limit:
            asked = time.monotonic()
            try:
                if self.get("/healthz")[0] == 200 and time.monotonic() - asked < 0.05:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        return round(time.monotonic() - started, 1)

    def memory(self) -> dict[str, Any]:
        """Resident MB of the server's process and each below it; of that, each one's own
        (without the file pages it maps, which the kernel's page cache holds for every
        process: SQLite's memory-mapped database, the libraries' code); and their
        proportional total (shared pages divided among the processes that share them)."""
        root = psutil.Process(self.process.pid)
        rss, private, pss = [], [], 0.0
        for process in [root, *root.children(recursive=True)]:
            try:
                info = process.memory_full_info()
            except psutil.Error:  # gone meanwhile
                continue
            rss.append(round(info.rss / 2**20, 1))
            private.append(round((info.rss - info.shared) / 2**20, 1))
            pss += info.pss / 2**20
        return {"process_rss_mb": rss, "process_private_mb": private, "pss_mb": round(pss, 1)}

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log.close()


def _cookie(header: str) -> str:
    match = re.search(r"(session=[^;]+)", header)
    return match[1] if match else ""


def cursor_for(feed_session: str, as_of: datetime) -> str:
    """A next-page cursor as the feed signs it (app.shopper.feed_views.encode_cursor)."""
    from itsdangerous import URLSafeSerializer

    serializer = URLSafeSerializer(SECRET, salt="plaza.feed-cursor")
    return str(serializer.dumps({"s": feed_session, "t": as_of.timestamp(), "p": 2}))


def wrk(port: int, targets: Path, connections: int, seconds: int, workdir: Path,
        extra: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    script = workdir / "load.lua"
    lua_extra = "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in extra.items()) + "}"
    script.write_text(WRK_SCRIPT % {"targets": targets, "extra": lua_extra, "agent": USER_AGENT})
    threads = max(1, min(connections, 2))
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True, timeout=seconds + 120,
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    raw = json.loads(lines[-1])
    return {
        "pages_per_second": round(raw["requests"] / raw["seconds"], 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
        "max_ms": round(raw["max_us"] / 1000, 1),
        "requests": raw["requests"],
        "errors": raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
        "non_2xx": raw["status"],
    }


def measure(args: argparse.Namespace, database_url: str, shoppers: list[Shopper],
            workdir: Path, spec: ServerSpec, measure_refresh: bool,
            profile: bool) -> dict[str, Any]:  # fmt: skip
    server = Server(database_url, workdir, spec)
    try:
        cookies = [server.sign_in(f"shopper{s.id}@bench.example") for s in shoppers]
        as_of = datetime.now(UTC)
        first, next_, trivial = workdir / "first.tsv", workdir / "next.tsv", workdir / "trivial.tsv"
        first.write_text("".join(f"/\t{c}\n" for c in cookies))
        next_.write_text("".join(
            f"/feed?cursor={cursor_for(f'bench{n:06d}', as_of)}\t{c}\n"
            for n, c in enumerate(cookies)))  # fmt: skip
        trivial.write_text("/healthz\t\n")
        status, _, body = server.get("/", {"Cookie": cookies[0]})
        page = {"status": status, "html_bytes": len(body),
                "cards": body.count(b'data-card-id="')}  # fmt: skip
        if status != 200 or page["cards"] == 0:
            raise RuntimeError(f"the first page answered {status} with {page['cards']} cards")
        figures: dict[str, Any] = {"page": page, "connections": {}}
        for connections in args.connections:
            row = {}
            for route, targets, extra in (
                ("first_page", first, {}),
                ("next_page", next_, {"HX-Request": "true"}),
                ("trivial", trivial, {}),
            ):
                prepared = None
                if route == "first_page" and args.prepared:
                    prepared = prepare_ahead(database_url, [s.id for s in shoppers])
                server.settle()
                row[route] = wrk(server.port, targets, connections, args.duration, workdir, extra)
                if prepared is not None:
                    prepared["served"] = served_prepared(database_url, prepared.pop("since"))
                    row[route]["prepared"] = prepared
            feed_rate = row["first_page"]["pages_per_second"]
            trivial_rate = row["trivial"]["pages_per_second"]
            row["feed_over_trivial"] = round(feed_rate / trivial_rate, 4) if trivial_rate else None
            figures["connections"][str(connections)] = row
        figures["server_memory"] = server.memory()
        if profile and args.profile_pages:
            sample = shoppers[: args.profile_pages + 1]
            if args.prepared:
                prepare_ahead(database_url, [s.id for s in sample])
            figures["profile"] = profile_first_pages(
                database_url, cookies[: len(sample)], args.prepared
            )
        if args.refresh_items and measure_refresh:
            server.settle()
            figures["during_refresh"] = during_refresh(args, database_url, server, first, workdir)
            figures["server_memory_after_refresh"] = server.memory()
        failed = figures.get("during_refresh", {}).get("failed") or any(
            row[route]["non_2xx"] or row[route]["errors"]
            for row in figures["connections"].values()
            for route in ROUTES
        )
        if failed:  # what the server said about the failures, for the report
            log = (workdir / "server.log").read_text(errors="replace")
            figures["server_errors"] = server_errors(log)
        return figures
    finally:
        server.stop()


def server_errors(log: str) -> list[str]:
    """The errors a server logged, each with the line of code that raised it, and the
    outages it answered 503 for (app.db.Outage logs those without a traceback)."""
    found = re.findall(
        r'File "([^"]+)", line (\d+), in (\w+)\n[^\n]*\n(?:[ ^~]*\n)?'
        r"([\w.]*(?:Error|Exception): .*)",
        log,
    )
    outages = re.findall(r"Database unavailable, answering 503 until it is back: .*", log)
    return sorted(
        {f"{error} ({path}:{line} in {function})" for path, line, function, error in found}
        | set(outages)
    )[:10]


def prepare_ahead(database_url: str, shopper_ids: list[int]) -> dict[str, Any]:
    """The worker's job (``app.worker.prepare_first_pages``), run in this process until
    the next first page of each of ``shopper_ids`` is prepared, as if each had opened
    their feed a moment ago; its CPU time per prepared shopper (the catalog snapshot it
    ranks from is built first, untimed)."""
    from app import create_app, worker
    from app.catalog_store import catalog
    from app.ranking.prepared import record_visit

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET})
    worker.build_scheduler(app)
    engine = app.extensions["plaza.engine"]
    since = datetime.now(UTC)
    with app.app_context(), Session(engine) as db:
        for shopper_id in shopper_ids:
            record_visit(db, shopper_id, None, since)
        db.commit()
        catalog().current(db, since)
    runs = -(-len(shopper_ids) // app.config["PREPARED_FEED_BATCH"])
    started, cpu = time.monotonic(), time.thread_time()
    for _ in range(runs):
        worker.prepare_first_pages()
    cpu_s, wall_s = time.thread_time() - cpu, time.monotonic() - started
    unused = col(PreparedFeed.consumed_at).is_(None)
    with Session(engine) as db:
        count = select(func.count()).select_from(PreparedFeed)
        prepared = db.execute(count.where(col(PreparedFeed.prepared_at) >= since)).scalar_one()
        ready = db.execute(count.where(col(PreparedFeed.plan).is_not(None), unused)).scalar_one()
    engine.dispose()
    return {
        "shoppers": prepared,  # prepared by this run (the others' plans were still unused)
        "ready": ready,
        "cpu_ms_per_shopper": round(cpu_s * 1000 / max(prepared, 1), 1),
        "seconds": round(wall_s, 1),
        "since": since,
    }


def served_prepared(database_url: str, since: datetime) -> int:
    """First pages served from a prepared plan since ``since``."""
    engine = make_engine(database_url)
    with Session(engine) as db:
        used = select(func.count()).select_from(PreparedFeed)
        served = db.execute(used.where(col(PreparedFeed.consumed_at) >= since)).scalar_one()
    engine.dispose()
    return int(served)


# Where a first page's time goes: each function's own time, by the part of Plaza (or of
# the libraries under it) that its file belongs to, first match wins.
PARTS = (
    ("ranking", ("/app/ranking/",)),
    ("catalog snapshot", ("/app/catalog_store",)),
    ("feed views and card rendering", ("/app/shopper/", "/cards/")),
    ("templates (Jinja)", ("/templates/", "/jinja2/", "/markupsafe/")),
    ("sign-in and sessions", ("/app/accounts/", "/flask_login/", "/itsdangerous/")),
    ("database (ORM and driver)", ("/sqlalchemy/", "/sqlmodel/", "/psycopg", "sqlite3")),
    ("compression", ("/flask_compress/", "brotli", "gzip", "zlib")),
    ("Flask and Werkzeug", ("/flask/", "/werkzeug/", "/flask_wtf/", "/wtforms/")),
    ("the rest of Plaza", ("/app/",)),
)


def profile_first_pages(database_url: str, cookies: list[str], prepared: bool) -> dict[str, Any]:
    """A sample of first pages served in this process, as the server serves them (same
    database, secret and cookies, a browser's Accept-Encoding), timed without a profiler
    and then again under cProfile, whose figures are shared out among ``PARTS``. With
    ``prepared``, the sample's first pages are prepared ahead first."""
    import cProfile
    import pstats

    from app import create_app

    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": SECRET})
    client = app.test_client(use_cookies=False)  # each request carries its shopper's cookie
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "br, gzip"}

    def first_page(cookie: str) -> None:
        status = client.get("/", headers={**headers, "Cookie": cookie}).status_code
        if status != 200:
            raise RuntimeError(f"a profiled first page answered {status}")

    half = len(cookies) // 2
    first_page(cookies[0])  # the catalog snapshot and the templates are loaded, untimed
    cpu: list[float] = []
    for cookie in cookies[1 : half + 1]:
        started = time.thread_time()
        first_page(cookie)
        cpu.append((time.thread_time() - started) * 1000)
    # The profiler sees the application, not the test client's work around it.
    profiler, serve = cProfile.Profile(), app.wsgi_app

    def profiled(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return profiler.runcall(lambda: list(serve(environ, start_response)))

    app.wsgi_app = profiled  # type: ignore[method-assign]
    for cookie in cookies[half + 1 :]:
        first_page(cookie)
    own = dict.fromkeys([name for name, _ in PARTS] + ["other"], 0.0)
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for function, (_, _, seconds, _, _) in stats.items():
        for part, weight in _parts_of(function, stats, depth=6).items():
            own[part] += seconds * weight
    total = sum(own.values()) or 1.0
    app.extensions["plaza.engine"].dispose()
    return {
        "pages": len(cpu),
        "prepared": prepared,
        "cpu_ms_p50": round(sorted(cpu)[len(cpu) // 2], 1) if cpu else None,
        "share": {part: round(seconds / total, 3) for part, seconds in own.items()},
    }


def _parts_of(
    function: tuple[str, int, str], stats: dict[Any, Any], depth: int
) -> dict[str, float]:
    """The part a profiled function belongs to or, for the standard library and built-in
    functions (a built-in's file is "~" and its name says whose it is: "sqlite3.Cursor"),
    the parts of its callers, weighed by the time spent in it on behalf of each. pstats
    keeps, per function, (primitive calls, calls, own seconds, cumulative, callers), and
    per caller (calls, primitive calls, seconds in the function, cumulative)."""
    filename, _, name = function
    where = f"{filename}:{name}"
    part = next((part for part, marks in PARTS if any(m in where for m in marks)), None)
    callers = stats[function][4] if function in stats else {}
    if part is not None or depth == 0 or not callers:
        return {part or "other": 1.0}
    total = sum(timing[2] for timing in callers.values())
    shares: dict[str, float] = {}
    for caller, timing in callers.items():
        weight = timing[2] / total if total else 1 / len(callers)
        for caller_part, caller_weight in _parts_of(caller, stats, depth - 1).items():
            shares[caller_part] = shares.get(caller_part, 0.0) + weight * caller_weight
    return shares


def bench(args: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("bench/feed_load.py needs wrk: apt-get install wrk (make bench does)")
    workdir = Path(tempfile.mkdtemp(prefix="plaza-feed-load-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'feed.sqlite3'}"
    engine = make_engine(database_url)
    upgrade(engine)
    world = World(default_taxonomy(), random.Random(SEED), datetime.now(UTC))
    started = time.monotonic()
    seed_people(engine, world, args.consumers)
    results: dict[str, Any] = {
        "database": engine.dialect.name, "consumers": args.consumers,
        "signed_in": min(args.signed_in, args.consumers), "duration_s": args.duration,
        "timed": TIMED, "servers": [spec.label for spec in args.server],
        "rounds": args.rounds, "prepared": args.prepared, "catalogs": {},
    }  # fmt: skip
    events = None
    for size in args.cards:
        grow_catalog(engine, world, size)
        if events is None:
            events = seed_history(engine, world)
            results["events"] = events
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        # The same shoppers for every server, which take turns back to back, round by round.
        shoppers = world.rng.sample(world.shoppers, min(args.signed_in, len(world.shoppers)))
        by_server: dict[str, list[dict[str, Any]]] = {}
        for round_ in range(args.rounds):
            for spec in args.server:
                # The refresh changes the catalog: once, at the largest, after the rest.
                last = size == args.cards[-1] and spec == args.server[-1]
                # The profile is of the application in process, whichever server: once.
                profile = round_ == 0 and spec == args.server[0]
                figures = measure(args, database_url, shoppers, workdir, spec, last, profile)
                by_server.setdefault(spec.label, []).append(figures)
        results["catalogs"][str(size)] = by_server
    results["aims"] = aims(results)
    results["seed_and_run_seconds"] = round(time.monotonic() - started, 1)
    engine.dispose()
    shutil.rmtree(workdir, ignore_errors=True)
    return results


# What the feed aims at, judged from one run's figures.
AIM_RATIO = 0.10  # first pages / trivial requests a second, at 16 connections
AIM_P99_MS = 100.0  # first page p99 at 16 connections, at 100,000 cards
AIM_GROWTH = 1.5  # p50 alone at 1,000,000 cards over p50 alone at 10,000
AIM_MEMORY_MB = 200.0  # a server process's own, at 1,000,000 cards (Server.memory)


def aims(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each aim the run can judge (the sizes and connection counts it measured): the
    figure, the bound and whether it is met. The first run of ``plaza`` (or of the
    first server) is judged."""
    judged: list[dict[str, Any]] = []

    def judge(aim: str, figure: float, bound: float, *, at_most: bool) -> None:
        met = figure <= bound if at_most else figure >= bound
        # How far the figure is from its bound, as a factor (1 when met).
        short_by = (figure / bound if at_most else bound / figure) if figure and not met else 1
        judged.append({"aim": aim, "figure": figure, "bound": bound, "met": met,
                       "short_by": round(short_by, 2)})  # fmt: skip

    runs = {int(size): next(iter(by_server.values()))[0]
            for size, by_server in results["catalogs"].items()}  # fmt: skip
    for size, run in runs.items():
        row = run["connections"].get("16")
        if row is not None:
            judge(f"feed/trivial at 16 connections, {size:,} cards", row["feed_over_trivial"],
                  AIM_RATIO, at_most=False)  # fmt: skip
            if size == 100_000:
                judge(f"first page p99 at 16 connections, {size:,} cards (ms)",
                      row["first_page"]["p99_ms"], AIM_P99_MS, at_most=True)  # fmt: skip
        if size == 1_000_000:
            largest = max(run["server_memory"]["process_private_mb"])
            judge("own MB per server process, 1,000,000 cards", largest, AIM_MEMORY_MB,
                  at_most=True)  # fmt: skip
    alone = {size: run["connections"]["1"]["first_page"]["p50_ms"]
             for size, run in runs.items() if "1" in run["connections"]}  # fmt: skip
    if 10_000 in alone and 1_000_000 in alone:
        growth = round(alone[1_000_000] / alone[10_000], 2)
        judge("p50 alone at 1,000,000 cards over 10,000", growth, AIM_GROWTH, at_most=True)
    return judged


def report(results: dict[str, Any]) -> str:
    lines = [
        f"Feed under load on {results['database']}: {results['consumers']:,} shoppers "
        f"({results['signed_in']:,} signed in), {results['events']:,} past events, "
        f"{results['duration_s']} s a run",
    ]
    for size, by_server in results["catalogs"].items():
        lines.append(f"  {int(size):,} cards:")
        for label, runs in by_server.items():
            for number, figures in enumerate(runs, 1):
                lines += _report_run(label, number if len(runs) > 1 else None, figures)
    for aim in results["aims"]:
        verdict = "met" if aim["met"] else f"NOT met, {aim['short_by']:g} times short"
        lines.append(f"  aim {aim['aim']}: {aim['figure']:g} against {aim['bound']:g}: {verdict}")
    lines.append(f"  ({results['seed_and_run_seconds']} s in all)")
    return "\n".join(lines)


def _megabytes(per_process: list[float]) -> str:
    """Each process's figure, added up as they are: "153 + 388 + 368"."""
    return " + ".join(f"{mb:.0f}" for mb in per_process)


def _report_run(label: str, number: int | None, figures: dict[str, Any]) -> list[str]:
    page, memory = figures["page"], figures["server_memory"]
    rss, own = _megabytes(memory["process_rss_mb"]), _megabytes(memory["process_private_mb"])
    lines = [
        f"    {label}{f' (round {number})' if number else ''}: first page {page['cards']} "
        f"cards, {page['html_bytes'] / 1024:.0f} KB of HTML; server {rss} MB resident, "
        f"{own} MB its own ({memory['pss_mb']:.0f} MB proportional)"
    ]
    for connections, row in figures["connections"].items():
        if "prepared" in row["first_page"]:
            ahead = row["first_page"]["prepared"]
            lines.append(
                f"      {connections:>3} connections: {ahead['ready']:,} first pages prepared "
                f"ahead ({ahead['cpu_ms_per_shopper']:.1f} ms of the job's CPU each), "
                f"{ahead['served']:,} of {row['first_page']['requests']:,} served from them"
            )
        cells = [
            f"{route.replace('_', ' ')} {row[route]['pages_per_second']:>7.1f}/s "
            f"p50 {row[route]['p50_ms']:>6.1f} p99 {row[route]['p99_ms']:>7.1f} ms"
            + (f" ({row[route]['errors'] + row[route]['non_2xx']} failed)"
               if row[route]["errors"] + row[route]["non_2xx"] else "")
            for route in ROUTES
        ]  # fmt: skip
        lines.append(
            f"      {connections:>3} connections: "
            + " | ".join(cells)
            + f" | feed/trivial {row['feed_over_trivial']:.3f}"
        )
    if "profile" in figures:
        profile = figures["profile"]
        shares = sorted(profile["share"].items(), key=lambda item: -item[1])
        lines.append(
            f"      where a first page's time goes ({profile['pages']} more first pages in "
            f"process{', prepared' if profile['prepared'] else ''}: {profile['cpu_ms_p50']} "
            "ms of CPU p50): "
            + ", ".join(f"{part} {share:.0%}" for part, share in shares if share >= 0.005)
        )
    if "during_refresh" in figures:
        during, job = figures["during_refresh"], figures["during_refresh"]["job"]
        after = figures["server_memory_after_refresh"]
        failed = f" ({during['failed']} failed)" if during["failed"] else ""
        lines.append(
            f"      during a refresh of {job['items']:,} items ({job['new']:,} new, "
            f"{job['updated']:,} updated, {job['refresh_s']} s) and the prune of "
            f"{job['pruned']:,} cards ({job['prune_s']} s), {during['connections']} "
            f"connections: first page {during['pages_per_second']:.1f}/s, worst p50 "
            f"{during['p50_ms']:.1f} p99 {during['p99_ms']:.1f} max {during['max_ms']:.1f} ms"
            f"{failed}; "
            f"server then {_megabytes(after['process_rss_mb'])} MB"
        )
    return lines


def _numbers(text: str) -> list[int]:
    return [int(part.replace("_", "")) for part in text.split(",") if part.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--consumers", type=int, default=10_000)
    parser.add_argument(
        "--cards",
        type=_numbers,
        default=[10_000, 100_000, 1_000_000],
        help="catalog sizes, ascending (10000,100000,1000000)",
    )
    parser.add_argument(
        "--connections",
        type=_numbers,
        default=[1, 4, 16, 64],
        help="concurrent connections (1,4,16,64)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds a run (10)")
    parser.add_argument(
        "--signed-in",
        type=int,
        default=1000,
        help="distinct shoppers who sign in and load pages (1000)",
    )
    parser.add_argument("--database-url", help="a throw-away database instead of SQLite")
    parser.add_argument(
        "--server",
        type=_server_specs,
        default=[ServerSpec("plaza")],
        help="servers to compare, in turn: plaza (plaza serve as shipped), plaza:PxT, "
        "waitress:1xT, gunicorn-sync:P, gunicorn-gthread:PxT, granian:PxT (plaza)",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="times to run the list of servers (1)"
    )
    parser.add_argument(
        "--refresh-items",
        type=int,
        default=100_000,
        help="items of the refresh measured under load at the largest catalog (100000; 0: none)",
    )
    parser.add_argument(
        "--prepared",
        action="store_true",
        help="rank the signed-in shoppers' first pages ahead (the worker's job) before each "
        "first-page run, so that its pages are served prepared",
    )
    parser.add_argument(
        "--profile-pages",
        type=int,
        default=60,
        help="first pages served in process at each size, half timed, half profiled, to "
        "say where a page's time goes, once a catalog size (60; 0: none)",
    )
    parser.add_argument("--refresh-job", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()  # fmt: skip
    if args.refresh_job is not None:  # during_refresh's own process
        print(json.dumps(big_refresh(args.database_url, args.refresh_job)))
        return
    results = bench(args)
    print(json.dumps(results) if args.json else report(results))


if __name__ == "__main__":
    main()
