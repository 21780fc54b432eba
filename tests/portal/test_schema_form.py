"""The form generator: nested objects, free JSON, labelled choices, fields one choice needs."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field
from werkzeug.datastructures import MultiDict

from app.portal.schema_form import build_fields, field_labels, read_form, read_form_with_action
from cards.choices import labelled, needed_for
from cards.survey import SurveyConfig
from cards.youtube import YouTubeConfig


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
    assert where.widget == "object" and where.rows[0][0].options == [("mon", "mon"), ("tue", "tue")]
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


class Delivery(BaseModel):
    """A third-party kind's settings: a labelled choice, and fields only some choices need."""

    model_config = ConfigDict(
        json_schema_extra=needed_for("method", {"post": "address", "courier": ["address", "phone"]})
    )

    method: Literal["pickup", "post", "courier"] = Field(
        title="Delivery",
        json_schema_extra=labelled({"pickup": "In store", "post": "By post", "courier": "Courier"}),
    )
    address: str | None = Field(default=None, title="Address")
    phone: str | None = Field(default=None, title="Phone")
    days: list[Literal["mon", "tue"]] = Field(
        default_factory=list, json_schema_extra={"items": {"oneOf": [
            {"const": "mon", "title": "Monday"}, {"const": "tue", "title": "Tuesday"}]}},
    )  # fmt: skip


def test_choices_show_their_labels_and_send_their_values():
    schema = Delivery.model_json_schema()
    method, _, _, days = build_fields(schema, {"method": "post", "days": ["tue"]}, {})[0]
    assert method.widget == "select" and method.value == "post"
    assert method.options == [("pickup", "In store"), ("post", "By post"), ("courier", "Courier")]
    assert days.widget == "choices" and days.options[1] == ("tue", "Tuesday")
    form = MultiDict([("config.method", "courier"), ("config.days", "mon")])
    assert read_form(schema, form) == {"method": "courier", "days": ["mon"]}


def test_a_field_some_choices_need_names_them():
    address, phone = build_fields(Delivery.model_json_schema(), {}, {})[0][1:3]
    assert not address.required and address.needed_with == "config.method"
    assert [o.label for o in address.needed_for] == ["By post", "Courier"]
    assert [o.value for o in phone.needed_for] == ["courier"]


def test_youtube_sources_are_labelled_and_each_names_the_field_it_needs():
    fields, _ = build_fields(YouTubeConfig.model_json_schema(), {}, {})
    source, channel, playlist, query, most = fields
    assert [o.label for o in source.options] == ["A channel's uploads", "A playlist", "A search"]
    assert [(f.label, [o.value for o in f.needed_for]) for f in (channel, playlist, query)] == [
        ("Channel ID", ["channel"]), ("Playlist ID", ["playlist"]), ("Search words", ["search"])
    ]  # fmt: skip
    assert most.needed_for == []


def test_labels_that_do_not_match_the_choices_fail_when_the_schema_is_made():
    class Mislabelled(BaseModel):
        size: Literal["s", "m"] = Field(json_schema_extra=labelled({"s": "Small", "l": "Large"}))

    with pytest.raises(TypeError, match="do not match"):
        Mislabelled.model_json_schema()


def test_a_survey_questions_answer_types_are_words_inside_each_row():
    fields, _ = build_fields(
        SurveyConfig.model_json_schema(), {"questions": [{"type": "text"}]}, {}
    )
    (answer_type,) = [f for f in fields[1].rows[0] if f.key == "config.questions.0.type"]
    assert answer_type.value == "text"
    assert [o.label for o in answer_type.options] == [
        "One choice", "Any number of choices", "Written answer"
    ]  # fmt: skip
