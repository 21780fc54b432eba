"""Who reaches which moderation route, for every route of the staff console, reports and
decisions, read from the URL map (a route added tomorrow is checked tomorrow): a visitor
is sent to log in, the console is staff only, reporting and one's own decisions are for
everyone signed in. A refused request changes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app import create_app
from app.models import AuditEntry, Report
from tests.web.test_route_matrix import routes

AREAS = ("staff.", "staff_editorial.", "reports.", "decisions.")
_APP = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
MODERATION_ROUTES = [r for r in routes(_APP) if r[0].startswith(AREAS)]
ROLES = {
    "anonymous": None,
    "consumer": "shopper@example.com",
    "retailer": "retailer@example.com",
    "staff": "staff@example.com",
}


def test_every_moderation_area_has_routes():
    endpoints = {endpoint for endpoint, _, _ in MODERATION_ROUTES}
    assert {"staff.console", "staff.take_action", "staff.audit_log", "staff.audit_csv",
            "staff.transparency", "staff.decide", "reports.form", "reports.send",
            "decisions.index", "decisions.appeal", "staff_editorial.index",
            "staff_editorial.new", "staff_editorial.edit",
            "staff_editorial.end"} <= endpoints  # fmt: skip


def _url(mod, endpoint: str, url: str) -> str:  # type: ignore[no-untyped-def]
    """The sample URL, pointing at the world's card (``/x/`` kinds become ``card``)."""
    return url.replace("/acme/", "/card/").replace("/1/", f"/{mod.card_id}/")


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(
    ("endpoint", "method", "url"),
    MODERATION_ROUTES,
    ids=[f"{m} {u}" for _, m, u in MODERATION_ROUTES],
)
def test_authorisation_matrix(mod, role, endpoint, method, url):
    client, token = mod.client(ROLES[role])
    target = _url(mod, endpoint, url)
    if method == "POST":
        response = client.post(target, data={"csrf_token": token})
    else:
        response = client.get(target)
    status, location = response.status_code, response.headers.get("Location", "")
    if role == "anonymous":
        assert status in (302, 303) and location.startswith("/login"), (status, location)
    elif endpoint.startswith(("staff.", "staff_editorial.")) and role != "staff":
        assert status == 403, status
        assert "The staff console is for Plaza" in response.get_data(as_text=True)
    else:
        # Allowed in: a page, or the request's own problem (no reason, no such appeal).
        assert status in (200, 400, 404), (status, response.get_data(as_text=True)[:300])
    mod.world.db.expire_all()
    assert mod.world.db.exec(select(AuditEntry)).all() == []
    assert mod.world.db.exec(select(Report)).all() == []


def test_staff_without_two_factor_set_it_up_before_the_console_when_required(mod, app):
    app.config["STAFF_TWO_FACTOR"] = True
    client = app.test_client()
    token = mod.world.csrf(client=client)
    client.post(
        "/login",
        data={"email": "staff@example.com", "password": mod.world.password, "csrf_token": token},
    )
    for path in ("/staff", "/staff/audit", "/staff/transparency"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"] == "/account/two-factor"
