"""``/manifest.webmanifest`` (what a phone needs to install Plaza as an app) and
``/offline`` (what the service worker shows for a page it has no copy of)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

bp = Blueprint("shell", __name__)

MANIFEST_TYPE = "application/manifest+json"
THEME_COLOR = "#0f766e"  # the icon's and the light top bar's teal
BACKGROUND_COLOR = "#f4f5f2"  # the light page background, for the splash screen
ICON_SIZES = (192, 512)  # rendered from static/icon*.svg by scripts/render_icons.py


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    """The same for everyone (``SHARED_ENDPOINTS``), revalidated by its ETag."""
    data = {
        "id": "/",
        "name": "Plaza",
        "short_name": "Plaza",
        "description": "Your shops, your interests, one feed: new products, videos and "
        "offers picked for what you care about.",
        "lang": "en",
        "start_url": url_for("feed.home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "categories": ["shopping", "lifestyle"],
        "icons": [
            *(_png(f"icon-{size}.png", size, "any") for size in ICON_SIZES),
            *(_png(f"icon-maskable-{size}.png", size, "maskable") for size in ICON_SIZES),
            {
                "src": url_for("static", filename="icon.svg"),
                "type": "image/svg+xml",
                "sizes": "any",
                "purpose": "any",
            },
        ],
        "shortcuts": [
            {
                "name": "Saved",
                "url": url_for("feed.saved"),
                "description": "The cards you saved, also offline",
            },
        ],
    }
    response = jsonify(data)
    response.mimetype = MANIFEST_TYPE
    return _shared(response)


@bp.get("/offline")
def offline() -> ResponseReturnValue:
    """Kept by the worker when it installs, fetched without cookies: it names no one."""
    response = Response(render_template("offline.html", shell_page=True))
    return _shared(response)


def _png(filename: str, size: int, purpose: str) -> dict[str, str]:
    src = url_for("static", filename=filename)
    return {"src": src, "type": "image/png", "sizes": f"{size}x{size}", "purpose": purpose}


def _shared(response: Response) -> ResponseReturnValue:
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)
