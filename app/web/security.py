"""Security headers on every response, and the proxy Plaza may believe.

Every response carries a strict Content-Security-Policy: scripts, styles, fonts and
connections only from Plaza itself, with no inline script or style and no ``eval``
(Plaza's pages keep every script and style in ``static/``; htmx is told not to add
its own style element nor to evaluate anything, in ``base.html``). Images may come
from retailers' sites (cards show their product photos) and videos play in
YouTube's privacy-enhanced player, so those two are the only outside sources. No
page may be framed (``frame-ancestors 'none'``), no plugin runs, no ``<base>`` or
form may point elsewhere.

Beside it: ``X-Content-Type-Options: nosniff``, a ``Referrer-Policy`` that gives
other sites Plaza's origin only, a ``Permissions-Policy`` that turns off the
device features Plaza never uses, and ``Strict-Transport-Security`` on answers
sent over HTTPS outside debugging and tests (``PLAZA_HSTS_SECONDS``; 0 sends none).

A page for a signed-in person is theirs alone: it is sent with
``Cache-Control: no-store``, so neither a shared cache nor the browser's back
button shows it to the next person at the keyboard. The two pages a phone keeps for
offline (the saved cards and the feed) are sent ``private, no-cache`` instead, with
the account's marker, so that the service worker keeps them for that account only,
and logging out empties the browser's cache (``app/web/app_shell.py``).

Behind a proxy (Fly's, a load balancer) every request comes from the proxy's
address. ``PLAZA_PROXY_COUNT`` says how many proxies stand in front: Werkzeug's
ProxyFix then takes the client's address, scheme and host from that many
``X-Forwarded-*`` values, counted from the nearest, so a client cannot choose its
own address by sending the header itself. Without the setting the headers are
ignored.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request, session
from werkzeug.middleware.proxy_fix import ProxyFix

from app.web.app_shell import (
    ACCOUNT_HEADER,
    OFFLINE_CACHE_CONTROL,
    OFFLINE_ENDPOINTS,
    current_marker,
)

YOUTUBE_PLAYER = "https://www.youtube-nocookie.com"

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: https: http:",  # retailers' product photos and thumbnails
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self'",
        f"frame-src {YOUTUBE_PLAYER}",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "serial",
        "usb",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": PERMISSIONS_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Responses that are the same for everyone and cached on their own terms.
SHARED_ENDPOINTS = frozenset(
    {"static", "notifications.service_worker", "shell.manifest", "shell.offline", "media.image"}
)


def _secure_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    seconds = current_app.config["HSTS_SECONDS"]
    if seconds and request.is_secure and not (current_app.debug or current_app.testing):
        response.headers.setdefault("Strict-Transport-Security", f"max-age={seconds}")
    if request.endpoint in SHARED_ENDPOINTS:
        # The same file for everyone: no "Vary: Cookie" because Flask-Login looked at
        # the session after the view (a browser would fetch it again at every new cookie).
        session.accessed = False
        return response
    if _signed_in():
        if request.endpoint in OFFLINE_ENDPOINTS and response.status_code == 200:
            response.headers["Cache-Control"] = OFFLINE_CACHE_CONTROL
            response.vary.add("Cookie")
        else:
            response.headers["Cache-Control"] = "no-store"
        marker = current_marker()
        if marker:
            response.headers[ACCOUNT_HEADER] = marker
    return response


def _signed_in() -> bool:
    """Whether the request came with a signed-in session, read without marking the
    session accessed (that would add ``Vary: Cookie`` to every shared file)."""
    accessed = session.accessed
    signed_in = "_user_id" in session
    session.accessed = accessed
    return signed_in


def init_app(app: Flask) -> None:
    proxies = app.config["PROXY_COUNT"]
    if proxies:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
    app.after_request(_secure_headers)
