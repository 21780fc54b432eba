"""HTML form fields generated from a kind's config JSON Schema, and the way back.

The portal has no code for any particular kind: :func:`build_fields` turns
the JSON Schema of ``kind.config_model`` into field descriptions that
``portal/_fields.html`` renders, and :func:`read_form` turns the submitted
form back into the raw dict that pydantic validates (through
:func:`app.partners.providers.validate_config`, as the API and the CLI do). Values
stay the strings people typed, so a re-rendered form shows exactly what was
sent next to pydantic's message about it.

Field names are the error locations :mod:`app.partners.providers` reports
(``config.questions.0.prompt``), which is how each error lands next to its
field. Lists of objects (a survey's questions) are rows with "add" and
"remove" buttons that work without JavaScript; lists of strings are one
item per line; anything the generator does not understand becomes a JSON
text area, so even an exotic plugin's settings stay editable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from werkzeug.datastructures import MultiDict

from app.partners.field_messages import resolve_schema as _resolve

LONG_TEXT = 200  # strings allowed to be longer than this get a text area
EMPTY: dict[str, Any] = {}


class Option(NamedTuple):
    """One choice of a drop-down or a set of checkboxes: what is sent, and what people read."""

    value: str
    label: str


@dataclass
class FormField:
    """One generated control, or a group (``object``) or list of groups (``rows``)."""

    key: str  # the form name and the error location, e.g. config.questions.0.prompt
    label: str
    help: str
    # text url image number datetime textarea select checkbox choices lines rows object json
    widget: str
    required: bool = False
    needed_with: str = ""  # the form name of the choice that decides whether it is needed
    needed_for: list[Option] = field(default_factory=list)  # that choice's values needing it
    value: Any = ""
    options: list[Option] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rows: list[list[FormField]] = field(default_factory=list)
    row_errors: list[list[str]] = field(default_factory=list)
    item_label: str = "Item"
    can_add: bool = False
    can_remove: bool = False

    @property
    def id(self) -> str:
        return field_id(self.key)


def field_id(key: str) -> str:
    """The HTML id of the control for an error location, so a summary can link to it."""
    return "f-" + key.replace(".", "-").replace("_", "-")


def field_labels(fields: list[FormField], within: str = "") -> dict[str, str]:
    """Error location -> words that name it ("Questions 2: Answer type")."""
    labels: dict[str, str] = {}
    for f in fields:
        label = f"{within}: {f.label}" if within else f.label
        labels[f.key] = label
        for n, row in enumerate(f.rows):
            row_label = f"{label} {n + 1}" if f.widget == "rows" else label
            labels[f"{f.key}.{n}"] = row_label
            labels.update(field_labels(row, row_label))
    return labels


def build_fields(
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    prefix: str = "config",
) -> tuple[list[FormField], list[str]]:
    """The fields for ``values`` (a config or a re-read form), and errors no field showed."""
    used: set[str] = set()
    fields = _object_fields(schema, schema, values, errors, prefix, used)
    leftover = [m for key, messages in errors.items() if key not in used for m in messages]
    return fields, leftover


def read_form(
    schema: Mapping[str, Any], form: MultiDict[str, str], prefix: str = "config"
) -> dict[str, Any]:
    """The raw config a submitted form describes; blanks are left out so defaults apply."""
    return _read_object(schema, schema, form, prefix)


def read_form_with_action(
    schema: Mapping[str, Any], form: MultiDict[str, str], action: str, prefix: str = "config"
) -> tuple[dict[str, Any], bool]:
    """:func:`read_form`, after an ``add:<key>`` or ``remove:<key>.<n>`` row button.

    Returns the raw config and whether ``action`` was such a button. A row is
    removed before reading, while its number still matches the form; a new
    row is added after, at the end of the list.
    """
    verb, _, key = action.partition(":")
    if verb not in ("add", "remove") or not key.startswith(prefix + "."):
        return read_form(schema, form, prefix), False
    if verb == "remove":
        kept = [(k, v) for k, v in form.items(multi=True) if not k.startswith(key + ".")]
        return read_form(schema, MultiDict(kept), prefix), True
    raw = read_form(schema, form, prefix)
    target: Any = raw
    *parents, last = key.split(".")[1:]
    try:
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target.setdefault(part, {})
        target.setdefault(last, []).append({})
    except (IndexError, ValueError, TypeError, AttributeError):
        return raw, False
    return raw, True


# --- schema helpers -------------------------------------------------------------------


def _widget(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    kind = schema.get("type")
    if _options(schema) is not None:
        return "select"
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if kind == "string":
        if schema.get("x-plaza-upload") == "image":  # a picture's address, or an upload
            return "image"
        fmt = schema.get("format")
        if fmt == "date-time":
            return "datetime"
        if fmt == "uri":
            return "url"
        return "textarea" if schema.get("maxLength", 0) > LONG_TEXT else "text"
    if kind == "array":
        items, _ = _resolve(schema.get("items", {}), root)
        if items.get("type") == "object" and "properties" in items:
            return "rows"
        if _options(items) is not None:
            return "choices"
        if items.get("type") in ("string", "integer", "number"):
            return "lines"
    if kind == "object" and "properties" in schema:
        return "object"
    return "json"


def _options(schema: Mapping[str, Any]) -> list[Option] | None:
    """The choices of a ``oneOf`` of ``const`` with ``title`` labels, else of an ``enum``."""
    variants = schema.get("oneOf")
    if isinstance(variants, list) and variants and all("const" in v for v in variants):
        return [Option(str(v["const"]), str(v.get("title") or v["const"])) for v in variants]
    if "enum" in schema:
        return [Option(str(v), str(v)) for v in schema["enum"]]
    return None


def _needed_for(
    schema: Mapping[str, Any], root: Mapping[str, Any]
) -> dict[str, tuple[str, list[Option]]]:
    """Field name -> (choice, its values that require the field), from ``if``/``then`` rules.

    Only the shape :func:`cards.choices.needed_for` writes is understood: "if
    <choice> is <const>, then <fields> are required". Anything else is left to
    the kind's validator, whose message still lands next to the field.
    """
    needed: dict[str, tuple[str, list[Option]]] = {}
    for rule in schema.get("allOf", []):
        condition, then = rule.get("if", EMPTY), rule.get("then", EMPTY)
        tested = condition.get("properties", EMPTY)
        if len(tested) != 1 or "else" in rule:
            continue
        ((choice, test),) = tested.items()
        if "const" not in test or choice not in condition.get("required", []):
            continue
        prop, _ = _resolve(schema.get("properties", EMPTY).get(choice, EMPTY), root)
        labels = {o.value: o.label for o in _options(prop) or []}
        value = str(test["const"])
        for name in then.get("required", []):
            by, values = needed.setdefault(name, (choice, []))
            if by == choice:
                values.append(Option(value, labels.get(value, value)))
    return needed


def _label(name: str, schema: Mapping[str, Any]) -> str:
    return str(schema.get("title") or name.replace("_", " ").capitalize())


def _attrs(schema: Mapping[str, Any], widget: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if widget in ("text", "url", "textarea") and "maxLength" in schema:
        attrs["maxlength"] = schema["maxLength"]
    if widget == "number":
        attrs["inputmode"] = "numeric" if schema.get("type") == "integer" else "decimal"
        attrs["step"] = "1" if schema.get("type") == "integer" else "any"
        for bound, attr in (("minimum", "min"), ("maximum", "max")):
            if bound in schema:
                attrs[attr] = schema[bound]
    if widget == "url":
        attrs["inputmode"] = "url"
        attrs["autocapitalize"] = "off"
        attrs["spellcheck"] = "false"
    return attrs


# --- building -------------------------------------------------------------------------


def _object_fields(
    schema: Mapping[str, Any],
    root: Mapping[str, Any],
    values: Mapping[str, Any],
    errors: Mapping[str, list[str]],
    prefix: str,
    used: set[str],
) -> list[FormField]:
    required = set(schema.get("required", []))
    needs = _needed_for(schema, root)
    fields = []
    for name, raw_schema in schema.get("properties", {}).items():
        prop, nullable = _resolve(raw_schema, root)
        key = f"{prefix}.{name}"
        widget = _widget(prop, root)
        present = name in values
        value = values[name] if present else prop.get("default")
        used.add(key)
        built = FormField(
            key=key,
            label=_label(name, prop),
            help=str(prop.get("description", "")),
            widget=widget,
            required=name in required and not nullable,
            attrs=_attrs(prop, widget),
            errors=list(errors.get(key, [])),
        )
        if name in needs:
            choice, built.needed_for = needs[name]
            built.needed_with = f"{prefix}.{choice}"
        if widget == "select":
            built.options = _options(prop) or []
            built.value = "" if value is None else str(value)
        elif widget == "choices":
            items, _ = _resolve(prop.get("items", {}), root)
            built.options = _options(items) or []
            built.value = [str(v) for v in value or []]
        elif widget == "checkbox":
            built.value = bool(value)
        elif widget == "lines":
            built.value = "\n".join(str(v) for v in value or [])
        elif widget == "datetime":
            built.value = _datetime_value(value)
        elif widget == "object":
            sub = value if isinstance(value, Mapping) else EMPTY
            built.rows = [_object_fields(prop, root, sub, errors, key, used)]
        elif widget == "rows":
            _build_rows(built, prop, root, value, errors, used)
        elif widget == "json":
            built.value = value if isinstance(value, str) else _json_text(value)
        else:
            built.value = "" if value is None else str(value)
        fields.append(built)
    return fields


def _build_rows(
    built: FormField,
    prop: Mapping[str, Any],
    root: Mapping[str, Any],
    value: Any,
    errors: Mapping[str, list[str]],
    used: set[str],
) -> None:
    items, _ = _resolve(prop["items"], root)
    rows = [v if isinstance(v, Mapping) else EMPTY for v in value or []]
    low, high = prop.get("minItems", 0), prop.get("maxItems")
    rows += [EMPTY] * max(0, max(low, 1) - len(rows))
    built.item_label = _item_label(built.label, items)
    for n, row in enumerate(rows):
        row_key = f"{built.key}.{n}"
        used.add(row_key)
        built.rows.append(_object_fields(items, root, row, errors, row_key, used))
        built.row_errors.append(list(errors.get(row_key, [])))
    built.can_add = high is None or len(rows) < high
    built.can_remove = len(rows) > low


def _item_label(list_label: str, items: Mapping[str, Any]) -> str:
    """ "Question" for a list called "Questions": pydantic titles items with the class
    name ("SurveyQuestion"), which is not for people; a title with a space is."""
    title = str(items.get("title") or "")
    if " " in title:
        return title
    if len(list_label) > 3 and list_label.endswith("s"):
        return list_label[:-1]
    return "Item"


def _datetime_value(value: Any) -> str:
    """What a ``datetime-local`` input shows: the moment in UTC, to the minute."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return ""


def _json_text(value: Any) -> str:
    return "" if value is None else json.dumps(value, indent=2, ensure_ascii=False)


# --- reading --------------------------------------------------------------------------


def _read_object(
    schema: Mapping[str, Any], root: Mapping[str, Any], form: MultiDict[str, str], prefix: str
) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for name, raw_schema in schema.get("properties", {}).items():
        prop, _ = _resolve(raw_schema, root)
        key = f"{prefix}.{name}"
        value = _read_value(prop, root, form, key)
        if value is not None:
            raw[name] = value
    return raw


def _read_value(
    prop: Mapping[str, Any], root: Mapping[str, Any], form: MultiDict[str, str], key: str
) -> Any:
    """The submitted value for one field, or None when it was left blank."""
    widget = _widget(prop, root)
    if widget == "checkbox":
        return key in form
    if widget == "choices":
        return form.getlist(key) or None
    if widget == "object":
        return _read_object(prop, root, form, key) or None
    if widget == "rows":
        items, _ = _resolve(prop["items"], root)
        indices = sorted(
            {int(part) for part in (_next_part(k, key) for k in form) if part.isdigit()}
        )
        rows = [_read_object(items, root, form, f"{key}.{n}") for n in indices]
        return [row for row in rows if any(v not in (False, None) for v in row.values())] or None
    text = form.get(key, "")
    if not text.strip():
        return None
    if widget == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()] or None
    if widget == "json":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # pydantic says it is not the right type, next to the field
    return text


def _next_part(form_key: str, prefix: str) -> str:
    if not form_key.startswith(prefix + "."):
        return ""
    return form_key[len(prefix) + 1 :].split(".", 1)[0]
