"""Fixtures in the flaskr style (``app``, ``client``, ``runner``), on real databases.

Every test that uses ``app`` runs on SQLite and, when ``PLAZA_TEST_POSTGRES``
is set or under CI, again on a real PostgreSQL server that this file starts
itself (its own throw-away cluster, so nothing on the machine is touched).
Each test gets a fresh database copied from a migrated template, which keeps
tests isolated and fast. In CI a skipped test counts as a failure.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from glob import glob
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask, Response, request, request_finished
from flask.testing import FlaskClient
from hypothesis import HealthCheck, settings
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import create_app
from app.db import make_engine
from app.migrate import upgrade
from cards.taxonomy import Taxonomy
from tests.app_speed import share_compiled_templates, share_url_builders
from tests.postgres_log import ServerLogs

# Speed is measured by the benchmarks under bench/, never by a test's clock: on a busy
# machine Hypothesis' deadline and its too-slow check would fail correct code.
settings.register_profile("plaza", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("plaza")

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Run the suite as if it were another moment (an ISO date-time with its offset); the clock
# ticks on from there. `make test-days` uses it to run date-sensitive tests on every
# weekday of a week with a daylight-saving change.
TRAVEL_TO = os.environ.get("PLAZA_TEST_NOW", "")
POSTGRES_WANTED = IN_CI or bool(os.environ.get("PLAZA_TEST_POSTGRES"))
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_WANTED else ["sqlite"]
PASSWORD = "correct horse battery"


# Thousands of test apps share their URL builders and compiled templates (see there).
share_url_builders()

# --- CI: a skipped test is a failure -------------------------------------------------


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if IN_CI and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which counts as a failure: {report.longrepr}"


# --- PostgreSQL's logs: in the report of a test that fails, and any crash at the end ---

SERVER_LOGS = ServerLogs()
CRASHES_KEY = "plaza_postgres_crashes"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    SERVER_LOGS.mark()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed:
        logged = SERVER_LOGS.since_mark()
        if logged:
            report.sections.append(("PostgreSQL's logs while the test ran", logged))
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: its controller reports them
        workeroutput[CRASHES_KEY] = SERVER_LOGS.crashes


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    SERVER_LOGS.crashes += getattr(node, "workeroutput", {}).get(CRASHES_KEY, [])


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    if SERVER_LOGS.crashes:
        terminalreporter.section("PostgreSQL crashed during the run", red=True)
        for line in SERVER_LOGS.crashes[-12:]:
            terminalreporter.line(line)


@pytest.fixture(scope="session", autouse=True)
def suite_clock() -> Iterator[None]:
    if not TRAVEL_TO:
        yield
        return
    with time_machine.travel(datetime.fromisoformat(TRAVEL_TO), tick=True):
        yield


# --- PostgreSQL: a private server for the session ----------------------------------


def _pg_bin() -> Path:
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise RuntimeError("PostgreSQL is not installed: run `make test` (it installs it).")


# Where clusters keep their files: in memory where the machine has it. Each test's
# database is a copy of the template, some ten megabytes of write-ahead log, which on a
# disk keeps a test waiting for the disk several times as long as the copy takes.
IN_MEMORY = Path("/dev/shm")


@dataclass
class LocalPostgres:
    """A throw-away PostgreSQL cluster in a temporary folder (in memory, ``IN_MEMORY``,
    where there is one): nothing on the machine is touched. Tests may stop and start it.

    It listens only on a socket in its folder, not on a TCP port: no other program can
    reach it by chance (a server or a feed given a port that was free a moment before),
    and no two clusters can want the same port."""

    workdir: Path
    as_postgres: list[str]
    PORT = 5432  # names the socket's file; the folder is the cluster's own

    @classmethod
    def create(cls) -> LocalPostgres:
        in_memory = IN_MEMORY.is_dir() and os.access(IN_MEMORY, os.W_OK)
        workdir = Path(tempfile.mkdtemp(prefix="plaza-pg-", dir=IN_MEMORY if in_memory else None))
        as_postgres: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(workdir, "postgres")
            as_postgres = ["runuser", "-u", "postgres", "--"]
        cluster = cls(workdir, as_postgres)
        subprocess.run(
            [*as_postgres, str(_pg_bin() / "initdb"), "-D", str(cluster.data), "-A", "trust",
             "-U", "postgres", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True,
        )  # fmt: skip
        return cluster

    @property
    def data(self) -> Path:
        return self.workdir / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@/?host={self.workdir}&port={self.PORT}"

    def database(self, name: str) -> str:
        return on_server(self.url, name)

    def start(self) -> None:
        options = (
            f"-p {self.PORT} -k {self.workdir} -c listen_addresses='' -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [*self.as_postgres, str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-o", options,
             "-w", "-l", str(self.log), "start"],
            check=True, capture_output=True,
        )  # fmt: skip

    @property
    def log(self) -> Path:
        return self.workdir / "log"

    def stop(self, mode: str = "fast") -> None:
        """Stop the server and wait until it is down (``fast`` ends every session)."""
        subprocess.run(
            [*self.as_postgres, str(_pg_bin() / "pg_ctl"), "-D", str(self.data), "-m", mode,
             "-w", "stop"],
            check=False, capture_output=True,
        )  # fmt: skip

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.workdir, ignore_errors=True)


def on_server(server: str, database: str) -> str:
    """The URL of ``database`` on the server at ``server`` (a URL without a database)."""
    return make_url(server).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Base URL of a PostgreSQL server that may create databases."""
    given = os.environ.get("PLAZA_TEST_POSTGRES", "")
    if given.startswith("postgresql"):
        yield given.rstrip("/")
        return
    cluster = LocalPostgres.create()
    cluster.start()
    SERVER_LOGS.watch(cluster.log)
    try:
        yield cluster.url
    finally:
        SERVER_LOGS.forget(cluster.log)
        cluster.remove()


@contextmanager
def _own_cluster() -> Iterator[LocalPostgres]:
    if not POSTGRES_WANTED:
        pytest.skip("PostgreSQL tests are off: set PLAZA_TEST_POSTGRES=1 to run them")
    try:
        cluster = LocalPostgres.create()
    except RuntimeError as missing:  # PLAZA_TEST_POSTGRES names a server elsewhere
        pytest.skip(str(missing))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture
def private_postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server of the test's own, running, which the test may stop and start."""
    with _own_cluster() as cluster:
        SERVER_LOGS.watch(cluster.log)
        try:
            yield cluster
        finally:
            SERVER_LOGS.forget(cluster.log)


@pytest.fixture
def crashing_postgres() -> Iterator[LocalPostgres]:
    """A server of the test's own that it crashes on purpose: not one of the run's crashes."""
    with _own_cluster() as cluster:
        yield cluster


# --- Databases: a migrated template per backend, a fresh copy per test ----------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # its connection closed now, not whenever it is collected
    _checkpoint(path)
    return path


def _checkpoint(path: Path) -> None:
    """Everything in the SQLite file itself, none in its write-ahead log: ready to copy."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: str) -> str:
    admin = make_engine(on_server(postgres_server, "postgres")).execution_options(
        isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text("DROP DATABASE IF EXISTS plaza_template"))
        connection.execute(text("CREATE DATABASE plaza_template"))
    template = make_engine(on_server(postgres_server, "plaza_template"))
    upgrade(template)
    template.dispose()
    admin.dispose()
    return "plaza_template"


_database_numbers = itertools.count()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
    else:
        template = request.getfixturevalue("postgres_template")
    with _database_copy(request, tmp_path, template) as url:
        yield url


@contextmanager
def _database_copy(
    request: pytest.FixtureRequest, tmp_path: Path, template: Path | str
) -> Iterator[str]:
    """A new database, a copy of ``template``: a SQLite file or, on the suite's
    PostgreSQL server, a database's name."""
    if isinstance(template, Path):
        path = tmp_path / "plaza.sqlite3"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
        return
    with _postgres_database(request.getfixturevalue("postgres_server"), template) as url:
        yield url


@contextmanager
def _postgres_database(server: str, template: str | None) -> Iterator[str]:
    """A new database on ``server`` (a copy of ``template``, or empty), dropped after."""
    name = f"plaza_test_{os.getpid()}_{next(_database_numbers)}"
    admin = make_engine(on_server(server, "postgres"))
    admin = admin.execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        copying = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{copying}'))
    try:
        yield on_server(server, name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, migrated database on the suite's PostgreSQL server, for the
    tests about PostgreSQL alone (several worker processes on one database)."""
    if not POSTGRES_WANTED:
        pytest.skip("PostgreSQL tests are off: set PLAZA_TEST_POSTGRES=1 to run them")
    server = request.getfixturevalue("postgres_server")
    with _postgres_database(server, request.getfixturevalue("postgres_template")) as url:
        yield url


@pytest.fixture
def empty_postgres(request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of a new, empty database (no schema) on the suite's PostgreSQL server, for
    the tests that need PostgreSQL whatever the backend (``plaza db copy``'s target)."""
    if not POSTGRES_WANTED:
        pytest.skip("PostgreSQL tests are off: set PLAZA_TEST_POSTGRES=1 to run them")
    with _postgres_database(request.getfixturevalue("postgres_server"), None) as url:
        yield url


# --- The demo: loaded once a session, a copy for each test -----------------------------


@contextmanager
def shipped_app(database_url: str) -> Iterator[Flask]:
    """Plaza as `make run` starts it (the shipped taxonomy) on ``database_url``, with
    cheap password hashing; its engine closes after."""
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": database_url,
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024})  # fmt: skip
    try:
        yield app
    finally:
        app.extensions["plaza.engine"].dispose()


def load_demo(database_url: str) -> None:
    """``plaza demo`` on the migrated database at ``database_url``, as `make run` does."""
    with shipped_app(database_url) as app:
        result = app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output


class DemoTemplates:
    """Migrated databases with the demo loaded, one per backend and moment, made when
    first asked for and then copied like the migrated template: loading the demo takes
    seconds, copying it a moment. What a test does to its copy reaches no other test."""

    def __init__(
        self, request: pytest.FixtureRequest, tmp: pytest.TempPathFactory, dropped: ExitStack
    ) -> None:
        self.request = request
        self.tmp = tmp
        self.dropped = dropped  # the PostgreSQL ones, when the session ends
        self.made: dict[tuple[str, datetime | None], Path | str] = {}

    def template(self, backend: str, at: datetime | None = None) -> Path | str:
        """The SQLite file or PostgreSQL database with the demo loaded now, or as if it
        were ``at`` (the clock stopped there while it loads)."""
        if (backend, at) not in self.made:
            with time_machine.travel(at, tick=False) if at else nullcontext():
                self.made[backend, at] = self._load(backend)
        return self.made[backend, at]

    def _load(self, backend: str) -> Path | str:
        if backend == "sqlite":
            path = self.tmp.mktemp("demo") / "demo.sqlite3"
            shutil.copy(self.request.getfixturevalue("sqlite_template"), path)
            load_demo(f"sqlite:///{path}")
            _checkpoint(path)
            return path
        server = self.request.getfixturevalue("postgres_server")
        template = self.request.getfixturevalue("postgres_template")
        url = self.dropped.enter_context(_postgres_database(server, template))
        load_demo(url)
        return str(make_url(url).database)


@pytest.fixture(scope="session")
def demo_templates(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoTemplates]:
    with ExitStack() as dropped:
        yield DemoTemplates(request, tmp_path_factory, dropped)


@pytest.fixture
def demo_moment() -> datetime | None:
    """When the demo of ``demo_database_url`` is loaded: now, unless a module says."""
    return None


@pytest.fixture(params=BACKENDS)
def demo_database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    demo_templates: DemoTemplates,
    demo_moment: datetime | None,
) -> Iterator[str]:
    """Like ``database_url``, a database of the test's own, with the demo loaded."""
    with _database_copy(
        request, tmp_path, demo_templates.template(request.param, demo_moment)
    ) as url:
        yield url


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    """pytest-httpserver on IPv4 loopback, the address tests allow the fetcher to reach."""
    return ("127.0.0.1", 0)


# --- The app ------------------------------------------------------------------------

TEST_INTERESTS = [
    ("apparel", "Apparel", ""),
    ("apparel/outerwear", "Outerwear", "Jackets"),
    ("shoes", "Shoes", "Footwear"),
    ("shoes/running", "Running shoes", "Athletic Shoes;Trainers"),
    ("shoes/running/trail", "Trail running shoes", ""),
    ("shoes/hiking", "Hiking boots", "Hiking shoes"),
    ("home", "Home", ""),
    ("home/kitchen", "Kitchen", "Kitchenware"),
    ("home/kitchen/coffee", "Coffee gear", "Coffee makers"),
    ("sports", "Sports & outdoors", "Sporting goods"),
    ("sports/running", "Running", ""),
    ("sports/camping", "Camping", "Camping gear"),
    ("electronics", "Electronics", ""),
    ("electronics/audio", "Audio", "Headphones"),
]


@pytest.fixture(scope="session")
def test_taxonomy() -> Taxonomy:
    return Taxonomy.from_rows(
        {"slug": slug, "name": name, "aliases": aliases} for slug, name, aliases in TEST_INTERESTS
    )


@pytest.fixture(scope="session")
def compiled_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compiled-templates")


@pytest.fixture
def make_app(
    test_taxonomy: Taxonomy, tmp_path: Path, compiled_templates: Path
) -> Iterator[Callable[[str], Flask]]:
    """Test apps on a database of the test's choosing; their engines close at the end."""
    made: list[Flask] = []

    def make(database_url: str) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "test-secret-key",
                "DATABASE_URL": database_url,
                "TAXONOMY": test_taxonomy,
                "ARGON2_TIME_COST": 1,
                "ARGON2_MEMORY_COST": 1024,
            }
        )
        app.instance_path = str(tmp_path / "instance")
        share_compiled_templates(app, compiled_templates)
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["plaza.engine"].dispose()


@pytest.fixture
def app(database_url: str, make_app: Callable[[str], Flask]) -> Flask:
    return make_app(database_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session of its own, for arranging data and checking what a request stored."""
    with Session(app.extensions["plaza.engine"], expire_on_commit=False) as session:
        yield session


@dataclass(frozen=True)
class Exchange:
    """One request ``app`` answered: its path and query, as an access log records them,
    and the response."""

    path: str
    location: str
    body: str


@pytest.fixture
def access_log(app: Flask) -> Iterator[list[Exchange]]:
    """Every request ``app`` answers from now on, in order, with what it answered."""
    exchanges: list[Exchange] = []

    def record(sender: Flask, response: Response, **extra: Any) -> None:
        location = response.headers.get("Location", "")
        path = request.full_path.rstrip("?")
        exchanges.append(Exchange(path, location, response.get_data(as_text=True)))

    request_finished.connect(record, app)
    yield exchanges
    request_finished.disconnect(record, app)


# --- The log, as production writes it ------------------------------------------------


class LogLines:
    """What Plaza's log handler (``PLAZA_LOG_FORMAT=json``) wrote, every logger at DEBUG."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.text.splitlines() if line]


@pytest.fixture
def plaza_log() -> Iterator[LogLines]:
    from app.logs import Context, JsonLines

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(Context())
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield LogLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


# --- Helpers ------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page as a browser would
    (following redirects: staff may be sent to set up two-factor authentication first)."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


@contextmanager
def account_mail_worker(app: Flask, every: float = 0.05) -> Iterator[None]:
    """The worker's account-email job (app.accounts.mail), running beside the test as the
    worker process runs beside the web: emails queued by a page go out a moment later."""
    from app.accounts.mail import send_queued

    stop = threading.Event()

    def run() -> None:
        # A plain sleep, not ``stop.wait(every)``: a timed wait never returns under
        # libfaketime's frozen clock, which the date checks run the suite with.
        while not stop.is_set():
            time.sleep(every)
            try:
                send_queued(app)
            except Exception:
                logging.getLogger(__name__).exception("the account-email job failed")

    thread = threading.Thread(target=run, name="account-mail-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(10)


@pytest.fixture
def mailbox(app: Flask) -> Iterator[Any]:
    """A real SMTP server on loopback that keeps what ``app`` sends it (the worker's
    account-email job runs meanwhile)."""
    from tests.notifications.receivers import MailReceiver

    receiver = MailReceiver().start()
    app.config["SMTP_URL"] = receiver.url
    with account_mail_worker(app):
        yield receiver
    receiver.stop()


@dataclass
class World:
    """A small, realistic arrangement: one organisation, providers, cards, a consumer."""

    app: Flask
    db: Session
    client: FlaskClient
    password: str = PASSWORD

    def csrf(self, path: str = "/login", client: FlaskClient | None = None) -> str:
        return csrf_token(client or self.client, path)

    def consumer(
        self, email: str = "shopper@example.com", follows: tuple[str, ...] = ("shoes",)
    ) -> int:
        from app.accounts.users import create_user
        from app.models import InterestState
        from app.shopper.interests import set_interest_state

        with self.app.app_context():
            user = create_user(self.db, email, PASSWORD)
            for slug in follows:
                set_interest_state(self.db, user.id, slug, InterestState.FOLLOW)
            user.onboarded_at = datetime.now(UTC)
            self.db.commit()
            return user.id

    def login(self, email: str = "shopper@example.com", client: FlaskClient | None = None) -> str:
        client = client or self.client
        token = csrf_token(client)
        response = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 303, response.get_data(as_text=True)
        # A login starts a new session, with a CSRF token of its own.
        return csrf_token(client, "/settings/notifications")

    def provider(self, name: str = "Northwind", kind: str = "product_feed", **fields):  # type: ignore[no-untyped-def]
        from sqlmodel import select

        from app.models import Organization, Provider

        org = self.db.exec(select(Organization).where(Organization.slug == "acme")).first()
        if org is None:
            org = Organization(slug="acme", name="Acme Outfitters")
            self.db.add(org)
            self.db.flush()
        provider = Provider(organization_id=org.id, kind=kind, name=name, **fields)
        self.db.add(provider)
        self.db.commit()
        return provider

    def cards(
        self,
        provider,
        count: int,
        interests: tuple[str, ...] = ("shoes/running",),
        start: int = 0,
        age_hours: float = 1.0,
        **payload,
    ):  # type: ignore[no-untyped-def]
        """Store ``count`` cards through the real ingest path; returns their ids."""
        from sqlmodel import select

        from app.ingest.store import store_drafts
        from app.models import Card
        from cards.spec import CardDraft

        now = datetime.now(UTC)
        drafts = [
            CardDraft(
                external_id=f"{provider.name}-{n}",
                title=f"{provider.name} item {n}",
                url=f"https://shop.example/{provider.id}/{n}",
                interests=list(interests),
                payload={"price": "50.00", "currency": "USD", **payload},
                published_at=now - timedelta(hours=age_hours + n * 0.01),
            )
            for n in range(start, start + count)
        ]
        store_drafts(self.db, provider, drafts, self.app.extensions["plaza.taxonomy"], now)
        self.db.commit()
        ids = {d.external_id for d in drafts}
        return [
            c.id
            for c in self.db.exec(select(Card).where(Card.provider_id == provider.id)).all()
            if c.external_id in ids
        ]


@pytest.fixture
def world(app: Flask, db: Session, client: FlaskClient) -> World:
    return World(app, db, client)


# --- A YouTube channel on a loopback server -------------------------------------------


@dataclass(frozen=True)
class YouTubeChannel:
    """A channel served the way YouTube serves it, for ``PLAZA_YOUTUBE_FEED_URL``."""

    channel_id: str
    name: str
    videos: dict[str, str]  # video id -> title, newest first
    feed_url: str

    @property
    def titles(self) -> list[str]:
        return list(self.videos.values())


CHANNEL_VIDEOS = {
    "tr41lGr1pXa": "Trail running shoes: how to choose grip and drop",
    "sh0eC4reMud": "Five-minute shoe care after a muddy run",
    "l4c1ngDownH": "Lacing tricks for long downhill runs",
}


def youtube_atom(channel_id: str, name: str, videos: dict[str, str], thumbnails: str) -> str:
    """A channel's Atom feed as YouTube writes it: yt: ids, media:group, thumbnails, views."""
    now = datetime.now(UTC).replace(microsecond=0)
    channel_url = f"https://www.youtube.com/channel/{channel_id}"
    entries = "".join(
        f"""
 <entry>
  <id>yt:video:{video_id}</id>
  <yt:videoId>{video_id}</yt:videoId>
  <yt:channelId>{channel_id}</yt:channelId>
  <title>{title}</title>
  <link rel="alternate" href="https://www.youtube.com/watch?v={video_id}"/>
  <author><name>{name}</name><uri>{channel_url}</uri></author>
  <published>{(now - timedelta(hours=3 * n + 1)).isoformat()}</published>
  <updated>{(now - timedelta(hours=3 * n)).isoformat()}</updated>
  <media:group>
   <media:title>{title}</media:title>
   <media:content url="https://www.youtube.com/v/{video_id}?version=3"
    type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="{thumbnails}/vi/{video_id}/hqdefault.svg" width="480" height="360"/>
   <media:description>{title}. Filmed on our home trails.</media:description>
   <media:community>
    <media:starRating count="{40 + n}" average="5.00" min="1" max="5"/>
    <media:statistics views="{1200 * (n + 1)}"/>
   </media:community>
  </media:group>
 </entry>"""
        for n, (video_id, title) in enumerate(videos.items())
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015"
      xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id={channel_id}"/>
 <id>yt:channel:{channel_id}</id>
 <yt:channelId>{channel_id}</yt:channelId>
 <title>{name}</title>
 <link rel="alternate" href="{channel_url}"/>
 <author><name>{name}</name><uri>{channel_url}</uri></author>
 <published>2019-05-04T09:00:00+00:00</published>{entries}
</feed>
"""


@pytest.fixture
def youtube_channel(httpserver) -> YouTubeChannel:  # type: ignore[no-untyped-def]
    """A loopback stand-in for www.youtube.com and its thumbnail host, serving one channel.

    Point Plaza at it with ``YOUTUBE_FEED_URL`` and allow ``127.0.0.1`` in
    ``FETCH_ALLOW``: the kind then fetches it through the guarded fetcher as it
    would fetch YouTube. Any other channel answers 404, as YouTube does.
    """
    channel = YouTubeChannel(
        channel_id="UCacmeTrailRunning012345",
        name="Acme Trail Co.",
        videos=CHANNEL_VIDEOS,
        feed_url=httpserver.url_for("/feeds/videos.xml"),
    )
    thumbnails = httpserver.url_for("/").rstrip("/")
    atom = youtube_atom(channel.channel_id, channel.name, channel.videos, thumbnails)
    httpserver.expect_request(
        "/feeds/videos.xml", query_string={"channel_id": channel.channel_id}
    ).respond_with_data(atom, content_type="text/xml; charset=UTF-8")
    httpserver.expect_request("/feeds/videos.xml").respond_with_data("Not Found", status=404)
    for video_id, title in channel.videos.items():
        httpserver.expect_request(f"/vi/{video_id}/hqdefault.svg").respond_with_data(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 360">'
            f'<rect width="480" height="360" fill="#2f6f4f"/><text x="24" y="190" '
            f'font-size="22" fill="#fff">{title}</text></svg>',
            content_type="image/svg+xml",
        )
    return channel
