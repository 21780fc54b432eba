"""Pydantic's validation errors, said to a person: which field, and what to type instead.

Pydantic writes "Field required" or "Input should be a valid integer" for every
model. A retailer reading that next to "Feed address" still has to guess what is
wanted, so each error type becomes a sentence that names the field by its title in
the kind's config schema (the label the form shows) and says what to do. A kind's
own ``ValueError`` messages are already written for people and are kept as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Schema = Mapping[str, Any]


def people_message(error: Mapping[str, Any], schema: Schema) -> str:
    """One pydantic error (from ``ValidationError.errors()``) as a sentence for people."""
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    prop = _property(schema, error.get("loc", ()))
    if prop is None:
        return message
    name = _name(prop)
    write = _WRITERS.get(kind)
    return write(name, prop, context) if write else message


def _name(prop: Schema) -> str:
    """The field's title as it reads mid-sentence: "the feed address"."""
    title = str(prop.get("title") or "this field")
    words = title.split(" ", 1)
    first = words[0] if words[0].isupper() and len(words[0]) > 1 else words[0].lower()
    return "the " + " ".join([first, *words[1:]])


def _quoted(prop: Schema) -> str:
    """The field's label as the form shows it, quoted: “Most products”."""
    return f"“{prop.get('title') or 'this field'}”"


def _missing(name: str, prop: Schema, context: Mapping[str, Any]) -> str:
    if _is_address(prop):
        return f"Enter {name}, a web address starting with https://"
    if prop.get("format") == "date-time":
        return _when(name, prop, context)
    if prop.get("type") == "array":
        return f"Add at least one to {_quoted(prop)}."
    if _choices(prop):
        return _choice(name, prop, context)
    return f"Enter {name}."


def _is_address(prop: Schema) -> bool:
    return prop.get("format") == "uri"


def _whole_number(_: str, prop: Schema, __: Mapping[str, Any]) -> str:
    return f"Enter a whole number for {_quoted(prop)}, like {_example(prop)}."


def _number(_: str, prop: Schema, __: Mapping[str, Any]) -> str:
    return f"Enter a number for {_quoted(prop)}, like {_example(prop)}."


def _at_least(_: str, prop: Schema, context: Mapping[str, Any]) -> str:
    if "ge" in context:
        return f"Enter {context['ge']} or more for {_quoted(prop)}."
    return f"Enter more than {context.get('gt')} for {_quoted(prop)}."


def _at_most(_: str, prop: Schema, context: Mapping[str, Any]) -> str:
    if "le" in context:
        return f"Enter {context['le']} or less for {_quoted(prop)}."
    return f"Enter less than {context.get('lt')} for {_quoted(prop)}."


def _too_long(name: str, prop: Schema, context: Mapping[str, Any]) -> str:
    limit = context.get("max_length", "")
    if prop.get("type") == "array":
        return f"Keep {_quoted(prop)} to {limit} or fewer: remove some."
    return f"Shorten {name} to {limit} characters or fewer."


def _too_short(name: str, prop: Schema, context: Mapping[str, Any]) -> str:
    limit = context.get("min_length", 1)
    if prop.get("type") == "array":
        return f"Add at least {limit} to {_quoted(prop)}."
    if limit == 1:
        return f"Enter {name}."
    return f"Make {name} at least {limit} characters long."


def _when(_: str, prop: Schema, __: Mapping[str, Any]) -> str:
    return f"Choose a date and a time for {_quoted(prop)}, like 2026-12-01 09:00."


def _choice(_: str, prop: Schema, __: Mapping[str, Any]) -> str:
    choices = _choices(prop)
    where = _quoted(prop)
    return f"Choose {where}: {choices}." if choices else f"Choose {where} from the list."


def _pattern(_: str, prop: Schema, __: Mapping[str, Any]) -> str:
    hint = str(prop.get("description") or "").strip()
    return (
        f"Check {_quoted(prop)}. {hint}"
        if hint
        else f"Check {_quoted(prop)}: it is not in the expected form."
    )


def _address(name: str, _: Schema, __: Mapping[str, Any]) -> str:
    return f"Enter {name} as a full web address starting with https://"


def _yes_no(_: str, prop: Schema, __: Mapping[str, Any]) -> str:
    return f"Tick or untick {_quoted(prop)}."


def _text(name: str, _: Schema, __: Mapping[str, Any]) -> str:
    return f"Enter {name} as text."


_WRITERS: dict[str, Callable[[str, Schema, Mapping[str, Any]], str]] = {
    "missing": _missing,
    "int_parsing": _whole_number,
    "int_from_float": _whole_number,
    "int_type": _whole_number,
    "float_parsing": _number,
    "float_type": _number,
    "decimal_parsing": _number,
    "greater_than_equal": _at_least,
    "greater_than": _at_least,
    "less_than_equal": _at_most,
    "less_than": _at_most,
    "string_too_long": _too_long,
    "too_long": _too_long,
    "string_too_short": _too_short,
    "too_short": _too_short,
    "datetime_parsing": _when,
    "datetime_from_date_parsing": _when,
    "datetime_type": _when,
    "literal_error": _choice,
    "enum": _choice,
    "string_pattern_mismatch": _pattern,
    "url_parsing": _address,
    "url_scheme": _address,
    "url_type": _address,
    "bool_parsing": _yes_no,
    "string_type": _text,
}


def _example(prop: Schema) -> int | float:
    """A number the field accepts, for the example in a message."""
    default = prop.get("default")
    if isinstance(default, int | float) and not isinstance(default, bool):
        return default
    return prop.get("minimum", 10)  # type: ignore[no-any-return]


def _choices(prop: Schema) -> str:
    """The choices' labels, as people read them ("A channel's uploads" or "A search")."""
    variants = prop.get("oneOf")
    if isinstance(variants, list) and variants and all("const" in v for v in variants):
        labels = [str(v.get("title") or v["const"]) for v in variants]
    elif "enum" in prop:
        labels = [str(v) for v in prop["enum"]]
    else:
        return ""
    return " or ".join(f"“{label}”" for label in labels)


def _property(schema: Schema, location: Sequence[Any]) -> Schema | None:
    """The JSON Schema of the field at ``location`` (``("questions", 0, "prompt")``);
    None for an error about the whole config or a row."""
    here: Schema = schema
    found: Schema | None = None
    for part in location:
        here = _resolved(here, schema)
        if isinstance(part, int):
            if here.get("type") != "array":
                return None
            here = _resolved(here.get("items", {}), schema)
            found = None
            continue
        prop = here.get("properties", {}).get(part)
        if prop is None:
            return None
        titled = dict(prop)
        here = _resolved(prop, schema)
        found = {**here, **{k: v for k, v in titled.items() if k in ("title", "description")}}
    return found


def resolve_schema(schema: Schema, root: Schema) -> tuple[dict[str, Any], bool]:
    """Follow ``$ref`` and unwrap ``anyOf [X, null]``; returns (schema, may be null).

    The portal's generated form reads schemas the same way (app.portal.schema_form)."""
    resolved = dict(schema)
    nullable = False
    variants = resolved.get("anyOf")
    if isinstance(variants, list):
        others = [v for v in variants if v.get("type") != "null"]
        nullable = len(others) < len(variants)
        if len(others) == 1:
            del resolved["anyOf"]
            inner, _ = resolve_schema(others[0], root)
            resolved = {**inner, **resolved}
    ref = resolved.pop("$ref", None)
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = root.get("$defs", {}).get(ref.removeprefix("#/$defs/"), {})
        inner, inner_nullable = resolve_schema(target, root)
        resolved = {**inner, **resolved}
        nullable = nullable or inner_nullable
    return resolved, nullable


def _resolved(prop: Schema, root: Schema) -> dict[str, Any]:
    return resolve_schema(prop, root)[0]
