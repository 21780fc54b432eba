"""JSON Schema for choices people read and fields that only one choice needs.

A config's JSON Schema is all the retailer portal knows about a kind, and the
API publishes the same schema, so both ideas are written in plain JSON Schema
(2020-12, the dialect of OpenAPI 3.1) rather than in portal code:

- a choice with labels keeps its ``enum`` (what API clients already read) and
  adds ``oneOf`` of ``{"const": value, "title": label}``, which the portal
  shows as a drop-down of the labels;
- a field needed for one choice is an ``allOf`` entry
  ``{"if": {choice is value}, "then": {"required": [field]}}``, which the
  portal shows as "needed for <label>" instead of "(optional)".

These helpers produce that JSON Schema from a pydantic model, as
``json_schema_extra`` of a field and of the model; a kind may equally write
the schema by hand. They only describe: the model's own validators still
refuse a config that breaks the rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

JsonSchemaEdit = Callable[[dict[str, Any]], None]


def labelled(labels: Mapping[str, str]) -> JsonSchemaEdit:
    """``json_schema_extra`` for a ``Literal``/``Enum`` field: its values, with labels.

    Adds ``oneOf`` of ``const`` and ``title`` next to the field's ``enum``, in
    the enum's order. A value without a label, or a label without a value, is
    a mistake in the kind, so generating the schema fails loudly.
    """

    def edit(schema: dict[str, Any]) -> None:
        values = schema.get("enum")
        if values is None or set(values) != set(labels):
            raise TypeError(f"labels {sorted(labels)} do not match the choices {values}")
        schema["oneOf"] = [{"const": value, "title": labels[value]} for value in values]

    return edit


def needed_for(choice: str, fields: Mapping[str, str | Iterable[str]]) -> JsonSchemaEdit:
    """``json_schema_extra`` for a model: each value of ``choice`` requires its fields.

    ``fields`` maps a value of the ``choice`` field to the field (or fields)
    that value needs, e.g. ``{"channel": "channel_id"}``.
    """

    def edit(schema: dict[str, Any]) -> None:
        rules = schema.setdefault("allOf", [])
        for value, needed in fields.items():
            names = [needed] if isinstance(needed, str) else list(needed)
            rules.append(
                {
                    "if": {"properties": {choice: {"const": value}}, "required": [choice]},
                    "then": {"required": names},
                }
            )

    return edit
