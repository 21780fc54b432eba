"""A small moderation world, shared by the staff and community tests: an organisation
with a card, two shoppers, a retailer of the organisation, and a staff member."""

from __future__ import annotations

from dataclasses import dataclass

from flask.testing import FlaskClient
from sqlmodel import select

from app.accounts.users import create_user
from app.models import AuditEntry, Notification, Organization, Role
from tests.conftest import PASSWORD, World


@dataclass
class Moderation:
    world: World
    card_id: int
    shopper_id: int
    other_id: int
    retailer_id: int
    staff_id: int

    def client(self, email: str | None) -> tuple[FlaskClient, str]:
        """A client signed in as ``email`` (None: signed out), and its CSRF token."""
        client = self.world.app.test_client()
        if email is None:
            return client, self.world.csrf(client=client)
        return client, self.world.login(email, client=client)

    def report(self, client: FlaskClient, token: str, kind: str = "card", target: int = 0, **form):  # type: ignore[no-untyped-def]
        data = {"reason": "offensive", "text": "", "csrf_token": token, **form}
        return client.post(f"/report/{kind}/{target or self.card_id}", data=data)

    def act(
        self,
        client: FlaskClient,
        token: str,
        action: str,
        kind: str = "card",
        target: int = 0,
        **form,
    ):  # type: ignore[no-untyped-def]
        data = {"action": action, "reason": "Breaks the rules", "csrf_token": token, **form}
        return client.post(f"/staff/{kind}/{target or self.card_id}/act", data=data)

    def audit(self) -> list[AuditEntry]:
        self.world.db.expire_all()
        return list(self.world.db.exec(select(AuditEntry).order_by(AuditEntry.id)).all())

    def messages_to(self, user_id: int) -> list[Notification]:
        self.world.db.expire_all()
        return list(
            self.world.db.exec(select(Notification).where(Notification.user_id == user_id)).all()
        )


def moderation_world(world: World) -> Moderation:
    provider = world.provider()
    (card_id,) = world.cards(provider, 1)
    shopper_id = world.consumer()
    other_id = world.consumer("other@example.com")
    with world.app.app_context():
        org = world.db.exec(select(Organization)).one()
        retailer = create_user(world.db, "retailer@example.com", PASSWORD, Role.RETAILER, org)
        staff = create_user(world.db, "staff@example.com", PASSWORD, Role.STAFF)
        world.db.commit()
        return Moderation(world, card_id, shopper_id, other_id, retailer.id, staff.id)
