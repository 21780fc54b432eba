"""Partners for the portal and API tests: organisations, members, staff, tokens, results.

``tests/api/conftest.py`` loads this file too, so both suites arrange their
worlds the same way (a non-root conftest cannot be shared through
``pytest_plugins``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.accounts.users import create_user
from app.models import Event, Organization, Provider, Role, SurveyAnswer
from app.partners.orgs import create_organization
from app.partners.tokens import issue_token


@dataclass
class Partners:
    """Builds partner-side data through the same functions the app uses."""

    world: Any  # tests/conftest.py's World

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.world.db

    def org(self, slug: str, name: str | None = None) -> Organization:
        with self.world.app.app_context():
            organization = create_organization(self.db, slug, name or slug.title())
            self.db.commit()
            return organization

    def member(self, organization: Organization, email: str) -> int:
        with self.world.app.app_context():
            user = create_user(self.db, email, self.world.password, Role.RETAILER, organization)
            user.onboarded_at = datetime.now(UTC)
            self.db.commit()
            return user.id

    def staff(self, email: str = "staff@example.com") -> int:
        with self.world.app.app_context():
            user = create_user(self.db, email, self.world.password, Role.STAFF)
            user.onboarded_at = datetime.now(UTC)
            self.db.commit()
            return user.id

    def login(self, email: str, client: FlaskClient | None = None) -> str:
        return self.world.login(email, client=client)

    def csrf(self, client: FlaskClient, path: str) -> str:
        """The CSRF token of ``client``'s session, read from ``path``."""
        return self.world.csrf(path, client)

    def provider(
        self,
        organization: Organization,
        name: str,
        kind: str = "product_feed",
        config: dict[str, Any] | None = None,
        **fields: Any,
    ) -> Provider:
        provider = Provider(
            organization_id=organization.id,
            kind=kind,
            name=name,
            config=config or {"url": f"https://{organization.slug}.example/{name}.xml"},
            interests=fields.pop("interests", ["shoes"]),
            **fields,
        )
        self.db.add(provider)
        self.db.commit()
        return provider

    def token(self, organization: Organization, scope: str = "write") -> str:
        _, secret = issue_token(self.db, organization, scope, f"{scope} token")
        self.db.commit()
        return secret

    def events(
        self, user_id: int, card_id: int, provider_id: int, kind: str, count: int, when: datetime
    ) -> None:
        self.db.add_all(
            Event(
                user_id=user_id,
                card_id=card_id,
                provider_id=provider_id,
                kind=kind,
                created_at=when,
            )
            for _ in range(count)
        )
        self.db.commit()

    def answer(self, user_id: int, card_id: int, answer: dict[str, Any]) -> None:
        self.db.add(SurveyAnswer(user_id=user_id, card_id=card_id, answer=answer))
        self.db.commit()


@pytest.fixture
def partners(world) -> Partners:  # type: ignore[no-untyped-def]
    return Partners(world)


def days_ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


@pytest.fixture
def acme(partners: Partners) -> Organization:
    """Acme Outfitters, with its retailer logged in on ``client``."""
    org = partners.org("acme", "Acme Outfitters")
    partners.member(org, "retailer@acme.example")
    partners.login("retailer@acme.example")
    return org
