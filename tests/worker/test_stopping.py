"""``plaza worker`` stops when asked, as process managers ask: SIGTERM (Docker, systemd,
`plaza serve`) or SIGINT (Fly.io, Ctrl+C). It starts no job after the signal, lets the
running ones finish for ``PLAZA_WORKER_STOP_SECONDS`` and then leaves, even in the
middle of a refresh, whose provider the next run refreshes again."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from app.db import make_engine
from app.models import Organization, Provider, stored_id
from tests.process_output import Output

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """``plaza worker`` on a SQLite file, what it prints read as it comes."""

    def __init__(self, env: dict[str, str], preexec_fn: Callable[[], None] | None = None) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=preexec_fn,
        )  # fmt: skip
        self.output = Output(self.process.stdout)

    def stop(self, number: signal.Signals) -> float:
        """Sends ``number``; the seconds until the worker ended."""
        sent = time.monotonic()
        self.process.send_signal(number)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running 30 s after {number.name}") from None
        took = time.monotonic() - sent
        self.output.rest()
        return took

    def logged(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.output.lines if line.startswith("{")]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("PLAZA_")}
    env = base | {
        "PYTHONPATH": str(ROOT),
        "PLAZA_DATABASE_URL": f"sqlite:///{tmp_path}/worker.sqlite3",
        "PLAZA_SECRET_KEY": "stopping",
        "PLAZA_LOG_FORMAT": "json",
        "PLAZA_FETCH_ALLOW": "127.0.0.1",
        "PLAZA_SCREENING_WARM_UP": "false",
        "PLAZA_WORKER_TICK_SECONDS": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "app.cli", "db", "upgrade"], cwd=ROOT, env=env, check=True,
        capture_output=True,
    )  # fmt: skip
    return env


@pytest.fixture
def silent_feed() -> Iterator[str]:
    """A feed address that accepts the connection and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield f"http://127.0.0.1:{server.getsockname()[1]}/products.xml"


def started(line: str) -> bool:
    return "Worker started" in line


def ignore_sigint() -> None:
    """What a shell does to a command it starts in the background."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_an_idle_worker_stops_at_once_even_started_in_the_background(
    env: dict[str, str], number: signal.Signals
) -> None:
    worker = Worker(env, preexec_fn=ignore_sigint)
    worker.output.wait_for(started)
    worker.output.wait_for(lambda line: "account emails" in line or '"job_run"' in line)

    took = worker.stop(number)

    assert worker.process.returncode == 0, worker.output.text()
    assert took < 15, took  # a busy machine may be slow to start and stop a process
    assert any("Worker stopped." in line for line in worker.output.lines)
    stopping = [e for e in worker.logged() if str(e["message"]).startswith("stopping")]
    assert len(stopping) == 1, worker.output.text()
    assert f"({number.name})" in str(stopping[0]["message"])


def test_a_refresh_that_outlasts_the_grace_is_cut_short_and_said(
    env: dict[str, str], silent_feed: str
) -> None:
    engine = make_engine(env["PLAZA_DATABASE_URL"])
    with Session(engine) as db:
        org = Organization(slug="acme", name="Acme Outfitters")
        db.add(org)
        db.flush()
        db.add(
            Provider(
                organization_id=stored_id(org), kind="product_feed", name="Slow shop",
                config={"url": silent_feed}, interests=["apparel"],
            )
        )  # fmt: skip
        db.commit()
    engine.dispose()
    worker = Worker(env | {"PLAZA_WORKER_STOP_SECONDS": "1"})
    worker.output.wait_for(started)
    # The refresh is waiting for the feed, which waits for ever (the fetcher for 10 s).
    worker.output.wait_for(lambda line: "refresh_due_providers" in line, timeout=30)
    time.sleep(0.5)

    took = worker.stop(signal.SIGTERM)

    assert worker.process.returncode == 0, worker.output.text()
    assert 1 <= took < 15, took  # at least the grace period; a busy machine is slow
    messages = [str(e["message"]) for e in worker.logged()]
    assert any(
        m.startswith("stopping (SIGTERM)") and "waiting up to 1 s for refresh_due_providers" in m
        for m in messages
    ), messages
    assert any(
        m.startswith("stopped with refresh_due_providers still running") for m in messages
    ), messages
