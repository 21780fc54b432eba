"""No route lets one organisation see or change another's data, in the portal or the API.

The routes come from the app's URL map: every rule of the portal and API
blueprints is called with every method, by every role, for each of two
organisations, so a route added tomorrow is covered without anyone
remembering to add it here. A route parameter this file cannot fill makes the
test fail and ask for it; so does a new public route.

Expectations, per role:
- anonymous: the portal sends to the login page, the API answers 401;
- consumers: 403 everywhere in the portal (and they have no API token);
- a retailer, or a token: its own organisation works, another's is a 404 (as
  if it did not exist), also when only an id inside the URL is someone else's;
- staff: every organisation works in the portal.
Denied requests change nothing (the tables are compared before and after), and
no page a retailer gets mentions the other organisation's provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlmodel import select
from werkzeug.routing import Rule

from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.models import Card, EventKind, Question, Suggestion
from app.models.partners import ApiToken
from app.partners.orgs import invite

PORTAL = (
    "portal",
    "portal_providers",
    "portal_results",
    "portal_access",
    "portal_community",
    "portal_profile",
)
API = ("api",)
PUBLIC = {
    "portal_join.accept": (
        "guarded by its single-use secret; see test_members.py and test_membership.py"
    ),
    "api.openapi": "the API's public description",
}
STAFF_ONLY = {"portal.organizations"}
WITHOUT_ORG = {"portal.index", "portal.organizations"}
# The same for every partner, naming no organisation's data: the interest taxonomy.
SHARED = {"portal.interest_matches"}
MUTATING = ("POST", "PATCH", "DELETE", "PUT")
TABLES = {  # table -> the columns a denied request must leave alone
    **dict.fromkeys(
        (
            "provider",
            "card",
            "event",
            "survey_answer",
            "invitation",
            "organization",
            "user",
            "question",
            "answer",
            "suggestion",
            "suggestion_vote",
        ),
        "*",
    ),
    "api_token": "id, organization_id, scope, token_hash, revoked_at",  # not when last used
}
SURVEY = {
    "title": "Survey",
    "questions": [{"id": "q", "prompt": "Which?", "type": "single", "choices": ["A", "B"]}],
    "starts_at": "2026-01-01T00:00:00Z",
    "ends_at": "2030-01-01T00:00:00Z",
}


@dataclass
class Side:
    """One organisation with one of everything a URL can name."""

    slug: str
    member: str
    member_id: int
    secret_word: str
    provider_id: int
    card_id: int
    token_id: int
    invitation_id: int
    token: str
    question_id: int
    suggestion_id: int

    def values(self) -> dict[str, object]:
        return {
            "org": self.slug,
            "provider_id": self.provider_id,
            "survey_id": self.provider_id,
            "card_id": self.card_id,
            "token_id": self.token_id,
            "invitation_id": self.invitation_id,
            "member_id": self.member_id,
            "kind_name": "survey",
            "question_id": self.question_id,
            "suggestion_id": self.suggestion_id,
        }


@pytest.fixture
def sides(app, db, world, partners) -> tuple[Side, Side]:  # type: ignore[no-untyped-def]
    shopper = world.consumer("shopper@example.com")
    made = []
    for slug in ("alpha", "bravo"):
        org = partners.org(slug)
        member = f"retailer@{slug}.example"
        member_id = partners.member(org, member)
        provider = partners.provider(org, f"{slug}-secret-survey", kind="survey", config=SURVEY)
        now = datetime.now(UTC)
        with app.app_context():
            assert refresh_provider(db, provider, context_for(app, provider, now), now).ok
        card = db.exec(select(Card).where(Card.provider_id == provider.id)).one()
        partners.events(shopper, card.id, provider.id, EventKind.IMPRESSION, 2, now)
        partners.answer(shopper, card.id, {"choices": ["c1"], "text": None})
        secret = partners.token(org, "write")
        token = db.exec(select(ApiToken).where(ApiToken.organization_id == org.id)).one()
        invitation, _ = invite(db, org, None, now)
        question = Question(
            organization_id=org.id,
            card_id=card.id,
            user_id=shopper,
            title=f"{slug}-secret question?",
        )
        idea = Suggestion(organization_id=org.id, user_id=shopper, title=f"{slug}-secret idea")
        db.add_all([question, idea])
        db.commit()
        made.append(
            Side(
                slug,
                member,
                member_id,
                f"{slug}-secret",
                provider.id,
                card.id,
                token.id,
                invitation.id,
                secret,
                question.id,
                idea.id,
            )
        )
    return made[0], made[1]


def rules(app, blueprints: tuple[str, ...]) -> Iterator[tuple[Rule, str]]:  # type: ignore[no-untyped-def]
    found = False
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (_last(r.endpoint), r.rule)):
        if rule.endpoint.split(".")[0] not in blueprints or rule.endpoint in PUBLIC:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found = True
            yield rule, method
    assert found


def _last(endpoint: str) -> bool:
    """Deleting and revoking go last, so the other routes still find their objects."""
    return any(word in endpoint for word in ("delete", "remove", "revoke"))


def url(app, rule: Rule, values: dict[str, object]) -> str:  # type: ignore[no-untyped-def]
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.endpoint}: teach test_isolation.py a value for {missing}"
    with app.test_request_context():
        adapter = app.url_map.bind("localhost")
        return adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments}, method=None)


def snapshot(db) -> dict[str, list]:  # type: ignore[no-untyped-def]
    db.expire_all()
    return {
        table: db.execute(text(f'SELECT {columns} FROM "{table}" ORDER BY 1')).all()
        for table, columns in TABLES.items()
    }


def csrf_of(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/login", follow_redirects=True).get_data(as_text=True)
    match = re.search(r'"X-CSRFToken": "([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match
    return match.group(1) or match.group(2)


def call(client, method: str, path: str, token: str | None = None, csrf: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == "GET":
        return client.get(path, headers=headers)
    if path.startswith("/api/"):
        return client.open(path, method=method, json={}, headers=headers)
    return client.open(path, method=method, data={"csrf_token": csrf or ""}, headers=headers)


def test_every_portal_and_api_route_keeps_organisations_apart(app, db, world, partners, sides):
    alpha, bravo = sides
    partners.staff("staff@example.com")
    clients = {}
    for role, email in [("consumer", "shopper@example.com"), ("alpha", alpha.member),
                        ("bravo", bravo.member), ("staff", "staff@example.com")]:  # fmt: skip
        clients[role] = app.test_client()
        if email:
            partners.login(email, client=clients[role])
    clients["anonymous"] = app.test_client()
    tokens = {role: csrf_of(client) for role, client in clients.items()}
    side_of = {"alpha": alpha, "bravo": bravo}
    before = snapshot(db)
    checked = 0

    # 1. Denied: every portal route, every method, for those who may not reach it.
    for rule, method in rules(app, PORTAL):
        for target in (alpha, bravo):
            path = url(app, rule, target.values())
            for role, client in clients.items():
                own = role == "staff" or side_of.get(role) is target
                if own and role != "consumer":
                    continue
                response = call(client, method, path, csrf=tokens[role])
                checked += 1
                where = f"{role} {method} {path}"
                if role == "anonymous":
                    assert response.status_code == 302, where
                    assert "/login" in response.headers["Location"], where
                elif role == "consumer":
                    assert response.status_code == 403, where
                elif rule.endpoint in WITHOUT_ORG:
                    assert response.status_code in (302, 403), where
                elif rule.endpoint in SHARED:
                    assert response.status_code == 200, where
                else:
                    assert response.status_code == 404, where
                    assert target.secret_word not in response.get_data(as_text=True), where
        # The retailer's own organisation in the URL, the other's ids inside it.
        if set(rule.arguments) - {"org", "kind_name"}:
            mixed = {**bravo.values(), "org": alpha.slug}
            path = url(app, rule, mixed)
            response = call(clients["alpha"], method, path, csrf=tokens["alpha"])
            checked += 1
            assert response.status_code == 404, f"alpha {method} {path}"
            assert bravo.secret_word not in response.get_data(as_text=True), path
    # Ids in the query string are checked as well.
    for endpoint in ("portal_results.provider", "portal_results.provider_csv"):
        with app.test_request_context():
            path = app.url_map.bind("localhost").build(
                endpoint,
                {"org": alpha.slug, "provider_id": alpha.provider_id, "card": bravo.card_id},
            )
        assert clients["alpha"].get(path).status_code == 404, path

    # 2. Denied: every API route, with no token, a bad token, another organisation's token.
    for rule, method in rules(app, API):
        for target in (alpha, bravo):
            path = url(app, rule, target.values())
            other = bravo if target is alpha else alpha
            for token in (None, "plaza_not-a-token"):
                assert call(clients["anonymous"], method, path, token).status_code == 401, path
            session_only = call(clients[other.slug], method, path)
            assert session_only.status_code == 401, f"session cookie {method} {path}"
            checked += 3
            if set(rule.arguments):
                response = call(clients["anonymous"], method, path, other.token)
                checked += 1
                assert response.status_code == 404, f"{other.slug}'s token {method} {path}"
                assert target.secret_word not in response.get_data(as_text=True)
    queries = [("/api/v1/stats", {"provider": bravo.provider_id})]
    for path, query in queries:
        response = clients["anonymous"].get(
            path, query_string=query, headers={"Authorization": f"Bearer {alpha.token}"}
        )
        assert response.status_code == 404, path

    assert snapshot(db) == before, "a denied request changed something"

    # 3. Allowed: everyone reaches their own (and staff everything), and sees no one else's.
    for rule, method in rules(app, PORTAL):
        if method != "GET":
            continue
        for role, target in [("alpha", alpha), ("staff", alpha), ("staff", bravo)]:
            response = clients[role].get(url(app, rule, target.values()))
            checked += 1
            expected_refusal = role != "staff" and rule.endpoint in STAFF_ONLY
            assert (
                (response.status_code == 403) if expected_refusal else response.status_code < 400
            ), f"{role} GET {rule.rule}: {response.status_code}"
            if role == "alpha":
                assert bravo.secret_word not in response.get_data(as_text=True), rule.rule
    # Changes last, deleting and revoking after everything else: alpha through the API,
    # bravo in the portal, so that each finds its objects still there.
    changes = [
        (r, m)
        for r, m in rules(app, PORTAL + API)
        if m in MUTATING or r.endpoint.startswith("api.")
    ]
    for rule, method in sorted(changes, key=lambda rm: _last(rm[0].endpoint)):
        if rule.endpoint.startswith("api."):
            actor, other = alpha, bravo
            path = url(app, rule, actor.values())
            response = call(clients["anonymous"], method, path, actor.token)
        else:
            actor, other = bravo, alpha
            path = url(app, rule, actor.values())
            response = call(clients["bravo"], method, path, csrf=tokens["bravo"])
        checked += 1
        where = f"{actor.slug} {method} {path}: {response.status_code}"
        if rule.endpoint in STAFF_ONLY:
            assert response.status_code == 403, where
        else:
            assert response.status_code not in (401, 403, 404), where
        assert other.secret_word not in response.get_data(as_text=True), path
    assert checked > 300
