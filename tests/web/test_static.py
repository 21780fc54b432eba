"""Static files under URLs that change with their content, cached for a year; the service
worker at its one stable URL."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from flask import url_for

from app.web.static import IMMUTABLE, SHORT

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def test_pages_link_every_static_file_by_a_hash_of_its_bytes(world, app):
    world.consumer()
    world.login()
    assets = set(ASSET.findall(world.client.get("/").get_data(as_text=True)))
    assert {a.split("?")[0] for a in assets} >= {
        "/static/plaza.css",
        "/static/plaza.js",
        "/static/vendor/htmx.min.js",
        "/static/icon.svg",
    }
    for asset in assets:
        path, _, query = asset.partition("?")
        assert query == f"v={digest(Path(app.static_folder) / path.removeprefix('/static/'))}"


def test_a_versioned_file_is_immutable_and_anything_else_is_cached_briefly(app, client):
    with app.test_request_context():
        versioned = url_for("static", filename="plaza.css")
    fresh = client.get(versioned)
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == IMMUTABLE
    again = client.get(versioned, headers={"If-None-Match": fresh.headers["ETag"]})
    assert again.status_code == 304 and again.headers["Cache-Control"] == IMMUTABLE
    for other in ("/static/plaza.css", "/static/plaza.css?v=0123456789ab"):
        response = client.get(other)
        assert response.status_code == 200 and response.headers["Cache-Control"] == SHORT
        assert response.get_data() == fresh.get_data()
    # The same bytes for everyone: nothing varies on the cookie.
    assert "Cookie" not in fresh.headers.get("Vary", "")


def test_a_changed_file_gets_a_new_url(app, tmp_path):
    app.static_folder = str(tmp_path)
    style = tmp_path / "site.css"
    style.write_text("body { color: red }")
    with app.test_request_context():
        first = url_for("static", filename="site.css")
        style.write_text("body { color: blue; }")
        second = url_for("static", filename="site.css")
        missing = url_for("static", filename="missing.css")
    assert first == f"/static/site.css?v={hashlib.sha256(b'body { color: red }').hexdigest()[:12]}"
    assert second != first and second.startswith("/static/site.css?v=")
    assert missing == "/static/missing.css"


def test_the_service_worker_keeps_one_url_and_is_always_revalidated(app, client):
    with app.test_request_context():
        assert url_for("notifications.service_worker") == "/sw.js"
        assert url_for("static", filename="sw.js") == "/static/sw.js"
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Cache-Control"] == "no-cache"
    assert "javascript" in worker.mimetype
