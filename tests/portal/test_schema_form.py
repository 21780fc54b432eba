"""The form generator on schemas the built-in kinds do not use: nested objects, free JSON."""

from __future__ import annotations

from pydantic import BaseModel, Field
from werkzeug.datastructures import MultiDict

from app.portal.schema_form import build_fields, field_labels, read_form, read_form_with_action


class Opening(BaseModel):
    day: str = Field(json_schema_extra={"enum": ["mon", "tue"]})
    late: bool = False


class Store(BaseModel):
    """Settings with a nested object, a list of objects and a free-form mapping."""

    where: Opening = Field(title="Main opening")
    extra: list[Opening] = Field(default_factory=list, max_length=2, title="Extra openings")
    labels: dict[str, int] = Field(default_factory=dict, title="Labels")


SCHEMA = Store.model_json_schema()


def test_nested_objects_rows_and_json_round_trip_through_the_form():
    form = MultiDict(
        [("config.where.day", "tue"), ("config.where.late", "on"),
         ("config.extra.0.day", ""), ("config.extra.1.day", "mon"),
         ("config.labels", '{"a": 1}')]
    )  # fmt: skip
    raw = read_form(SCHEMA, form)
    assert raw == {"where": {"day": "tue", "late": True}, "extra": [{"day": "mon", "late": False}],
                   "labels": {"a": 1}}  # fmt: skip
    assert Store.model_validate(raw).where.late is True

    fields, leftover = build_fields(SCHEMA, raw, {"config.labels": ["bad"], "config": ["overall"]})
    where, extra, labels = fields
    assert where.widget == "object" and where.rows[0][0].options == ["mon", "tue"]
    assert extra.widget == "rows" and extra.item_label == "Extra opening" and extra.can_add
    assert labels.widget == "json" and '"a": 1' in labels.value and labels.errors == ["bad"]
    assert leftover == ["overall"]
    assert field_labels(fields)["config.extra.0.day"] == "Extra openings 1: Day"


def test_row_buttons_and_text_that_is_not_json():
    form = MultiDict([("config.extra.0.day", "mon"), ("config.extra.1.day", "tue"),
                      ("config.labels", "{not json")])  # fmt: skip
    removed, changed = read_form_with_action(SCHEMA, form, "remove:config.extra.0")
    assert changed and removed["extra"] == [{"day": "tue", "late": False}]
    assert removed["labels"] == "{not json"  # kept as typed, for pydantic to refuse
    added, changed = read_form_with_action(SCHEMA, form, "add:config.extra")
    assert changed and added["extra"][-1] == {}
    assert read_form_with_action(SCHEMA, form, "save") == (read_form(SCHEMA, form), False)
