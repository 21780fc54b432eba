"""Configuration from PLAZA_* variables, and the server the README starts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app import create_app
from app.config import BY_NAME, FRAMEWORK, SETTINGS, ConfigurationError, settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_settings_come_from_plaza_variables(monkeypatch, tmp_path):
    monkeypatch.setenv("PLAZA_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("PLAZA_SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("PLAZA_FEED_PAGE_SIZE", "12")
    app = create_app()
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/env.db"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["FEED_PAGE_SIZE"] == 12


def test_development_keeps_a_generated_secret_key(monkeypatch, tmp_path):
    monkeypatch.delenv("PLAZA_SECRET_KEY", raising=False)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    first = create_app({"DATABASE_URL": "sqlite://"})
    second = create_app({"DATABASE_URL": "sqlite://"})
    assert len(first.config["SECRET_KEY"]) >= 40
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert first.config["DATABASE_URL"] == "sqlite://"


def test_production_requires_a_secret_key_and_secure_cookies(monkeypatch):
    monkeypatch.delenv("PLAZA_SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="PLAZA_SECRET_KEY must be set"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": "sqlite://"})
    app = create_app({"ENV_NAME": "production", "SECRET_KEY": "s", "DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_the_default_database_is_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("PLAZA_DATABASE_URL", raising=False)
    monkeypatch.setattr("flask.Flask.auto_find_instance_path", lambda self: str(tmp_path))
    app = create_app({"SECRET_KEY": "s"})
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/plaza.sqlite3"


def test_the_youtube_feed_address_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PLAZA_YOUTUBE_FEED_URL", "https://yt-mirror.example/feeds/videos.xml")
    app = create_app({"SECRET_KEY": "s", "DATABASE_URL": "sqlite://"})
    assert app.config["YOUTUBE_FEED_URL"] == "https://yt-mirror.example/feeds/videos.xml"
    monkeypatch.setenv("PLAZA_YOUTUBE_FEED_URL", "")
    unset = create_app({"SECRET_KEY": "s", "DATABASE_URL": "sqlite://"})
    assert unset.config["YOUTUBE_FEED_URL"] is None  # the kind keeps YouTube's own address


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("www.youtube.com/feeds/videos.xml", "must be an http:// or https:// address"),
        ("ftp://mirror.example/videos.xml", "must be an http:// or https:// address"),
        ("file:///etc/passwd", "must be an http:// or https:// address"),
        ("https:///feeds/videos.xml", "must be an http:// or https:// address"),
        ("http://[::1/feeds", "must be an http:// or https:// address"),
        ("https://mirror.example/feeds videos.xml", "must be an http:// or https:// address"),
        (42, "must be an http:// or https:// address"),
        ("https://mirror.example/videos.xml?channel_id=UC1", "must not have a ?query"),
        ("https://mirror.example/videos.xml?", "must not have a ?query"),
        ("https://mirror.example/videos.xml#top", "must not have a ?query"),
    ],
)
def test_a_wrong_youtube_feed_address_stops_the_start_with_the_reason(value, message):
    with pytest.raises(ConfigurationError, match=re.escape(message)) as raised:
        create_app({"SECRET_KEY": "s", "DATABASE_URL": "sqlite://", "YOUTUBE_FEED_URL": value})
    assert "PLAZA_YOUTUBE_FEED_URL" in str(raised.value)


def test_the_readme_lists_every_setting_as_the_table_says():
    """README's configuration table is what `plaza settings --markdown` prints."""
    readme = (ROOT / "README.md").read_text()
    assert settings_table() in readme, "run `plaza settings --markdown` and paste it in README.md"


def test_every_setting_the_code_reads_is_in_the_table():
    app_folder = ROOT / "app"
    read = set()
    for source in app_folder.rglob("*.py"):
        read |= set(re.findall(r"""(?:config|\bc)(?:\.get\(|\[)["']([A-Z][A-Z0-9_]+)["']""",
                               source.read_text()))  # fmt: skip
    read |= set(re.findall(r"""setting\(["']([A-Z][A-Z0-9_]+)["']""", "".join(
        s.read_text() for s in app_folder.rglob("*.py"))))  # fmt: skip
    flask_own = {"SECRET_KEY", "SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"}
    assert read - flask_own - set(FRAMEWORK) <= set(BY_NAME)
    assert {"NOTIFY_MAIL_FROM", "CANDIDATE_LIMIT", "API_RATE_LIMIT"} <= read


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("PLAZA_FEED_PAGE_SIZE", "twenty", "PLAZA_FEED_PAGE_SIZE must be a whole number"),
        ("PLAZA_FEED_PAGE_SIZE", "12.5", "PLAZA_FEED_PAGE_SIZE must be a whole number"),
        ("PLAZA_NOTIFY_INSTANT_MIN_SCORE", "high", "must be a number"),
        ("PLAZA_SMTP_URL", "[1, 2]", "PLAZA_SMTP_URL must be text"),
    ],
)
def test_a_setting_of_the_wrong_type_stops_the_start_with_its_name(
    monkeypatch, variable, value, says
):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError, match=re.escape(says)):
        create_app({"SECRET_KEY": "s", "DATABASE_URL": "sqlite://"})


def test_numbers_given_as_text_become_numbers(monkeypatch):
    monkeypatch.setenv("PLAZA_NOTIFY_INSTANT_MIN_SCORE", "1")
    monkeypatch.setenv("PLAZA_SECRET_KEY", "12345")
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["NOTIFY_INSTANT_MIN_SCORE"] == 1.0
    assert app.config["SECRET_KEY"] == "12345"


def test_plaza_settings_lists_every_setting_and_hides_secrets(monkeypatch):
    monkeypatch.setenv("PLAZA_SMTP_URL", "smtp://user:hunter2@mail.example:587")
    app = create_app({"SECRET_KEY": "s", "DATABASE_URL": "sqlite://"})
    listed = app.test_cli_runner().invoke(args=["settings"]).output
    assert all(setting.variable in listed for setting in SETTINGS)
    assert "hunter2" not in listed and "PLAZA_FEED_PAGE_SIZE" in listed
    markdown = app.test_cli_runner().invoke(args=["settings", "--markdown"]).output
    assert markdown == settings_table()
