"""``plaza settings``: every ``PLAZA_*`` setting, with the value in force or as the README
documents it."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from app.config import SETTINGS, settings_table

SECRET = ("SECRET_KEY", "VAPID_PRIVATE_KEY", "YOUTUBE_API_KEY", "SMTP_URL", "DATABASE_URL",
          "METRICS_TOKEN")  # fmt: skip


@click.command("settings", help="List every PLAZA_* setting and the value in force.")
@click.option("--markdown", is_flag=True, help="Print the README's table of settings instead.")
@with_appcontext
def settings_command(markdown: bool) -> None:
    if markdown:
        click.echo(settings_table(), nl=False)
        return
    width = max(len(s.variable) for s in SETTINGS)
    for setting in SETTINGS:
        value = current_app.config.get(setting.name)
        shown = "(set)" if setting.name in SECRET and value else repr(value)
        click.echo(f"{setting.variable:<{width}}  {shown}")
