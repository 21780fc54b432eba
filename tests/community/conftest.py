"""A small community: Acme Outfitters with a card, its retailer, a retailer of Globex,
two shoppers, staff; one signed-in client per person. Report tests use a small
moderation world (tests/moderation.py)."""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlmodel import select

from app.models import Notification, Organization
from tests.conftest import World
from tests.moderation import Moderation, moderation_world


def _portal_conftest() -> Any:
    path = Path(__file__).resolve().parents[1] / "portal" / "conftest.py"
    spec = importlib.util.spec_from_file_location("plaza_tests_partners", path)
    assert spec and spec.loader
    module = sys.modules.get(spec.name)
    if module is None:
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return module


partners = _portal_conftest().partners

PEOPLE = {
    "shopper": "shopper@example.com",
    "neighbour": "neighbour@example.com",
    "retailer": "retailer@acme.example",
    "outsider": "retailer@globex.example",
    "staff": "staff@example.com",
}


@dataclass
class Community:
    world: Any
    acme: Organization
    globex: Organization
    card_id: int
    globex_card_id: int
    ids: dict[str, int]
    clients: dict[str, FlaskClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def db(self):  # type: ignore[no-untyped-def]
        return self.world.db

    def client(self, who: str) -> tuple[FlaskClient, str]:
        """A client signed in as ``who`` and its CSRF token (anonymous: signed out)."""
        if who not in self.clients:
            client = self.world.app.test_client()
            if who == "anonymous":
                self.tokens[who] = self.world.csrf("/login", client)
            else:
                self.tokens[who] = self.world.login(PEOPLE[who], client=client)
            self.clients[who] = client
        return self.clients[who], self.tokens[who]

    def post(self, who: str, url: str, htmx: bool = False, **data: str) -> Any:
        client, token = self.client(who)
        headers = {"HX-Request": "true"} if htmx else {}
        return client.post(url, data={"csrf_token": token, **data}, headers=headers)

    def get(self, who: str, url: str, **kwargs: Any) -> Any:
        client, _ = self.client(who)
        return client.get(url, **kwargs)

    def ask(self, who: str = "shopper", title: str = "Does it come in a wide fit?", **data: str):  # type: ignore[no-untyped-def]
        return self.post(who, f"/cards/{self.card_id}/questions", title=title, **data)

    def suggest(self, who: str = "shopper", title: str = "This jacket in a wide fit", **data: str):  # type: ignore[no-untyped-def]
        return self.post(who, "/o/acme/suggestions", title=title, **data)

    def messages(self, who: str) -> list[Notification]:
        self.db.expire_all()
        return list(
            self.db.exec(
                select(Notification)
                .where(Notification.user_id == self.ids[who], Notification.category == "community")
                .order_by(Notification.id)
            )
        )


def text_of(response: Any) -> str:
    """The page's text with tags dropped, as a person reads it."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def community(world, partners) -> Community:  # type: ignore[no-untyped-def]
    acme = partners.org("acme", "Acme Outfitters")
    globex = partners.org("globex", "Globex Goods")
    ids = {
        "shopper": world.consumer(PEOPLE["shopper"]),
        "neighbour": world.consumer(PEOPLE["neighbour"]),
        "retailer": partners.member(acme, PEOPLE["retailer"]),
        "outsider": partners.member(globex, PEOPLE["outsider"]),
        "staff": partners.staff(PEOPLE["staff"]),
    }
    jackets = partners.provider(acme, "Jackets")
    (card_id,) = world.cards(jackets, 1)
    pans = partners.provider(globex, "Pans")
    (globex_card_id,) = world.cards(pans, 1)
    return Community(world, acme, globex, card_id, globex_card_id, ids)


@pytest.fixture
def mod(world: World) -> Moderation:
    return moderation_world(world)
