"""Suspending an organisation suspends the organisation itself: its providers' cards,
those registered afterwards included, leave every feed and card page, the worker leaves
them alone, its members are told and cannot publish, until staff restore it (logged)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.ingest.due import claim_due
from app.models import Organization, Provider
from app.partners.orgs import plaza_organization
from app.partners.tokens import issue_token
from tests.moderation import Moderation, moderation_world

STAFF = "staff@example.com"


@pytest.fixture
def mod(world) -> Moderation:  # type: ignore[no-untyped-def]
    return moderation_world(world)


def _acme(mod: Moderation) -> Organization:
    mod.world.db.expire_all()
    return mod.world.db.exec(select(Organization)).one()


def _suspend(mod: Moderation) -> None:
    shopper, token = mod.client("shopper@example.com")
    assert mod.report(shopper, token).status_code in (200, 303)
    staff, staff_token = mod.client(STAFF)
    response = mod.act(staff, staff_token, "suspend_organization", reason="A shop of fakes")
    assert response.status_code == 303, response.get_data(as_text=True)


def _feed(mod: Moderation) -> str:
    client, _ = mod.client("shopper@example.com")
    return client.get("/").get_data(as_text=True)


def test_a_provider_registered_after_the_suspension_never_shows_until_staff_restore(mod):
    world = mod.world
    assert "Northwind item 0" in _feed(mod)
    _suspend(mod)
    acme = _acme(mod)
    assert acme.suspended_at is not None
    assert "Northwind item 0" not in _feed(mod)
    # A provider registered afterwards: never refreshed, its cards never shown.
    later = world.provider("Later", next_run_at=datetime.now(UTC))
    (card_id,) = world.cards(later, 1, start=7)
    assert later.id not in claim_due(world.db, datetime.now(UTC))
    assert "Later item 7" not in _feed(mod)
    shopper, _ = mod.client("shopper@example.com")
    assert shopper.get(f"/cards/{card_id}/questions").status_code == 404
    (told,) = [m for m in mod.messages_to(mod.retailer_id) if m.channel == "in_app"]
    assert told.content["title"] == "Your organisation was suspended by Plaza's staff"

    staff, token = mod.client(STAFF)
    url = f"/staff/organizations/{acme.id}/restore"
    refused = staff.post(url, data={"csrf_token": token, "reason": " "})
    assert refused.status_code == 400 and _acme(mod).suspended_at is not None
    restored = staff.post(url, data={"csrf_token": token, "reason": "Fakes gone"})
    assert restored.status_code == 303
    assert restored.location.endswith("/portal/acme/")
    assert _acme(mod).suspended_at is None
    feed = _feed(mod)
    assert "Later item 7" in feed and "Northwind item 0" in feed
    assert [e.action for e in mod.audit()] == ["suspend_organization", "restore_organization"]
    assert mod.audit()[-1].target_kind == "organization" and mod.audit()[-1].reason == "Fakes gone"
    again = staff.post(url, data={"csrf_token": token, "reason": "Fakes gone"})
    assert again.status_code == 409 and len(mod.audit()) == 2


def test_members_of_a_suspended_organisation_see_why_and_cannot_publish(mod):
    _suspend(mod)
    retailer, token = mod.client("retailer@example.com")
    page = retailer.get("/portal/acme/").get_data(as_text=True)
    assert "Suspended by Plaza's staff" in page and "Restore organisation" not in page
    refused = retailer.post(
        "/portal/acme/providers/new/promotion", data={"csrf_token": token, "action": "save"}
    )
    assert refused.status_code == 403
    assert "suspended your organisation" in refused.get_data(as_text=True)
    secret = _token(mod)
    api = mod.world.app.test_client()
    created = api.post(
        "/api/v1/providers",
        json={"kind": "product_feed", "config": {"url": "https://acme.example/new.xml"}},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert created.status_code == 403 and "suspended" in created.get_json()["detail"]
    assert (
        api.get("/api/v1/providers", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    assert len(mod.world.db.exec(select(Provider)).all()) == 1
    staff, _ = mod.client(STAFF)
    assert "Restore organisation" in staff.get("/portal/acme/").get_data(as_text=True)


def _token(mod: Moderation) -> str:
    _, secret = issue_token(mod.world.db, _acme(mod), "write", "write token")
    mod.world.db.commit()
    return secret


def test_plazas_own_organisation_is_managed_from_the_staff_console_only(mod):
    plaza = plaza_organization(mod.world.db)
    mod.world.db.commit()
    staff, token = mod.client(STAFF)
    for response in (
        staff.get("/portal/plaza/"),
        staff.get("/portal/plaza/providers/new/editorial"),
        staff.post("/portal/plaza/providers/new/editorial", data={"csrf_token": token}),
    ):
        assert response.status_code == 303
        assert response.location.endswith("/staff/editorial")
    assert (
        mod.world.db.exec(select(Provider).where(Provider.organization_id == plaza.id)).all() == []
    )
