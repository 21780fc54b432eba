"""The OpenAPI 3.1 document of ``/api/v1``, generated from the code it describes.

Bodies come from the pydantic models in :mod:`app.api.schemas` (which the
views validate and serialise with), and each kind's ``config`` from the
kind's own config model, so a newly installed kind is documented without
anyone editing this file. ``tests/api/test_openapi.py`` runs schemathesis
against the document to keep the two honest.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api import schemas
from app.api.pagination import DEFAULT_LIMIT, MAX_LIMIT
from app.api.problems import PROBLEM_TYPE, TITLES
from cards.registry import all_kinds

PREFIX = "/api/v1"
MAX_ID = 2**31 - 1
REQUESTS: tuple[type[BaseModel], ...] = (
    schemas.ProviderCreate,
    schemas.ProviderPatch,
    schemas.PreviewRequest,
    schemas.AnswerCreate,
    schemas.SuggestionPatch,
)
RESPONSES: tuple[type[BaseModel], ...] = (
    schemas.KindList,
    schemas.ProviderOut,
    schemas.ProviderPage,
    schemas.CardPage,
    schemas.PreviewOut,
    schemas.StatsOut,
    schemas.SurveyResultsOut,
    schemas.CommunityQuestionPage,
    schemas.AnswerOut,
    schemas.SuggestionPage,
    schemas.SuggestionOut,
    schemas.Problem,
)


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str) -> dict[str, Any]:
    return {"application/json": {"schema": _ref(name)}}


def _problems(*codes: int) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for code in codes:
        response: dict[str, Any] = {
            "description": TITLES[code],
            "content": {PROBLEM_TYPE: {"schema": _ref("Problem")}},
        }
        if code == 429:
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds until the token may call again.",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            }
        responses[str(code)] = response
    return responses


def _operation(
    summary: str,
    ok: tuple[int, str | None, str],
    problems: tuple[int, ...],
    *,
    body: str | None = None,
    parameters: list[dict[str, Any]] | None = None,
    public: bool = False,
) -> dict[str, Any]:
    code, schema, description = ok
    success: dict[str, Any] = {"description": description}
    if schema is not None:
        success["content"] = _json(schema)
    if code == 201 and schema == "ProviderOut":
        success["headers"] = {
            "Location": {"description": "The new provider.", "schema": {"type": "string"}}
        }
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {str(code): success, **_problems(*(() if public else (401, 429)), *problems)},
    }
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _json(body)}
    if parameters:
        operation["parameters"] = parameters
    if public:
        operation["security"] = []
    return operation


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
PAGE = [
    _query("cursor", {"type": "string"}, "The next_cursor of the previous page."),
    _query(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
        "Items per page.",
    ),
]
STATS = [
    _query("from", {"type": "string", "format": "date"}, "First UTC day (default: 29 days ago)."),
    _query("to", {"type": "string", "format": "date"}, "Last UTC day (default: today)."),
    _query(
        "provider",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "Only this provider; adds per-card totals.",
    ),
]
BODY_PROBLEMS = (400, 413, 415, 422)


def _paths() -> dict[str, Any]:
    provider = ("ProviderOut",)
    return {
        f"{PREFIX}/openapi.json": {
            "get": _operation(
                "This document", (200, None, "The OpenAPI document."), (), public=True
            )
        },
        f"{PREFIX}/kinds": {
            "get": _operation(
                "Card kinds and the JSON Schema of each one's config",
                (200, "KindList", "Every installed kind."),
                (),
            )
        },
        f"{PREFIX}/providers": {
            "get": _operation(
                "The organisation's providers with their health",
                (200, "ProviderPage", "One page of providers, oldest first."),
                (400,),
                parameters=PAGE,
            ),
            "post": _operation(
                "Register a provider (write scope)",
                (201, *provider, "The provider, due for its first refresh."),
                (403, *BODY_PROBLEMS),
                body="ProviderCreateAnyKind",
            ),
        },
        f"{PREFIX}/providers/preview": {
            "post": _operation(
                "Run a provider's refresh without saving it (write scope)",
                (200, "PreviewOut", "What the source gives now, or why it failed."),
                (403, *BODY_PROBLEMS),
                body="PreviewRequestAnyKind",
            )
        },
        f"{PREFIX}/providers/{{id}}": {
            "parameters": [ID],
            "get": _operation("One provider", (200, *provider, "The provider."), (404,)),
            "patch": _operation(
                "Change a provider's settings or pause/resume it (write scope)",
                (200, *provider, "The changed provider."),
                (403, 404, 409, *BODY_PROBLEMS),
                body="ProviderPatch",
            ),
            "delete": _operation(
                "Delete a provider and its cards (write scope)",
                (204, None, "Deleted."),
                (403, 404),
            ),
        },
        f"{PREFIX}/providers/{{id}}/refresh": {
            "parameters": [ID],
            "post": _operation(
                "Refresh within a minute (write scope)",
                (202, *provider, "The provider, now due."),
                (403, 404, 409),
            ),
        },
        f"{PREFIX}/providers/{{id}}/cards": {
            "parameters": [ID],
            "get": _operation(
                "A provider's cards",
                (200, "CardPage", "One page of cards, oldest first."),
                (400, 404),
                parameters=PAGE,
            ),
        },
        f"{PREFIX}/stats": {
            "get": _operation(
                "Impressions, opens, saves, dismisses and open rate per UTC day",
                (200, "StatsOut", "Results of the organisation, or of one provider."),
                (400, 404),
                parameters=STATS,
            )
        },
        f"{PREFIX}/questions": {
            "get": _operation(
                "Shoppers' questions to the organisation, with their answers",
                (200, "CommunityQuestionPage", "One page of visible questions, oldest first."),
                (400,),
                parameters=[
                    *PAGE,
                    _query(
                        "open",
                        {"type": "boolean"},
                        "true: only questions the organisation has not answered yet.",
                    ),
                ],
            )
        },
        f"{PREFIX}/questions/{{id}}/answers": {
            "parameters": [ID],
            "post": _operation(
                "Answer a question for the organisation (write scope)",
                (201, "AnswerOut", "The answer; the asker and followers are told."),
                (403, 404, 409, *BODY_PROBLEMS),
                body="AnswerCreate",
            ),
        },
        f"{PREFIX}/suggestions": {
            "get": _operation(
                "Shoppers' ideas for the organisation",
                (200, "SuggestionPage", "One page of visible ideas, oldest first."),
                (400,),
                parameters=PAGE,
            )
        },
        f"{PREFIX}/suggestions/{{id}}": {
            "parameters": [ID],
            "patch": _operation(
                "Set an idea's status, with a note (write scope)",
                (200, "SuggestionOut", "The idea; on a new status its voters are told."),
                (403, 404, 409, *BODY_PROBLEMS),
                body="SuggestionPatch",
            ),
        },
        f"{PREFIX}/surveys/{{id}}/results": {
            "parameters": [ID],
            "get": _operation(
                "A survey's answers per question",
                (200, "SurveyResultsOut", "Counts per choice and the written answers."),
                (404,),
            ),
        },
    }


def _component_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", text)


def _per_kind(base: dict[str, Any], name: str, configs: dict[str, str]) -> dict[str, Any]:
    """``base`` (a body with ``kind`` and ``config``) once per kind, as a oneOf."""
    variants = {}
    for kind, config_component in configs.items():
        variant = copy.deepcopy(base)
        variant["properties"]["kind"] = {"type": "string", "const": kind}
        variant["properties"]["config"] = _ref(config_component)
        variant["title"] = f"{base.get('title', name)} ({kind})"
        variants[_component_name(f"{name}.{kind}")] = variant
    return variants


def openapi_document() -> dict[str, Any]:
    _, definitions = models_json_schema(
        [(m, "validation") for m in REQUESTS] + [(m, "serialization") for m in RESPONSES],
        ref_template="#/components/schemas/{model}",
    )
    components: dict[str, Any] = dict(definitions.get("$defs", {}))
    configs: dict[str, str] = {}
    for kind_name, kind in all_kinds().items():
        prefix = _component_name(f"KindConfig.{kind_name}")
        schema = kind.config_model.model_json_schema(
            ref_template=f"#/components/schemas/{prefix}.{{model}}"
        )
        for nested, nested_schema in schema.pop("$defs", {}).items():
            components[f"{prefix}.{_component_name(nested)}"] = nested_schema
        components[prefix] = schema
        configs[kind_name] = prefix
    for body in ("ProviderCreate", "PreviewRequest"):
        variants = _per_kind(components[body], body, configs)
        components.update(variants)
        components[f"{body}AnyKind"] = (
            {"oneOf": [_ref(v) for v in variants]} if variants else _ref(body)
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Plaza partner API",
            "version": "1.0.0",
            "description": (
                "Register card providers, watch their health and read their results; "
                "answer shoppers' questions and say what became of their ideas. "
                "Authenticate with an organisation's token: 'Authorization: Bearer <token>'. "
                "Errors are application/problem+json; lists page with ?cursor=."
            ),
        },
        "paths": _paths(),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearerAuth": []}],
    }
