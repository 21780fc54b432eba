"""The ``plaza`` command (also ``flask --app app ...``): every command group, registered in
one place.

Every failure is one clear line on stderr and a non-zero exit status, so
scripts and the Fly release command can rely on it. ``plaza`` finds the app
the way ``flask --app app`` does (by its import path), so this package never
imports the app factory that registers it.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

from app.cli.database import db_group
from app.cli.demo import demo_command
from app.cli.notify import notify_group
from app.cli.orgs import orgs_group
from app.cli.popularity import popularity_group
from app.cli.providers import providers_group
from app.cli.results import results_group
from app.cli.screening import screening_group
from app.cli.serve import serve_command, worker_command
from app.cli.settings import settings_command
from app.cli.tokens import tokens_group
from app.cli.users import users_group

COMMANDS: tuple[click.Command, ...] = (
    db_group,
    demo_command,
    serve_command,
    worker_command,
    users_group,
    providers_group,
    orgs_group,
    tokens_group,
    popularity_group,
    results_group,
    notify_group,
    screening_group,
    settings_command,
)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)


def main() -> None:
    group = FlaskGroup(add_version_option=False, help="Plaza.")
    group.main(prog_name="plaza", obj=ScriptInfo(app_import_path="app"))
