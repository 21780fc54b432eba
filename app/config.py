"""Configuration: every ``PLAZA_*`` setting in one table, then the environment, then tests.

Each :class:`Setting` names its type, its default and one line of help; the
README's configuration table is printed from this table (``plaza settings``) and a
test fails when the two differ, so no setting goes undocumented. Flask's
``from_prefixed_env`` turns ``PLAZA_DATABASE_URL`` into ``app.config["DATABASE_URL"]``
and parses JSON values; every value is then checked against its type, so a typo
stops the start with a sentence naming the setting instead of failing later.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

from app.logs import FORMATS as LOG_FORMATS


@dataclass(frozen=True)
class Setting:
    """One ``PLAZA_<name>`` setting."""

    name: str
    type: type  # str, int, float or bool
    default: Any  # None: unset (the help says what happens then)
    help: str
    shown_default: str | None = None  # for the README, when the default is computed

    @property
    def variable(self) -> str:
        return f"PLAZA_{self.name}"

    def describe_default(self) -> str:
        if self.shown_default is not None:
            return self.shown_default
        if self.default is None:
            return "unset"
        if self.default == "":
            return "empty"
        return f"`{str(self.default).lower() if self.type is bool else self.default}`"


SETTINGS: tuple[Setting, ...] = (
    # The deployment
    Setting("ENV_NAME", str, "development",
            "`production` requires the secret key and makes cookies `Secure`"),
    Setting("DATABASE_URL", str, None,
            "any SQLAlchemy URL; `postgresql://...` uses psycopg 3",
            "SQLite (WAL) at `instance/plaza.sqlite3`"),
    Setting("SECRET_KEY", str, None,
            "signs sessions and feed cursors; **required** in production",
            "generated once into `instance/secret_key`"),
    Setting("PROXY_COUNT", int, 0,
            "proxies in front of Plaza whose `X-Forwarded-For`/`-Proto`/`-Host` are believed "
            "(Fly.io: 1); 0 ignores those headers"),
    Setting("HSTS_SECONDS", int, 63072000,
            "`Strict-Transport-Security` max-age sent over HTTPS (not when debugging or "
            "testing); 0 sends none"),
    # Operating it
    Setting("LOG_FORMAT", str, "text",
            "`text`: log lines for people; `json`: one JSON object a line, for a log pipeline "
            "(the Dockerfile and fly.toml set it). Either way each line carries its request's "
            "id (also sent as `X-Request-ID`) or its worker job run's"),
    Setting("METRICS_TOKEN", str, None,
            "the bearer token Prometheus must send to `/metrics`; unset, there is no `/metrics` "
            "(404)"),
    Setting("WORKER_METRICS_PORT", int, None,
            "where a `plaza worker` running on a machine of its own serves its counters "
            "(`/metrics`, same token); `plaza serve`'s worker adds them to the web's "
            "`/metrics` instead"),
    # Fetching
    Setting("FETCH_ALLOW", str, "",
            "hosts or networks the fetcher may reach although private, "
            "e.g. `127.0.0.2,10.1.2.0/24`"),
    Setting("YOUTUBE_API_KEY", str, None,
            "YouTube Data API key; without it channels and playlists are read from their "
            "Atom feeds"),
    Setting("YOUTUBE_FEED_URL", str, None,
            "where those Atom feeds are read (a mirror or a test server); an http(s) address "
            "without `?query`, still subject to `PLAZA_FETCH_ALLOW`",
            "`https://www.youtube.com/feeds/videos.xml`"),
    # The feed
    Setting("FEED_PAGE_SIZE", int, 20, "cards per feed page"),
    Setting("CANDIDATE_LIMIT", int, 1500,
            "newest cards about a shopper's interests that one feed page ranks"),
    Setting("CATALOG_WARM_UP", bool, False,
            "build the feed's catalog snapshot as a server process starts, not at its "
            "first page (`plaza serve` sets it)"),
    Setting("CATCH_UP_GAP_HOURS", float, 12,
            "a shopper who opens their feed this long after their previous visit finds the "
            "best cards stored since grouped at its top, under \"Since your last visit\""),
    Setting("PREPARED_FEED_MAX_AGE_MINUTES", int, 15,
            "a first page the worker ranked ahead is served for this long; an older one is "
            "ranked again on the request (cards published since wait that long at most)"),
    Setting("PREPARED_FEED_ACTIVE_DAYS", int, 3,
            "shoppers who opened their feed within this many days get their next first "
            "page ranked ahead by the worker"),
    Setting("PREPARED_FEED_BATCH", int, 200,
            "shoppers whose first page one run of the worker's job ranks ahead"),
    Setting("PREPARED_FEED_EVERY_SECONDS", int, 60,
            "how often a worker ranks first pages ahead"),
    # The community
    Setting("SCREENING_WARM_UP", bool, False,
            "load the community's screening classifier as a server process starts, not at "
            "its first post (`plaza serve` sets it)"),
    # Accounts
    Setting("LOGIN_MAX_FAILURES", int, 5,
            "failed logins per email within the login window before attempts slow down "
            "(each must wait twice as long as the last: 1 s, 2 s, 4 s...)"),
    Setting("LOGIN_MAX_FAILURES_PER_IP", int, 30,
            "failed logins from one address within the login window before attempts slow "
            "down; a browser that signed in to the account before is not slowed"),
    Setting("LOGIN_WINDOW_SECONDS", int, 15 * 60, "the window failed logins are counted in"),
    Setting("LOGIN_ATTEMPT_RETENTION_DAYS", int, 30,
            "days login attempts are kept before the worker deletes them"),
    Setting("STAFF_TWO_FACTOR", bool, False,
            "staff must set up two-factor authentication before anything else (set it in "
            "production)"),
    Setting("ARGON2_TIME_COST", int, 3, "Argon2id passes for password hashes"),
    Setting("ARGON2_MEMORY_COST", int, 65536, "Argon2id memory for password hashes, in KiB"),
    # Personal data
    Setting("EVENT_RETENTION_DAYS", int, 180,
            "days raw events (what a shopper was shown and did) are kept; the counts made "
            "from them keep their own window"),
    Setting("RESULTS_RETENTION_DAYS", int, 400,
            "days partners' results (counts per card and day, no person in them) are kept, "
            "whatever happens to the raw events they were counted from"),
    Setting("NOTIFICATION_RETENTION_DAYS", int, 90,
            "days a notification is kept once delivered, folded into a digest, skipped or failed"),
    # Community and moderation
    Setting("COMMUNITY_POST_LIMIT", int, 10,
            "questions, answers and ideas one account may post in 10 minutes (refused ones "
            "count too)"),
    Setting("REPORTS_PER_HOUR", int, 30, "reports one account may send in an hour"),
    Setting("APPEAL_WINDOW_DAYS", int, 20,
            "days a participant has to appeal a staff decision about them"),
    # The worker
    Setting("WORKER_CONCURRENCY", int, 4, "providers refreshed at once by a worker"),
    Setting("WORKER_TICK_SECONDS", int, 30, "how often a worker looks for due providers"),
    Setting("WORKER_PRUNE_SECONDS", int, 21600,
            "how often a worker prunes old cards, login attempts and personal data past "
            "retention"),
    Setting("WORKER_STOP_SECONDS", float, 8.0,
            "seconds a stopping worker (SIGTERM or SIGINT) lets running jobs finish; what "
            "they leave undone is claimed again by the next run"),
    # Notifications
    Setting("SMTP_URL", str, None,
            "`smtp://user:pw@host:587?starttls=true` or `smtps://host:465`",
            "unset (no email)"),
    Setting("SMTP_TIMEOUT", float, 10.0, "seconds to wait for the SMTP server"),
    Setting("VAPID_PRIVATE_KEY", str, None,
            "Web Push signing key; set it in production so web and worker share it "
            "(`plaza notify vapid-key` prints one)",
            "generated into `instance/`"),
    Setting("NOTIFY_BASE_URL", str, "http://127.0.0.1:8000",
            "where links in emails and pushes point"),
    Setting("NOTIFY_MAIL_FROM", str, "Plaza <notifications@plaza.invalid>",
            "the sender of notification emails"),
    Setting("NOTIFY_VAPID_SUBJECT", str, "mailto:notifications@plaza.invalid",
            "the contact push services are given (RFC 8292), a `mailto:` or `https:` address"),
    Setting("NOTIFY_TICK_SECONDS", int, 15, "how often a worker runs the notification job"),
    Setting("NOTIFY_BATCH", int, 200, "outbox rows a worker claims at a time"),
    Setting("NOTIFY_CONCURRENCY", int, 8, "pushes and emails sent at once by a worker"),
    Setting("NOTIFY_LEASE_SECONDS", int, 600,
            "how long a claimed row is a worker's before another may retry it"),
    Setting("NOTIFY_MAX_ATTEMPTS", int, 5, "delivery attempts before a notification fails"),
    Setting("NOTIFY_RETRY_SECONDS", int, 60,
            "the first retry's delay; each next one doubles, up to 6 hours"),
    Setting("NOTIFY_INSTANT_MIN_SCORE", float, 0.8,
            "how well a card must rank to go out at once instead of in the digest"),
    Setting("NOTIFY_INSTANT_PER_RUN", int, 3,
            "instant notifications per shopper and channel in one run; the rest wait"),
    Setting("NOTIFY_CARD_MAX_AGE_HOURS", int, 48, "cards older than this are not news"),
    Setting("NOTIFY_DIGEST_HOUR", int, 8, "local hour of daily and weekly digests"),
    Setting("NOTIFY_DIGEST_SIZE", int, 8, "cards listed in one part of a digest"),
    Setting("NOTIFY_PUSH_TTL", int, 86400, "seconds a push service keeps an undelivered push"),
    Setting("NOTIFY_PUSH_TIMEOUT", float, 10.0, "seconds to wait for a push service"),
    Setting("NOTIFY_PUSH_MAX_HOLD_SECONDS", int, 12 * 3600,
            "an instant push held longer than this (quiet hours) goes to the digest instead"),
    Setting("NOTIFY_PUSH_CA_CERTS", str, None,
            "a PEM bundle to trust for push services instead of the system's",
            "the system's"),
    # The API
    Setting("API_RATE_LIMIT", int, 600, "API requests per token per window"),
    Setting("API_RATE_WINDOW_SECONDS", int, 60, "the API rate limit's window"),
    Setting("API_MAX_BODY_BYTES", int, 64 * 1024, "largest API request body"),
)  # fmt: skip
BY_NAME = {setting.name: setting for setting in SETTINGS}

# What a product card's badges claim, so that each one means something (app/shopper/badges.py).
# A card is "New" this long after it was published or, if earlier, first stored by Plaza
# (app.ranking.candidate.new_until_ts), and ranking lifts it as long: a shopper coming back
# every other day still meets the new arrivals, and last week's stock stops calling itself
# new (a longer lift ranked worse in bench/ranking_eval.py).
NEW_BADGE_FOR = timedelta(days=2)
# "Price dropped" this long after the stored price fell, and a deal as long: a drop is news
# for a week (app.ranking.candidate.price_drop_until, the one rule for both).
PRICE_DROP_BADGE_FOR = timedelta(days=7)
# A sale saving less than this share of the price gets no "-n%" badge: "-2%" is noise.
MIN_DISCOUNT_PERCENT = 5

# Flask's and its extensions' own settings, as Plaza runs them. They can be overridden
# like any Flask setting (``PLAZA_SESSION_COOKIE_SAMESITE``) but are not Plaza's to document.
FRAMEWORK: dict[str, Any] = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_NAME": "remember_token",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": timedelta(days=30),
    "REMEMBER_COOKIE_DURATION": timedelta(days=30),  # "keep me signed in" (the privacy page)
    "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Flask-Compress (app/web/compression.py): Brotli, else gzip, for text of 500 bytes or
    # more; static files stream from disk and are compressed as they stream.
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/problem+json",
        "image/svg+xml",
    ],
    "COMPRESS_MIN_SIZE": 500,  # below that it fits one packet either way
    "COMPRESS_BR_LEVEL": 5,
    "COMPRESS_LEVEL": 6,
}

_TYPE_WORDS = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}


def settings_table() -> str:
    """The README's configuration table, as Markdown."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    rows += [f"| `{s.variable}` | {s.describe_default()} | {s.help} |" for s in SETTINGS]
    return "\n".join(rows) + "\n"


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the message says which and how to fix it."""


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    app.config.from_mapping(FRAMEWORK)
    app.config.from_mapping({s.name: s.default for s in SETTINGS if s.name != "SECRET_KEY"})
    app.config.from_prefixed_env("PLAZA")
    if test_config:
        app.config.from_mapping(test_config)
    for setting in SETTINGS:
        app.config[setting.name] = _checked(setting, app.config.get(setting.name))
    production = app.config["ENV_NAME"] == "production"
    if app.config["LOG_FORMAT"] not in LOG_FORMATS:
        given = app.config["LOG_FORMAT"]
        raise ConfigurationError(f"PLAZA_LOG_FORMAT must be text or json, not {given!r}.")
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


def _checked(setting: Setting, value: Any) -> Any:
    """``value`` as the setting's type; a value of another type stops the start."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if value is None:
        return None
    if setting.type is bool and isinstance(value, bool):
        return value
    if setting.type is int and number and value == int(value):
        return int(value)
    if setting.type is float and number:
        return float(value)
    if setting.type is str and (isinstance(value, str) or number):
        return str(value)  # from_prefixed_env parses a numeric-looking value as JSON
    raise ConfigurationError(
        f"{setting.variable} must be {_TYPE_WORDS[setting.type]}, not {value!r}: {setting.help}."
    )


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
    return str(value)


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
