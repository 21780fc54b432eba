"""``plaza serve`` and ``plaza worker``: the web server and the background worker."""

from __future__ import annotations

import logging

import click
import waitress
from flask.cli import with_appcontext

from app.cli.schema import require_schema
from app.web.current import current_app_object
from app.worker import build_scheduler


@click.command("serve", help="Serve Plaza (with the worker in-process unless --no-worker).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-worker", is_flag=True, help="Run the worker as its own process instead.")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def serve_command(host: str, port: int, no_worker: bool, threads: int) -> None:
    require_schema()
    app = current_app_object()
    _configure_logging()
    if not no_worker:
        build_scheduler(app, blocking=False).start()
        click.echo("Worker running in-process.")
    click.echo(f"Plaza is serving at http://{host}:{port}/")
    waitress.serve(app, host=host, port=port, threads=threads, ident="Plaza")


@click.command("worker", help="Run the refresh worker (APScheduler) in the foreground.")
@with_appcontext
def worker_command() -> None:
    require_schema()
    _configure_logging()
    click.echo("Worker started; Ctrl+C stops it.")
    scheduler = build_scheduler(current_app_object(), blocking=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Worker stopped.")


def _configure_logging() -> None:
    """Plaza's own events at INFO; APScheduler's every-tick chatter only when it matters."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
