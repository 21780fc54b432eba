"""Static files under URLs that change with their content, cached for a year.

``url_for('static', filename='plaza.css')`` gives ``/static/plaza.css?v=<hash>``,
the hash taken from the file's bytes, so every template that links a file this
way (all of Plaza's do) gets a new URL the moment the file changes. A request
whose ``v`` is the file's current hash is answered with ``Cache-Control: public,
max-age=31536000, immutable``: a browser keeps the file and never asks again. Any
other request for the file (no ``v``, as the demo's card images are linked, or a
``v`` from before a deploy) gets it with a five-minute cache and revalidation.

The service worker is the exception: a browser finds it again by its URL, so it
stays at ``/sw.js`` (``notifications.service_worker``), unversioned and
``no-cache``; here it is left unversioned too.

Query-string versions need no renamed files, no manifest and no build step;
WhiteNoise would bring hashed names only with a manifest written by a build
step (its hashing is Django's), for what these few lines do.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, Response, current_app, request, session
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300, must-revalidate"
UNVERSIONED = frozenset({"sw.js"})

_hashes: dict[str, tuple[float, int, str]] = {}  # path -> (mtime, size, hash)


def file_hash(filename: str) -> str | None:
    """A short hash of a static file's bytes (recomputed when the file changes), or None."""
    folder = current_app.static_folder
    if folder is None or filename in UNVERSIONED:
        return None
    path = safe_join(folder, filename)
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except (OSError, ValueError):
        return None
    known = _hashes.get(path)
    if known and known[:2] == (stat.st_mtime, stat.st_size):
        return known[2]
    with open(path, "rb") as file:
        digest = hashlib.sha256(file.read()).hexdigest()[:12]
    _hashes[path] = (stat.st_mtime, stat.st_size, digest)
    return digest


def _version_static_urls(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "v" not in values:
        digest = file_hash(str(values.get("filename", "")))
        if digest:
            values["v"] = digest


def _cache_static(response: Response) -> Response:
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    immutable = version is not None and version == file_hash(filename)
    response.headers["Cache-Control"] = IMMUTABLE if immutable else SHORT
    # The same file for everyone: no "Vary: Cookie" because Flask-Login looked at the
    # session after the request (a browser would revalidate at every new cookie).
    session.accessed = False
    return response


def init_app(app: Flask) -> None:
    """Register before Flask-Login, so that ``_cache_static`` runs after its after_request."""
    app.url_defaults(_version_static_urls)
    app.after_request(_cache_static)
