"""The API's reference for people, read from the OpenAPI document itself.

Retailers' web teams asked for documentation they can read, not raw JSON; a viewer such
as Swagger UI would mean a large script from elsewhere or a copy of one to keep up to
date. The document is small and regular (``app.api.openapi`` writes it), so turning
it into endpoints and schemas for a template is little code, and the page can never
disagree with the document, which tests keep honest against the views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from app.api.openapi import openapi_document

METHODS = ("get", "post", "patch", "put", "delete")
CONSTRAINTS = (  # (keyword, what it says, its unit when it counts something)
    ("minimum", "at least {}", ""),
    ("maximum", "at most {}", ""),
    ("minLength", "at least {}", "character"),
    ("maxLength", "at most {}", "character"),
    ("minItems", "at least {}", "item"),
    ("maxItems", "at most {}", "item"),
    ("pattern", "matching {}", ""),
    ("default", "default {}", ""),
)


@dataclass(frozen=True)
class TypeText:
    """How a value's type reads ("integer", "array of ProviderOut"), and the schema it
    names, if any, for a link."""

    text: str
    schema: str | None = None


@dataclass(frozen=True)
class Field:
    name: str
    type: TypeText
    required: bool
    details: str  # its description, then its limits, as sentences


@dataclass(frozen=True)
class Response:
    status: str
    description: str
    schema: str | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    anchor: str
    public: bool
    parameters: list[Field]
    body: str | None
    responses: list[Response]


@dataclass(frozen=True)
class Schema:
    name: str
    anchor: str
    title: str
    description: str
    fields: list[Field]
    alternatives: list[str]  # a oneOf of other schemas (a body per card kind)
    type: TypeText | None  # what it is when it has no fields (an enum, a string...)


@dataclass(frozen=True)
class Reference:
    title: str
    version: str
    description: str
    operations: list[Operation]
    schemas: list[Schema]


def schema_anchor(name: str) -> str:
    return "schema-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def type_text(schema: dict[str, Any]) -> TypeText:
    """A JSON Schema's type in a few words."""
    if (name := _ref_name(schema)) is not None:
        return TypeText(name, name)
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            parts = [type_text(option) for option in schema[combinator]]
            linked = next((part.schema for part in parts if part.schema), None)
            return TypeText(" or ".join(part.text for part in parts), linked)
    if "const" in schema:
        return TypeText(f'"{schema["const"]}"')
    if "enum" in schema:
        return TypeText("one of " + ", ".join(f'"{value}"' for value in schema["enum"]))
    kind = schema.get("type", "any")
    if kind == "array":
        items = type_text(schema.get("items", {}))
        return TypeText(f"array of {items.text}", items.schema)
    if isinstance(kind, list):
        return TypeText(" or ".join(kind))
    if kind == "object" and "additionalProperties" in schema:
        values = schema["additionalProperties"]
        if isinstance(values, dict) and values:
            inner = type_text(values)
            return TypeText(f"object of {inner.text}", inner.schema)
    return TypeText(f"{kind} ({schema['format']})" if "format" in schema else str(kind))


def details(schema: dict[str, Any], description: str) -> str:
    """The field's description and limits in sentences: "Items per page. At least 1;
    at most 100; default 50." (a default of null says nothing worth reading)."""
    limits = []
    for key, template, unit in CONSTRAINTS:
        value = schema.get(key)
        if value is None:
            continue
        text = template.format(f'"{value}"' if key == "default" and value == "" else value)
        limits.append(f"{text} {unit}{'' if value == 1 else 's'}" if unit else text)
    sentences = [description.strip().rstrip(".")] if description.strip() else []
    if limits:
        sentences.append("; ".join(limits).capitalize())
    return "".join(f"{sentence}. " for sentence in sentences).strip()


def _fields(schema: dict[str, Any]) -> list[Field]:
    required = set(schema.get("required", ()))
    return [
        Field(
            name=name,
            type=type_text(prop),
            required=name in required,
            details=details(prop, str(prop.get("description", ""))),
        )
        for name, prop in schema.get("properties", {}).items()
    ]


def _parameters(operation: dict[str, Any], shared: list[dict[str, Any]]) -> list[Field]:
    return [
        Field(
            name=f"{parameter['name']} ({parameter['in']})",
            type=type_text(parameter.get("schema", {})),
            required=bool(parameter.get("required")),
            details=details(parameter.get("schema", {}), str(parameter.get("description", ""))),
        )
        for parameter in [*shared, *operation.get("parameters", ())]
    ]


def _content_schema(part: dict[str, Any]) -> str | None:
    for media in part.get("content", {}).values():
        return _ref_name(media.get("schema", {}))
    return None


def _operations(paths: dict[str, Any]) -> list[Operation]:
    operations = []
    for path, item in paths.items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            operations.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    summary=operation["summary"],
                    anchor=f"{method}-" + re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-"),
                    public=operation.get("security") == [],
                    parameters=_parameters(operation, item.get("parameters", [])),
                    body=_content_schema(operation.get("requestBody", {})),
                    responses=[
                        Response(status, response["description"], _content_schema(response))
                        for status, response in sorted(operation["responses"].items())
                    ],
                )
            )
    return operations


def _schemas(components: dict[str, Any]) -> list[Schema]:
    schemas = []
    for name, schema in sorted(components.items(), key=lambda item: item[0].lower()):
        alternatives = [n for option in schema.get("oneOf", ()) if (n := _ref_name(option))]
        fields = _fields(schema)
        schemas.append(
            Schema(
                name=name,
                anchor=schema_anchor(name),
                title=str(schema.get("title", name)),
                description=str(schema.get("description", "")),
                fields=fields,
                alternatives=alternatives,
                type=None if fields or alternatives else type_text(schema),
            )
        )
    return schemas


def api_reference() -> Reference:
    document = openapi_document()
    info = document["info"]
    return Reference(
        title=info["title"],
        version=info["version"],
        description=info["description"],
        operations=_operations(document["paths"]),
        schemas=_schemas(document["components"]["schemas"]),
    )
