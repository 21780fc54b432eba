"""Plaza as an installable app: the manifest and its icons, the service worker's script
and what it keeps, and the account marker that keeps one shopper's offline pages from
another (app/web/app_shell.py, static/sw.js)."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest

from app.web.app_shell import account_marker

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r'<meta name="plaza-account" content="([^"]*)">')
MANIFEST_LINK = re.compile(r'<link rel="manifest" href="/manifest.webmanifest">')


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its IHDR chunk."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def shell(client) -> dict:
    """The shell the server puts in front of the worker's script."""
    script = client.get("/sw.js").get_data(as_text=True)
    first = script.splitlines()[0]
    assert first.startswith("self.PLAZA_SHELL = ") and first.endswith(";")
    return json.loads(first.removeprefix("self.PLAZA_SHELL = ").removesuffix(";"))


def test_the_manifest_makes_plaza_installable(client):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["name"] == "Plaza" and manifest["short_name"] == "Plaza"
    assert manifest["description"]
    assert manifest["id"] == "/" and manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#0f766e" and manifest["background_color"] == "#f4f5f2"
    pngs = {(i["sizes"], i["purpose"]) for i in manifest["icons"] if i["type"] == "image/png"}
    assert {("192x192", "any"), ("512x512", "any")} <= pngs
    assert {("192x192", "maskable"), ("512x512", "maskable")} <= pngs
    # The same file for everyone, so never "Vary: Cookie" nor "no-store".
    assert "Cookie" not in response.vary
    assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"]


def test_every_icon_the_manifest_lists_is_served_at_its_size(client):
    for icon in client.get("/manifest.webmanifest").get_json(force=True)["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon
        assert response.mimetype == icon["type"], icon
        if icon["type"] == "image/png":
            width, height = png_size(response.data)
            assert f"{width}x{height}" == icon["sizes"], icon


def test_the_maskable_icon_fills_its_square():
    """A launcher crops a maskable icon to any shape: its corners must not be see-through."""
    data = (ROOT / "static" / "icon-maskable-512.png").read_bytes()
    assert png_size(data) == (512, 512)
    colour_type = data[25]
    assert colour_type in (0, 2)  # greyscale or RGB: no alpha channel to be see-through


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_links_the_manifest(world, signed_in):
    world.consumer()
    pages = ["/", "/login", "/signup", "/privacy", "/offline", "/no-such-page"]
    if signed_in:
        world.login()
        pages = ["/", "/saved", "/interests", "/settings/notifications", "/account", "/search",
                 "/notifications", "/privacy", "/no-such-page"]  # fmt: skip
    for path in pages:
        html = world.client.get(path).get_data(as_text=True)
        assert MANIFEST_LINK.search(html), path
        assert re.search(r'<meta name="description" content="[^"]{50,}">', html), path


def test_the_service_worker_covers_the_site_and_is_always_revalidated(client):
    response = client.get("/sw.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Service-Worker-Allowed" not in response.headers  # served from /, scope / is its own
    assert "Cookie" not in response.vary
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    script = response.get_data(as_text=True)
    assert "showNotification" in script and "notificationclick" in script  # push goes on


def test_everything_the_worker_keeps_at_install_is_there_and_names_no_one(world):
    world.consumer()
    world.login()
    kept = shell(world.client)
    assert "/offline" in kept["precache"] and "/manifest.webmanifest" in kept["precache"]
    assert any(url.startswith("/static/plaza.css?v=") for url in kept["precache"])
    anonymous = world.app.test_client()  # the worker fetches the shell without cookies
    for url in kept["precache"]:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
    offline = anonymous.get("/offline").get_data(as_text=True)
    assert "You're offline" in offline
    assert "shopper@example.com" not in world.client.get("/offline").get_data(as_text=True)


STYLESHEET = re.compile(r'<link rel="stylesheet" href="/static/([^"?]+)\?v=')


def test_the_feed_asks_for_two_stylesheets_both_kept_by_the_worker(world):
    """The shopper's own rules live in plaza.css: each further file was one more request
    before the first page could be drawn."""
    world.consumer()
    world.cards(world.provider(), 3)
    world.login()
    page = world.client.get("/").get_data(as_text=True)
    linked = STYLESHEET.findall(page)
    assert linked == ["plaza.css", "notifications.css"]
    kept = shell(world.client)["precache"]
    for name in linked:
        assert any(url.startswith(f"/static/{name}?v=") for url in kept), name


def test_the_workers_version_follows_the_shell_files(app, client, tmp_path, monkeypatch):
    """A changed stylesheet changes the worker's bytes, so browsers install it anew."""
    before = shell(client)["version"]
    folder = tmp_path / "static"
    folder.mkdir()
    for name in ("sw.js", "plaza.css", "icon.svg"):
        (folder / name).write_bytes((ROOT / "static" / name).read_bytes())
    monkeypatch.setattr(app, "static_folder", str(folder))
    copied = shell(client)
    (folder / "plaza.css").write_text("body { color: red }")
    changed = shell(client)
    assert before != copied["version"] != changed["version"]
    assert changed["precache"] != copied["precache"]


def test_signed_in_pages_say_whose_they_are_without_saying_who(world):
    first_id = world.consumer("first@example.com")
    world.consumer("second@example.com")
    anonymous = world.client.get("/login")
    assert "Plaza-Account" not in anonymous.headers
    assert MARKER.search(anonymous.get_data(as_text=True))[1] == ""

    world.login("first@example.com")
    saved = world.client.get("/saved")
    marker = saved.headers["Plaza-Account"]
    assert MARKER.search(saved.get_data(as_text=True))[1] == marker
    assert world.client.get("/interests").headers["Plaza-Account"] == marker
    assert re.fullmatch("[0-9a-f]{20}", marker)
    with world.app.test_request_context():  # made with the secret key: no one can forge it
        assert account_marker(first_id) == marker
        secret, world.app.secret_key = world.app.secret_key, "another deployment"
        assert account_marker(first_id) != marker
        world.app.secret_key = secret
    cookie = world.client.get_cookie("session")
    assert cookie is not None and marker not in cookie.value
    # Another browser of the same account: the same marker, so its pages are its own.
    again = world.app.test_client()
    world.login("first@example.com", client=again)
    assert again.get("/saved").headers["Plaza-Account"] == marker

    other = world.app.test_client()
    world.login("second@example.com", client=other)
    assert other.get("/saved").headers["Plaza-Account"] != marker
    # The shared files name no account, even asked for with a session.
    for path in ("/sw.js", "/manifest.webmanifest", "/offline"):
        assert "Plaza-Account" not in world.client.get(path).headers, path
