"""The OpenAPI document matches the code: schemathesis calls every operation with data
generated from the document (valid and invalid) and checks every answer against it.

The number of examples is bounded so the suite stays fast; the data behind the
calls is real (providers, cards, results, a survey with answers). One check is
left out: ``positive_data_acceptance`` expects every schema-valid request to
succeed, but an opaque cursor, an unknown interest or a duplicate provider is
schema-valid and still rightly refused.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlmodel import select

from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.models import Card, EventKind, Question, Suggestion

EXAMPLES = 12


@pytest.fixture
def arranged(app, partners, world, db, acme) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """An organisation with providers, cards, results and answers; its ids and a write token."""
    shopper = world.consumer()
    feed = partners.provider(acme, "Feed")
    (card,) = world.cards(feed, 1)
    partners.events(shopper, card, feed.id, EventKind.IMPRESSION, 3, datetime.now(UTC))
    survey = partners.provider(
        acme,
        "Survey",
        kind="survey",
        config={
            "title": "Quick",
            "questions": [{"id": "q", "prompt": "Yes?", "type": "single", "choices": ["Y", "N"]}],
            "starts_at": "2026-01-01T00:00:00Z",
            "ends_at": "2030-01-01T00:00:00Z",
        },
    )
    now = datetime.now(UTC)
    with app.app_context():
        refresh_provider(db, survey, context_for(app, survey, now), now)
    question = db.exec(select(Card).where(Card.provider_id == survey.id)).one()
    partners.answer(shopper, question.id, {"choices": ["c1"], "text": None})
    app.config["API_RATE_LIMIT"] = 100_000
    asked = Question(organization_id=acme.id, card_id=card, user_id=shopper, title="Wide fit?")
    idea = Suggestion(organization_id=acme.id, user_id=shopper, title="A wide fit", vote_count=1)
    db.add_all([asked, idea])
    db.commit()
    return {
        "token": partners.token(acme, "write"),
        "feed": feed.id,
        "survey": survey.id,
        "question": asked.id,
        "suggestion": idea.id,
    }


@pytest.fixture
def api_schema(app, arranged):  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Over WSGI schemathesis reads bodies as the app sent them, without undoing gzip
    # or Brotli: ask for them plain (tests/web/test_compression.py checks compression).
    schema.config.update(
        headers={"Authorization": f"Bearer {arranged['token']}", "Accept-Encoding": "identity"}
    )
    return schema


def test_every_operation_keeps_the_documents_promises(api_schema, arranged):  # type: ignore[no-untyped-def]
    """Each operation with generated valid and invalid input, and once more with the id
    of a real provider, since a random id only ever finds nothing.

    Hypothesis drives the operations directly: schemathesis's pytest plugin
    (``from_fixture``) does not run under pytest 9 yet, and this needs no plugin.
    """
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 15  # every operation but the document's own
    operations.sort(key=lambda op: op.method.upper() == "DELETE")  # keep the data for the rest
    for operation in operations:
        real_id = arranged[
            next((k for k in ("survey", "question", "suggestion") if f"/{k}s/" in operation.path),
                 "feed")
        ]  # fmt: skip
        strategies = [operation.as_strategy(generation_mode=GenerationMode.POSITIVE)]
        if operation.path_parameters:
            strategies.append(operation.as_strategy(path_parameters={"id": real_id}))
        if operation.path_parameters or operation.query or operation.body:
            strategies.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
        for strategy in strategies:

            @given(case=strategy)
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case):  # type: ignore[no-untyped-def]
                case.call_and_validate(excluded_checks=[positive_data_acceptance])

            call()


def test_the_document_is_openapi_3_1_and_documents_every_api_route(app):
    document = app.test_client().get("/api/v1/openapi.json").json
    assert document["openapi"] == "3.1.0"
    documented = {
        (path, method.upper())
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    routes = {
        (re.sub(r"<id:\w+>", "{id}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert documented == routes
    assert "KindConfig.youtube" in document["components"]["schemas"]
