"""Every route, from the URL map: state-changing ones refuse a request without a valid
CSRF token (the API's refuse the session cookie instead: they take bearer tokens), and
every route that is not on the short public list refuses a signed-out visitor.

The routes are read from ``app.url_map``, not listed here, so a route added tomorrow
is checked tomorrow; the lists below are the only exceptions, each with its reason,
and a test fails when one of them names a route that no longer exists.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from werkzeug.routing import Rule

from app import create_app

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# (endpoint, method) anyone may use signed out, and why.
PUBLIC: dict[tuple[str, str], str] = {
    ("feed.home", "GET"): "the landing page for visitors, the feed once signed in",
    ("auth.login", "GET"): "signing in",
    ("auth.login", "POST"): "signing in",
    ("auth.signup", "GET"): "signing up",
    ("auth.signup", "POST"): "signing up",
    ("auth.finish_signup_link", "GET"): "the emailed sign-up link: its token moves into the "
    "session",
    ("auth.finish_signup", "GET"): "finishing a sign-up (the emailed signed token)",
    ("auth.finish_signup", "POST"): "finishing a sign-up (the emailed signed token)",
    ("portal_join.accept_link", "GET"): "an invitation link: its secret moves into the session",
    ("portal_join.accept", "GET"): "joining by invitation (its secret is the credential)",
    ("portal_join.accept", "POST"): "joining by invitation (its secret is the credential)",
    ("portal_join.finish_link", "GET"): "the emailed link of an invitation: its secret and "
    "token move into the session",
    ("portal_join.finish", "GET"): "a new member's password (the invitation and emailed token)",
    ("portal_join.finish", "POST"): "a new member's password (the invitation and emailed token)",
    ("notifications.unsubscribe", "GET"): "one-click unsubscribe (a signed token, RFC 8058)",
    ("notifications.unsubscribe", "POST"): "one-click unsubscribe (a signed token, RFC 8058)",
    ("notifications.service_worker", "GET"): "the service worker script, the same for all",
    ("static", "GET"): "CSS, scripts and images",
    ("shell.manifest", "GET"): "the web app manifest, the same for all",
    ("shell.offline", "GET"): "the offline page the service worker keeps, the same for all",
    ("health.healthz", "GET"): "the platform's health check",
    ("health.readyz", "GET"): "the platform's readiness check",
    ("cards.open_card", "GET"): "a shared card link: signed out, it leads to sign-in",
    ("partners.page", "GET"): "a partner's page, read-only for visitors: following it, and "
    "its cards' actions, lead to sign-in",
    ("partners.questions", "GET"): "a partner's general questions, read-only for visitors "
    "like its page: asking leads to sign-in",
    ("share.card", "GET"): "a shared card's page, read-only for visitors: its actions and a "
    "question's answer lead to sign-in",
    ("api.openapi", "GET"): "the API's own description",
    ("api_reference.reference", "GET"): "the API's description for people",
    ("media.image", "GET"): "pictures partners uploaded, shown on public cards",
    ("auth.second_factor", "GET"): "login's second step: the password was just given",
    ("auth.second_factor", "POST"): "login's second step: the password was just given",
    ("pages.privacy", "GET"): "what Plaza keeps, why and for how long, linked at sign-up",
    ("account.forgot_password", "GET"): "a forgotten password: signed out by nature",
    ("account.forgot_password", "POST"): "a forgotten password: signed out by nature",
    ("account.reset_password_link", "GET"): "the emailed reset link: its token moves into "
    "the session",
    ("account.reset_password", "GET"): "the reset page (the emailed token is the credential)",
    ("account.reset_password", "POST"): "the reset page (the emailed token is the credential)",
    ("account.confirm_email_link", "GET"): "the link sent to a new address: its token moves "
    "into the session",
    ("account.confirm_email", "GET"): "confirming a new address (a one-time emailed token)",
    ("account.confirm_email", "POST"): "confirming a new address (a one-time emailed token)",
}
# (endpoint, method) that change state without the session's CSRF token, and why.
CSRF_EXEMPT: dict[tuple[str, str], str] = {
    ("notifications.unsubscribe", "POST"): "mail clients post it with no page (RFC 8058); "
    "the signed token in the URL is what authorises it",
}
# Routes that take bearer tokens only (app/api/guard.py), never the session cookie.
BEARER_PREFIX = "/api/"
# (endpoint, method) guarded by a token of the operator's, not by a session, and why.
OPERATOR_TOKEN: dict[tuple[str, str], str] = {
    ("metrics.metrics", "GET"): "Prometheus's scrape: PLAZA_METRICS_TOKEN as a bearer "
    "token; off (404) without it",
}

SAMPLE_VALUES = {"IdConverter": "1", "PathConverter": "shoes", "UnicodeConverter": "acme"}
CSRF_REFUSAL = "Your session expired or the form was sent from elsewhere"


def url_for_rule(rule: Rule) -> str:
    """A URL that routes to ``rule``, with a plausible value for each argument."""
    url = rule.rule
    for name, converter in (rule._converters or {}).items():
        value = SAMPLE_VALUES.get(type(converter).__name__, "x")
        url = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", value, url)
    if rule.endpoint == "static":
        url = "/static/plaza.css"
    return url


def routes(app: Flask) -> list[tuple[str, str, str]]:
    """Every (endpoint, method, url) the app answers, HEAD and OPTIONS aside."""
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            out.append((rule.endpoint, method, url_for_rule(rule)))
    return sorted(out)


_APP = create_app({"TESTING": True, "SECRET_KEY": "route-list", "DATABASE_URL": "sqlite://"})
ROUTES = routes(_APP)
GUARDED = [r for r in ROUTES if r[1] in STATE_CHANGING and (r[0], r[1]) not in CSRF_EXEMPT]
PRIVATE = [r for r in ROUTES if (r[0], r[1]) not in PUBLIC | OPERATOR_TOKEN]
TOKENED = [r for r in ROUTES if (r[0], r[1]) in OPERATOR_TOKEN]


def ids(rows: list[tuple[str, str, str]]) -> list[str]:
    return [f"{method} {url}" for _, method, url in rows]


def test_the_exception_lists_name_only_routes_that_exist():
    known = {(endpoint, method) for endpoint, method, _ in ROUTES}
    assert set(PUBLIC) <= known, set(PUBLIC) - known
    assert set(CSRF_EXEMPT) <= known, set(CSRF_EXEMPT) - known
    assert set(OPERATOR_TOKEN) <= known, set(OPERATOR_TOKEN) - known
    assert len(ROUTES) > 80  # the whole map, not an empty one


def test_every_url_built_here_routes_to_its_endpoint():
    adapter = _APP.url_map.bind("localhost")
    for endpoint, method, url in ROUTES:
        assert adapter.match(url.split("?")[0], method=method)[0] == endpoint, url


def refused_signed_out(response) -> bool:
    location = response.headers.get("Location", "")
    to_login = response.status_code in (302, 303) and location.startswith("/login")
    return to_login or response.status_code in (401, 403)


@pytest.fixture
def signed_in(world):
    """A staff member (who may reach every page) signed in, and their CSRF token."""
    from app.accounts.users import create_user
    from app.models import Role

    with world.app.app_context():
        create_user(world.db, "staff@example.com", world.password, Role.STAFF)
        world.db.commit()
    token = world.login("staff@example.com")
    return world.client, token


@pytest.mark.parametrize(("endpoint", "method", "url"), GUARDED, ids=ids(GUARDED))
def test_state_changing_routes_refuse_a_request_without_a_valid_csrf_token(
    signed_in, endpoint, method, url
):
    client, token = signed_in
    if url.startswith(BEARER_PREFIX):
        # The signed-in session cookie alone, even with its CSRF token: no bearer, no entry.
        response = client.open(url, method=method, json={}, headers={"X-CSRFToken": token})
        assert response.status_code == 401, response.get_data(as_text=True)[:300]
        return
    for headers, data in (
        ({}, {"interest": "shoes"}),  # no token at all
        ({"X-CSRFToken": "not-a-token"}, {}),  # a made-up one
        ({}, {"csrf_token": token[::-1]}),  # a real one, garbled
    ):
        response = client.open(url, method=method, data=data, headers=headers)
        assert response.status_code == 400, (url, response.status_code)
        assert CSRF_REFUSAL in response.get_data(as_text=True), url


@pytest.mark.parametrize(("endpoint", "method", "url"), PRIVATE, ids=ids(PRIVATE))
def test_every_route_that_is_not_public_refuses_a_signed_out_visitor(
    app, client, endpoint, method, url
):
    if url.startswith(BEARER_PREFIX):
        response = client.open(url, method=method, json={})
        assert response.status_code == 401, url
        return
    headers = {}
    if method in STATE_CHANGING:
        # With the visitor's own valid token: refused for who they are, not for CSRF.
        page = client.get("/login").get_data(as_text=True)
        headers["X-CSRFToken"] = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    response = client.open(url, method=method, headers=headers)
    assert refused_signed_out(response), (url, response.status_code, response.headers)
    assert CSRF_REFUSAL not in response.get_data(as_text=True)


@pytest.mark.parametrize(("endpoint", "method", "url"), TOKENED, ids=ids(TOKENED))
def test_operator_routes_refuse_a_session_even_staffs_without_their_token(
    app, signed_in, endpoint, method, url
):
    client, _ = signed_in
    assert client.open(url, method=method).status_code == 404  # no token set: no route
    app.config["METRICS_TOKEN"] = "operator-token"
    assert client.open(url, method=method).status_code == 401
    signed_out = app.test_client()
    assert signed_out.open(url, method=method).status_code == 401
    bearer = {"Authorization": "Bearer operator-token"}
    assert signed_out.open(url, method=method, headers=bearer).status_code == 200
