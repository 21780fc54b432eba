"""A live Plaza with the demo data, and a real headless Chromium to drive it.

Browsers cannot be downloaded here: Playwright drives Debian's Chromium
through ``executable_path``, with the flags a root, offline machine needs.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from app import create_app
from app.accounts.users import create_user
from app.db import make_engine
from app.ingest.due import refresh_due
from app.migrate import upgrade
from app.models import InterestState, Role, User
from app.partners.orgs import create_organization
from app.shopper.interests import set_interest_state
from tests.conftest import DemoTemplates, account_mail_worker
from tests.notifications.receivers import MailReceiver

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "a long enough password"  # the accounts the tests make
DEMO_PASSWORD = "plaza-demo-pass"  # the demo's logins (app.demo.load)
OUTPUT = Path(os.environ.get("PLAZA_TEST_OUTPUT", "test-results"))


def sign_in(page: Any, base: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login page, as a person does, and wait for where it leads."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    # Leaving /login is the sign that the form was answered: a navigation started right
    # after the click could otherwise cancel the login POST still on its way.
    page.wait_for_url(lambda url: not url.split("?")[0].endswith("/login"))
    page.wait_for_load_state()


def scroll_to_next_page(page: Any, cards: str = "article.card[data-card-id]") -> None:
    """Scroll to the end of the feed, where htmx swaps the next page in, and wait until
    more ``cards`` are on the page than before."""
    shown = page.locator(cards).count()
    page.locator("a.more").scroll_into_view_if_needed()
    page.wait_for_function(
        "([cards, shown]) => document.querySelectorAll(cards).length > shown", arg=[cards, shown]
    )


def plaza_app(database: Path, **config: Any) -> Flask:
    """A Plaza on a freshly migrated SQLite file, with cheap password hashing."""
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()  # its connection closed now, not whenever it is collected
    return create_app(
        {"SECRET_KEY": "browser-tests", "DATABASE_URL": url, "ARGON2_TIME_COST": 1,
         "ARGON2_MEMORY_COST": 1024, **config}
    )  # fmt: skip


def demo_plaza_app(database: Path, demo_templates: DemoTemplates, **config: Any) -> Flask:
    """The same with the demo data: a copy of the session's SQLite demo."""
    shutil.copy(demo_templates.template("sqlite"), database)
    return plaza_app(database, **config)


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """``app`` on a free loopback port, served by waitress from a thread; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # poll(2), not select(2): closing the server while its loop waits would make select
    # fail on the closed socket; poll skips it, and the loop ends with nothing to serve.
    server = create_server(app, host="127.0.0.1", port=port, threads=4, asyncore_use_poll=True)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(server, thread)


def stop(server: BaseWSGIServer, thread: threading.Thread) -> None:
    """Stop a waitress server run from ``thread``, leaving nothing of it behind.

    Its own ``close()`` closes only the listener and the pipe that wakes its loop: the
    connections kept alive stay served by its worker threads, and each answer then
    writes a byte to the pipe's closed descriptor, which by then is another test's file
    or socket (a SQLite database that is "not a database", a PostgreSQL connection
    whose startup packet is garbled). So the workers end first, and the loop closes
    everything, the pipe last, from its own thread."""
    server.task_dispatcher.shutdown(timeout=30)
    assert not server.task_dispatcher.threads, "a request outlived 30 s"
    server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
    thread.join(30)
    assert not thread.is_alive(), "waitress's loop did not end"


@pytest.fixture(scope="session")
def live_mail() -> Iterator[MailReceiver]:
    """The live Plaza's mail server: sign-up links arrive here."""
    receiver = MailReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def live_server(
    tmp_path: Path, live_mail: MailReceiver, demo_templates: DemoTemplates
) -> Iterator[str]:
    """The demo on a copy of its own for each test (under a second): what one test does
    to the demo shopper (a save, a mute, a setting) never reaches another, whatever
    order they run in."""
    app = demo_plaza_app(tmp_path / "plaza.sqlite3", demo_templates, SMTP_URL=live_mail.url)
    with serving(app) as url, account_mail_worker(app):
        yield url
    app.extensions["plaza.engine"].dispose()


@dataclass
class PartnerPlaza:
    """A live Plaza without demo data whose kinds read YouTube from a loopback server.

    Its worker does not tick by itself: ``run_worker`` is the tick, so a test
    says when the refresh happens, as the separate worker process would.
    """

    url: str
    app: Flask

    def retailer(
        self, email: str, org_slug: str = "acme", org_name: str = "Acme Trail Co."
    ) -> None:
        """The first member of a new organisation."""
        with _app_session(self.app) as db:
            org = create_organization(db, org_slug, org_name)
            self._onboarded(create_user(db, email, PASSWORD, Role.RETAILER, org))
            db.commit()

    def shopper(self, email: str, follows: tuple[str, ...]) -> None:
        """A consumer past onboarding who follows ``follows``."""
        with _app_session(self.app) as db:
            user = self._onboarded(create_user(db, email, PASSWORD))
            for slug in follows:
                set_interest_state(db, user.id, slug, InterestState.FOLLOW)
            db.commit()

    def run_worker(self) -> None:
        refresh_due(self.app)

    @staticmethod
    def _onboarded(user: User) -> User:
        user.onboarded_at = datetime.now(UTC)
        return user


@contextmanager
def _app_session(app: Flask) -> Iterator[Session]:
    with app.app_context(), Session(app.extensions["plaza.engine"]) as db:
        yield db


@pytest.fixture
def partner_plaza(tmp_path: Path, youtube_channel: Any) -> Iterator[PartnerPlaza]:
    """Its own Plaza per test, allowed to fetch the loopback ``youtube_channel``."""
    app = plaza_app(
        tmp_path / "plaza.sqlite3",
        FETCH_ALLOW="127.0.0.1",
        YOUTUBE_FEED_URL=youtube_channel.feed_url,
    )
    with serving(app) as url:
        yield PartnerPlaza(url, app)
    app.extensions["plaza.engine"].dispose()


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed: run `make test`, which installs it.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def contexts(chromium: Any) -> Iterator[Callable[..., Any]]:
    """``contexts(**options)``: a new browser context, closed when the test ends, failed
    or not. A page left open goes on polling (the bell, a refresh's status) for the
    rest of the session."""
    made: list[Any] = []

    def new(**options: Any) -> Any:
        made.append(chromium.new_context(**options))
        return made[-1]

    yield new
    for context in made:
        context.close()


@pytest.fixture
def output_dir(request: pytest.FixtureRequest) -> Path:
    folder = OUTPUT / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
