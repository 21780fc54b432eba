"""``plaza serve`` and ``plaza worker``: the web server and the background worker.

``plaza serve`` runs Granian (its WSGI interface): one main process that binds the socket
and watches ``--workers`` server processes (by default one per CPU core this process may
use), each answering requests with ``--threads`` threads and building its own app from
the same ``PLAZA_*`` settings. Unless ``--no-worker``, it also starts the worker as one
child process of its own (``python -m app.cli worker``, which is ``plaza worker``), so
the scheduled jobs run once however many server processes there are, and it stops that
child when the server stops. Measured against waitress and gunicorn in
docs/production-server.md.

All of these processes record their metrics into one temporary directory that
``plaza serve`` creates and removes when it stops (prometheus_client's multi-process
mode), so ``/metrics`` in any server process answers for all of them
(:mod:`app.metrics.exposition`). A ``plaza worker`` on a machine of its own serves its
counters itself, on ``PLAZA_WORKER_METRICS_PORT``.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import click
from flask.cli import with_appcontext

from app import logs
from app.cli.schema import require_schema
from app.metrics import exposition
from app.web.current import current_app_object
from app.worker import build_scheduler, run_until_stopped

log = logging.getLogger(__name__)
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
THREADS = 2  # per server process: 2 beat 1 and 4 on the feed, and cost less memory than 4


def cpu_cores(cgroup: Path = CGROUP_CPU_MAX) -> int:
    """The CPU cores this process may use: those it may run on (its affinity), fewer if
    its container's CPU quota (cgroup v2 ``cpu.max``) allows less."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        quota, period = cgroup.read_text().split()[:2]
        if quota != "max":
            cores = min(cores or 1, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(cores or 1, 1)


@click.command("serve", help="Serve Plaza (with the worker as a child process unless --no-worker).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-worker", is_flag=True, help="Run the worker as its own process instead.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    envvar="WEB_CONCURRENCY",
    help=f"Server processes, or $WEB_CONCURRENCY.  [default: the CPU cores, here {cpu_cores()}]",
)
@click.option(
    "--threads",
    default=THREADS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per server process.",
)
@with_appcontext
def serve_command(host: str, port: int, no_worker: bool, workers: int | None, threads: int) -> None:
    from granian import Granian  # here: every app imports the commands, few serve
    from granian.constants import Interfaces

    require_schema()
    app = current_app_object()
    logs.configure(app.config["LOG_FORMAT"])
    # The database was read above: no connection of this process may reach a fork.
    app.extensions["plaza.engine"].dispose()
    processes = workers or cpu_cores()
    metrics_directory = Path(tempfile.mkdtemp(prefix="plaza-metrics-"))
    exposition.share_between_processes(metrics_directory)
    worker = None if no_worker else WorkerChild()
    # What the server processes' apps (not the worker's) prepare as they start.
    os.environ["PLAZA_CATALOG_WARM_UP"] = "true"
    os.environ["PLAZA_SCREENING_WARM_UP"] = "true"
    server = Granian(
        "app:create_app",
        factory=True,
        interface=Interfaces.WSGI,
        address=host,
        port=port,
        workers=processes,
        blocking_threads=threads,
        respawn_failed_workers=True,
        log_access=False,
        log_dictconfig=logs.dict_config(app.config["LOG_FORMAT"]),
        websockets=False,
    )
    if worker is not None:
        click.echo(f"Worker running as process {worker.process.pid}.")
        server.on_shutdown(worker.stop)
    click.echo(
        f"Plaza is serving at http://{host}:{port}/ with {processes} process"
        f"{'es' if processes > 1 else ''} of {threads} thread{'s' if threads > 1 else ''}."
    )
    try:
        server.serve()
    finally:
        if worker is not None:
            worker.stop()
        shutil.rmtree(metrics_directory, ignore_errors=True)


class WorkerChild:
    """``plaza worker`` as one child process, with this process's settings."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"])
        self._stopping = threading.Event()
        threading.Thread(target=self._watch, name="plaza-worker-watch", daemon=True).start()

    def _watch(self) -> None:
        """Say so if the worker fails on its own: the site goes on, without fresh content."""
        status = self.process.wait()
        if status != 0 and not self._stopping.is_set():
            log.error(
                "the worker stopped (exit status %s): nothing is refreshed or delivered "
                "until `plaza serve` restarts or `plaza worker` runs",
                status,
            )

    def stop(self) -> None:
        self._stopping.set()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@click.command("worker", help="Run the refresh worker (APScheduler) in the foreground.")
@with_appcontext
def worker_command() -> None:
    require_schema()
    app = current_app_object()
    logs.configure(app.config["LOG_FORMAT"])
    _serve_worker_metrics(app.config["WORKER_METRICS_PORT"], app.config["METRICS_TOKEN"])
    click.echo("Worker started; Ctrl+C stops it.")
    scheduler = build_scheduler(app)
    cut_short = run_until_stopped(scheduler, app.config["WORKER_STOP_SECONDS"])
    click.echo("Worker stopped.")
    if cut_short:
        log.warning(
            "stopped with %s still running: the items it left are claimed again by the "
            "next run", ", ".join(cut_short),
        )  # fmt: skip
        logging.shutdown()
        os._exit(0)  # else the interpreter waits at exit for the jobs' threads


def _serve_worker_metrics(port: int | None, token: str | None) -> None:
    """A worker on a machine of its own serves its counters on ``port``; one that
    ``plaza serve`` started records them where the web's ``/metrics`` reads them."""
    if port is None or exposition.shared():
        return
    if not token:
        log.warning("PLAZA_WORKER_METRICS_PORT is set without PLAZA_METRICS_TOKEN: no metrics")
        return
    try:
        exposition.serve_in_thread(port, token)
    except OSError as exc:
        raise click.ClickException(f"Cannot serve metrics on port {port}: {exc}") from exc
    click.echo(f"Worker metrics at :{port}/metrics (bearer token PLAZA_METRICS_TOKEN).")
