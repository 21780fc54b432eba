"""Security headers on every response, HSTS over HTTPS in production, no-store for
signed-in pages (but the two kept for offline), and the proxy's client address believed
only where configured."""

from __future__ import annotations

import pytest

from app.web.security import CONTENT_SECURITY_POLICY


def directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


def test_the_policy_is_strict():
    policy = directives(CONTENT_SECURITY_POLICY)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "unsafe" not in CONTENT_SECURITY_POLICY


@pytest.mark.parametrize(
    "path", ["/", "/login", "/signup", "/static/plaza.css", "/sw.js", "/no-such-page", "/healthz"]
)
def test_every_response_carries_the_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers  # testing, and plain HTTP


def test_hsts_over_https_outside_tests(make_app, database_url):
    app = make_app(database_url)
    app.config["TESTING"] = False
    assert (
        app.test_client()
        .get("/login", base_url="https://plaza.example")
        .headers.get("Strict-Transport-Security")
        == "max-age=63072000"
    )
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    app.config["HSTS_SECONDS"] = 0
    headers = app.test_client().get("/login", base_url="https://plaza.example").headers
    assert "Strict-Transport-Security" not in headers


def test_signed_in_pages_are_not_stored(world):
    world.consumer()
    assert "no-store" not in world.client.get("/login").headers.get("Cache-Control", "")
    world.login()
    for path in ("/interests", "/settings/notifications", "/account"):
        assert world.client.get(path).headers["Cache-Control"] == "no-store", path
    # The two pages a phone keeps for offline: never in a shared cache, asked for anew.
    for path in ("/", "/saved"):
        response = world.client.get(path)
        assert response.headers["Cache-Control"] == "private, no-cache", path
        assert "Cookie" in response.vary, path
    static = world.client.get("/static/plaza.css")
    assert "no-store" not in static.headers["Cache-Control"]


def test_the_forwarded_client_address_is_believed_only_behind_a_configured_proxy(
    make_app, database_url, monkeypatch
):
    from flask import request

    seen = []
    for proxies in ("0", "1"):
        monkeypatch.setenv("PLAZA_PROXY_COUNT", proxies)
        app = make_app(database_url)

        @app.get("/whoami")
        def whoami() -> str:
            seen.append((request.remote_addr, request.scheme))
            return ""

        app.test_client().get(
            "/whoami",
            headers={"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
        )
    # Behind one proxy, the address it saw: not the one the client wrote in the header.
    assert seen == [("10.0.0.1", "http"), ("198.51.100.7", "https")]
