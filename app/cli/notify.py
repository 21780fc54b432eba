"""``plaza notify ...``: the notification job by hand, and a key for Web Push."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from app.notifications.jobs import run
from app.notifications.vapid import new_private_key
from app.web.current import current_app_object


@click.group("notify", help="Notifications: run the job by hand, make a Web Push key.")
def notify_group() -> None:
    pass


@notify_group.command("run", help="Enqueue, build due digests and deliver the outbox once.")
@click.option("--drain", is_flag=True, help="Keep delivering until nothing is due or in flight.")
@with_appcontext
def run_command(drain: bool) -> None:
    totals = run(current_app_object(), drain=drain)
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(totals.items()) if v) or "nothing to do")


@notify_group.command(
    "vapid-key", help="Print a new VAPID private key for PLAZA_VAPID_PRIVATE_KEY."
)
def vapid_key_command() -> None:
    click.echo(new_private_key())
