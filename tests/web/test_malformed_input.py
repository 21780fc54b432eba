"""Malformed input is a 400 or a 404, never a 500 (attacker findings): JSON nested
deeply enough to exhaust Python's recursion, and ids too large for the database's
integers, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from app.accounts.users import create_user
from app.models import Role
from app.partners.orgs import create_organization
from app.partners.tokens import issue_token
from app.web.json_input import MAX_DEPTH

HUGE = "9" * 30  # past any integer column: OverflowError on SQLite
BIG = str(2**63)  # past PostgreSQL's bigint
JUST_PAST = str(2**31)  # past PostgreSQL's integer
DEEP = b"[" * 30_000 + b"]" * 30_000  # RecursionError in Python's parser; under 64 KB
SHALLOW_ENOUGH_TO_PARSE = b'{"a":' * 900 + b"1" + b"}" * 900  # parses, then breaks a walker


@pytest.fixture
def signed_in(world):
    world.consumer()
    token = world.login()
    return world, token


@pytest.mark.parametrize("body", [DEEP, SHALLOW_ENOUGH_TO_PARSE], ids=["deep", "900-deep"])
@pytest.mark.parametrize(
    "path",
    [
        "/settings/notifications/timezone",
        "/notifications/push/subscriptions",
        "/notifications/push/subscriptions/remove",
    ],
)
def test_deeply_nested_json_is_a_400_on_the_pages(signed_in, path, body):
    world, token = signed_in
    response = world.client.post(
        path, data=body, headers={"Content-Type": "application/json", "X-CSRFToken": token}
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:200]


@pytest.mark.parametrize("body", [DEEP, SHALLOW_ENOUGH_TO_PARSE], ids=["deep", "900-deep"])
@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/providers"), ("POST", "/providers/preview")]
)
def test_deeply_nested_json_is_a_400_on_the_api(app, db, client, method, path, body):
    with app.app_context():
        organization = create_organization(db, "acme", "Acme")
        _, secret = issue_token(db, organization, "write", "t")
        db.commit()
    response = client.open(
        f"/api/v1{path}",
        method=method,
        data=body,
        headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert response.mimetype == "application/problem+json"


def test_json_within_the_depth_limit_still_parses(app):
    nested = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
    assert app.json.loads(nested) is not None
    with pytest.raises(ValueError):
        app.json.loads(b"[" + nested + b"]")


@pytest.mark.parametrize("number", [HUGE, BIG, JUST_PAST])
def test_over_large_ids_are_404_on_every_page_that_takes_one(world, number):
    world.consumer()
    token = world.login()
    for path in (
        f"/cards/{number}/why",
        f"/cards/{number}/open",
        f"/cards/{number}/player",
        f"/notifications/{number}",
        f"/notifications/{number}/open",
    ):
        assert world.client.get(path).status_code == 404, path
    for path in (
        f"/cards/{number}/save",
        f"/cards/{number}/answer",
        f"/notifications/{number}/read",
        f"/settings/notifications/devices/{number}/remove",
        f"/interests/shoes/unmute?card_id={number}",
    ):
        response = world.client.post(path, data={"csrf_token": token})
        assert response.status_code == 404, path
    assert world.client.get(f"/notifications?before={number}").status_code == 200


@pytest.mark.parametrize("number", [HUGE, BIG, JUST_PAST])
def test_over_large_ids_are_404_in_the_portal_and_the_api(world, db, app, number):
    with app.app_context():
        organization = create_organization(db, "acme", "Acme")
        create_user(db, "retailer@acme.example", world.password, Role.RETAILER, organization)
        _, secret = issue_token(db, organization, "write", "t")
        db.commit()
    world.login("retailer@acme.example")
    for path in (
        f"/portal/acme/providers/{number}",
        f"/portal/acme/providers/{number}/edit",
        f"/portal/acme/results/providers/{number}",
        f"/portal/acme/results/surveys/{number}",
    ):
        assert world.client.get(path).status_code == 404, path
    provider = world.provider("Feed")
    card = world.client.get(f"/portal/acme/results/providers/{provider.id}?card={number}")
    assert card.status_code == 404
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert api.get(f"/api/v1/providers/{number}", headers=bearer).status_code == 404
    stats = api.get(f"/api/v1/stats?provider={number}", headers=bearer)
    assert stats.status_code in (400, 404)
