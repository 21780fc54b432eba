"""Plaza as an installed app: what the service worker keeps, and whose it is.

The service worker (``static/sw.js``, served at ``/sw.js``) keeps two kinds of copies:

* **the app shell**: the stylesheets, scripts and icons every page links, the web app
  manifest and the offline page, fetched when the worker installs into a cache named
  after their versions, so a new deploy installs a new cache and the old one is
  deleted when the new worker takes over;
* **a shopper's last pages**: the saved cards page and the last feed page, each time
  they come from the network, to show when the network is gone.

A shopper's pages must never reach another account on the same phone, so every answer
to a signed-in request names its account in the ``Plaza-Account`` header (and the page
in a ``<meta>``): a marker derived from the account's id with the secret key, which says
nothing about the account (not its id, not the session) and cannot be made up for
another. The worker keeps pages in a cache named after the marker and deletes every
other account's cache as soon as it sees a page of a different account or of nobody
(after logging out, or when someone else signs in). Logging out also sends
``Clear-Site-Data: "cache"``, which empties the browser's own HTTP cache.

Only the pages in ``OFFLINE_ENDPOINTS`` may be kept: they are sent ``private, no-cache``
(a shared cache never stores them, the browser asks again every time) instead of the
``no-store`` that every other signed-in page keeps, and the worker stores nothing sent
``no-store`` (the account page, a 2FA set-up, the portal).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from flask import Flask, current_app, g, url_for
from werkzeug.wrappers import Response

ACCOUNT_HEADER = "Plaza-Account"
# The pages a phone keeps for offline: what the shopper saved, and the feed they last saw.
OFFLINE_ENDPOINTS = frozenset({"feed.home", "feed.saved"})
OFFLINE_CACHE_CONTROL = "private, no-cache"
# What every page links (base.html), kept by the worker so pages open without a network.
SHELL_FILES = (
    "plaza.css",
    "notifications.css",
    "vendor/htmx.min.js",
    "plaza.js",
    "notifications.js",
    "app-shell.js",
    "icon.svg",
    "icon-192.png",
    "icon-512.png",
    "icon-maskable-192.png",
    "icon-maskable-512.png",
)
WORKER_FILE = "sw.js"


def current_marker() -> str:
    """The marker of the account this request was answered for; empty when no one is
    signed in. Read from the user Flask-Login loaded, never loading one: the session
    cookie carries a browser session's key, not the account."""
    user = g.get("_login_user")
    if user is None or not user.is_authenticated:
        return ""
    return account_marker(user.get_id())


def account_marker(user_id: object) -> str:
    """The account's name for the worker's caches: the same on every page of the account,
    different for every other, and meaningless without the secret key."""
    key = current_app.secret_key
    secret = key if isinstance(key, bytes) else str(key).encode()
    message = f"plaza.offline-pages:{user_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:20]


def clear_browser_cache(response: Response) -> Response:
    """Asks the browser to empty its HTTP cache for Plaza: the next person at this
    browser gets nothing of the last one's pages from it, not even through Back."""
    response.headers["Clear-Site-Data"] = '"cache"'
    return response


def shell_urls() -> list[str]:
    """The app shell's URLs, each static file under its content-versioned URL; files
    not installed (htmx before ``make``) are left out rather than break the install."""
    folder = current_app.static_folder or "static"
    files = [name for name in SHELL_FILES if os.path.exists(os.path.join(folder, name))]
    return [
        *(url_for("static", filename=name) for name in files),
        url_for("shell.manifest"),
        url_for("shell.offline"),
    ]


def service_worker_script() -> str:
    """``static/sw.js`` with the shell's URLs and their version in front of it.

    The version is a hash of the URLs (which carry each file's hash) and of the worker
    itself, so any change to a shell file changes the worker's bytes: browsers install
    the new worker, which fills a new cache and deletes the old one.
    """
    folder = current_app.static_folder or "static"
    with open(os.path.join(folder, WORKER_FILE), encoding="utf-8") as file:
        worker = file.read()
    urls = shell_urls()
    version = hashlib.sha256((json.dumps(urls) + worker).encode()).hexdigest()[:12]
    shell = {
        "version": version,
        "precache": urls,
        "offlineUrl": url_for("shell.offline"),
        "accountHeader": ACCOUNT_HEADER,
    }
    return f"self.PLAZA_SHELL = {json.dumps(shell)};\n{worker}"


def _template_marker() -> dict[str, Any]:
    return {"plaza_account": current_marker()}


def init_app(app: Flask) -> None:
    app.context_processor(_template_marker)
