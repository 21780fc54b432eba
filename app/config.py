"""Configuration: defaults, then ``PLAZA_*`` environment variables, then test overrides.

Flask's ``from_prefixed_env`` turns ``PLAZA_DATABASE_URL`` into
``app.config["DATABASE_URL"]`` and parses JSON values, so every setting can be
given in the environment of a process (Fly secrets, a shell, CI).
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "ENV_NAME": "development",
    "DATABASE_URL": None,  # default: SQLite with WAL in the instance folder
    "FETCH_ALLOW": "",
    "YOUTUBE_API_KEY": None,
    "YOUTUBE_FEED_URL": None,  # default: YouTube's own feeds (see cards/youtube.py)
    "FEED_PAGE_SIZE": 20,
    "CANDIDATE_LIMIT": 1500,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_MAX_FAILURES_PER_IP": 30,
    "LOGIN_WINDOW_SECONDS": 15 * 60,
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 65536,
    "WORKER_CONCURRENCY": 4,
    "WORKER_TICK_SECONDS": 30,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    "MAX_CONTENT_LENGTH": 1024 * 1024,
}


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("PLAZA")
    if test_config:
        app.config.from_mapping(test_config)
    production = app.config["ENV_NAME"] == "production"
    app.config["YOUTUBE_FEED_URL"] = _youtube_feed_url(app.config.get("YOUTUBE_FEED_URL"))
    if not app.config.get("DATABASE_URL"):
        path = Path(app.instance_path) / "plaza.sqlite3"
        app.config["DATABASE_URL"] = f"sqlite:///{path}"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise ConfigurationError("PLAZA_SECRET_KEY must be set in production.")
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _youtube_feed_url(value: Any) -> str | None:
    """``PLAZA_YOUTUBE_FEED_URL``: where channel and playlist feeds are read without an API key.

    Only for a mirror or a test server; the kind appends ``?channel_id=...`` itself, so
    the address may carry no query. It opens no hole: the fetcher still refuses private
    addresses unless ``PLAZA_FETCH_ALLOW`` names them.
    """
    if value is None or value == "":
        return None
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
    except ValueError:  # e.g. an unclosed [IPv6 bracket
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(c.isspace() for c in value)
    ):
        raise ConfigurationError(
            "PLAZA_YOUTUBE_FEED_URL must be an http:// or https:// address with a host, "
            "e.g. https://www.youtube.com/feeds/videos.xml."
        )
    if parts.query or parts.fragment or value.endswith(("?", "#")):
        raise ConfigurationError(
            "PLAZA_YOUTUBE_FEED_URL must not have a ?query or #fragment: Plaza adds "
            "?channel_id=... or ?playlist_id=... itself."
        )
    return value


def _instance_secret(instance: Path) -> str:
    """A development key kept in ``instance/`` so sessions survive restarts."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
