"""promotion and survey: content that lives in the config, and survey answers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from cards.errors import ActionError, ActionNotSupported
from cards.promotion import PromotionConfig, PromotionKind
from cards.spec import DeliveryCaps
from cards.survey import SurveyConfig, SurveyKind, choice_id

PROMOTION = {
    "headline": "Summer sale: 30% off trail shoes",
    "body": "This week only, in every Northwind store and online.",
    "sponsor": "Northwind Outfitters",
    "image_url": "https://cdn.shop.example/sale.jpg",
    "cta_url": "https://shop.example/sale",
    "starts_at": "2025-06-10T00:00:00Z",
    "ends_at": "2025-06-17T00:00:00Z",
    "daily_impression_cap": 10000,
    "per_consumer_cap": 2,
}


def test_promotion_yields_one_sponsored_draft(context):
    (draft,) = PromotionKind().refresh(PromotionConfig(**PROMOTION), context)

    assert draft.external_id == "promotion"
    assert draft.title == "Summer sale: 30% off trail shoes"
    assert draft.summary == "This week only, in every Northwind store and online."
    assert draft.url == "https://shop.example/sale"
    assert draft.image_url == "https://cdn.shop.example/sale.jpg"
    assert draft.starts_at == datetime(2025, 6, 10, tzinfo=UTC)
    assert draft.ends_at == datetime(2025, 6, 17, tzinfo=UTC)
    assert draft.payload == {
        "sponsor": "Northwind Outfitters",
        "cta_label": "Learn more",
        "daily_impression_cap": 10000,
        "per_consumer_cap": 2,
    }
    assert PromotionKind.fetches_remote is False


def test_promotion_times_are_aware_utc():
    naive = PromotionConfig(**{**PROMOTION, "starts_at": datetime(2025, 6, 10, 9, 0)})
    paris = timezone(timedelta(hours=2))
    zoned = PromotionConfig(**{**PROMOTION, "starts_at": datetime(2025, 6, 10, 9, 0, tzinfo=paris)})

    assert naive.starts_at == datetime(2025, 6, 10, 9, 0, tzinfo=UTC)
    assert zoned.starts_at == datetime(2025, 6, 10, 7, 0, tzinfo=UTC)
    assert zoned.starts_at.tzinfo is UTC


@pytest.mark.parametrize(
    ("image_url", "expected"),
    [("", None), (None, None), ("/static/demo/sale.jpg", "/static/demo/sale.jpg")],
)
def test_promotion_image_is_optional_and_may_be_a_bundled_file(image_url, expected):
    assert PromotionConfig(**{**PROMOTION, "image_url": image_url}).image_url == expected


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ends_at": "2025-06-09T00:00:00Z"}, "The end must be after the start"),
        ({"ends_at": PROMOTION["starts_at"]}, "The end must be after the start"),
        ({"cta_url": "javascript:alert(1)"}, "full web address"),
        ({"cta_url": "/sale"}, "full web address"),
        ({"image_url": "data:image/png;base64,AAAA"}, "full image address"),
        ({"image_url": "/static/../secrets"}, "full image address"),
        ({"daily_impression_cap": 0}, "greater than or equal to 1"),
        ({"per_consumer_cap": 0}, "greater than or equal to 1"),
        ({"headline": "   "}, "at least 1 character"),
        ({"headline": "x" * 81}, "at most 80 characters"),
        ({"sponsored": True}, "Extra inputs are not permitted"),
    ],
)
def test_promotion_config_errors(changes, message):
    with pytest.raises(ValidationError, match=message):
        PromotionConfig(**{**PROMOTION, **changes})


def test_promotion_json_schema_generates():
    schema = PromotionConfig.model_json_schema()

    assert schema["properties"]["starts_at"]["format"] == "date-time"
    assert schema["properties"]["cta_url"]["format"] == "uri"
    assert schema["properties"]["per_consumer_cap"]["minimum"] == 1
    assert {"headline", "body", "sponsor", "cta_url", "starts_at", "ends_at"} <= set(
        schema["required"]
    )


SURVEY = {
    "title": "Help us plan the autumn range",
    "starts_at": "2025-06-01T00:00:00Z",
    "ends_at": "2025-07-01T00:00:00Z",
    "questions": [
        {
            "id": "sport",
            "prompt": "What do you train for?",
            "type": "single",
            "choices": ["Road", "Trail", "Track"],
        },
        {
            "id": "colours",
            "prompt": "Which colours would you wear?",
            "type": "multiple",
            "choices": ["Black", "Sand", "Orange"],
        },
        {"id": "wish", "prompt": "What should we make next?", "type": "text"},
    ],
}


@pytest.fixture
def drafts(context):
    return {d.external_id: d for d in SurveyKind().refresh(SurveyConfig(**SURVEY), context)}


def test_survey_yields_one_draft_per_question(drafts):
    assert list(drafts) == ["sport", "colours", "wish"]
    sport = drafts["sport"]
    assert sport.title == "What do you train for?"
    assert sport.summary == "Help us plan the autumn range"
    assert sport.starts_at == datetime(2025, 6, 1, tzinfo=UTC)
    assert sport.ends_at == datetime(2025, 7, 1, tzinfo=UTC)
    assert sport.payload == {
        "survey_title": "Help us plan the autumn range",
        "question_id": "sport",
        "position": 0,
        "type": "single",
        "choices": [
            {"id": choice_id("Road"), "label": "Road"},
            {"id": choice_id("Trail"), "label": "Trail"},
            {"id": choice_id("Track"), "label": "Track"},
        ],
        "daily_impression_cap": 10000,  # the defaults: this survey sets no caps
        "per_consumer_cap": 3,
    }
    assert drafts["wish"].payload["choices"] == []
    assert SurveyKind.fetches_remote is False


def test_every_question_carries_the_surveys_caps(context):
    config = SurveyConfig(**SURVEY, daily_impression_cap=500, per_consumer_cap=1)
    drafts = list(SurveyKind().refresh(config, context))
    assert [(d.payload["daily_impression_cap"], d.payload["per_consumer_cap"]) for d in drafts] == [
        (500, 1)
    ] * 3


def test_promotions_and_surveys_share_one_definition_of_the_caps():
    promotion = PromotionConfig.model_json_schema()["properties"]
    survey = SurveyConfig.model_json_schema()["properties"]
    for name in ("daily_impression_cap", "per_consumer_cap"):
        assert promotion[name] == survey[name]
        assert {"title", "description", "minimum", "maximum", "default"} <= set(survey[name])
    assert list(survey)[-2:] == ["daily_impression_cap", "per_consumer_cap"]  # last in the form
    assert list(promotion)[-2:] == ["daily_impression_cap", "per_consumer_cap"]


def test_a_payload_stored_before_surveys_had_caps_reads_as_the_defaults():
    old = {"survey_title": "T", "question_id": "q", "type": "text", "choices": []}
    caps = DeliveryCaps.model_validate(old)
    assert (caps.daily_impression_cap, caps.per_consumer_cap) == (10000, 3)


@pytest.mark.parametrize(
    ("caps", "message"),
    [
        ({"daily_impression_cap": 0}, "greater than or equal to 1"),
        ({"daily_impression_cap": -5}, "greater than or equal to 1"),
        ({"daily_impression_cap": 10_000_001}, "less than or equal to 10000000"),
        ({"per_consumer_cap": 0}, "greater than or equal to 1"),
        ({"per_consumer_cap": 101}, "less than or equal to 100"),
        ({"per_consumer_cap": "twice"}, "valid integer"),
        ({"per_consumer_cap": 1.5}, "fractional part"),
    ],
)
def test_survey_cap_errors(caps, message):
    with pytest.raises(ValidationError, match=message):
        SurveyConfig(**SURVEY, **caps)


def with_question(**question):
    return {**SURVEY, "questions": [{"id": "q", "prompt": "Why?", "type": "single", **question}]}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({**SURVEY, "ends_at": SURVEY["starts_at"]}, "The end must be after the start"),
        ({**SURVEY, "questions": SURVEY["questions"][:1] * 2}, "Each question needs its own ID"),
        ({**SURVEY, "questions": []}, "at least 1 item"),
        (
            {**SURVEY, "questions": [{**SURVEY["questions"][2], "id": f"q{n}"} for n in range(11)]},
            "at most 10 items",
        ),
        (with_question(choices=["Only one"]), "needs 2 to 8 choices"),
        (with_question(choices=[]), "needs 2 to 8 choices"),
        (with_question(choices=[str(n) for n in range(9)]), "at most 8 items"),
        (with_question(type="text", choices=["A", "B"]), "A text question has no choices"),
        (with_question(choices=["Yes", " yes "]), "Two choices have the same text"),
        (with_question(choices=["Yes", "  "]), "between 1 and 80 characters"),
        (with_question(id="Not A Slug", choices=["A", "B"]), "should match pattern"),
        (with_question(type="ranking", choices=["A", "B"]), "'single', 'multiple' or 'text'"),
    ],
)
def test_survey_config_errors(config, message):
    with pytest.raises(ValidationError, match=message):
        SurveyConfig(**config)


def test_survey_json_schema_generates():
    schema = SurveyConfig.model_json_schema()

    assert schema["properties"]["questions"]["maxItems"] == 10
    question = schema["$defs"]["SurveyQuestion"]
    assert question["properties"]["type"]["enum"] == ["single", "multiple", "text"]
    for model in (schema, question, PromotionConfig.model_json_schema()):
        assert all(field.get("description") for field in model["properties"].values())


def positional(drafts, question: str, value):
    """``c2`` as the question's second choice's id, to write the cases below briefly."""
    choices = drafts[question].payload["choices"]
    if isinstance(value, list):
        return [positional(drafts, question, v) for v in value]
    match = re.fullmatch(r"c([1-9])", value) if isinstance(value, str) else None
    if match and int(match[1]) <= len(choices):
        return choices[int(match[1]) - 1]["id"]
    return value


def answer(drafts, question: str, form):
    if isinstance(form, MultiDict):
        form = MultiDict([(k, positional(drafts, question, v)) for k, v in form.items(multi=True)])
    else:
        form = {k: positional(drafts, question, v) for k, v in form.items()}
    return SurveyKind().handle_action(drafts[question].payload, "answer", form)


@pytest.mark.parametrize(
    ("question", "form", "expected"),
    [
        ("sport", {"choice": "c2"}, {"choices": ["c2"], "text": None}),
        ("sport", {"choice": ["c3"]}, {"choices": ["c3"], "text": None}),
        ("colours", {"choice": ["c3", "c1"]}, {"choices": ["c1", "c3"], "text": None}),
        ("colours", {"choice": ["c2", "c2"]}, {"choices": ["c2"], "text": None}),
        (
            "colours",
            MultiDict([("choice", "c1"), ("choice", "c2")]),
            {"choices": ["c1", "c2"], "text": None},
        ),
        (
            "wish",
            {"text": "  Wider toe boxes, please.\n"},
            {"choices": [], "text": "Wider toe boxes, please."},
        ),
        ("wish", {"text": "x" * 500}, {"choices": [], "text": "x" * 500}),
        ("wish", {"text": ["x\r\n" * 250]}, {"choices": [], "text": ("x\n" * 250).strip()}),
    ],
)
def test_answers_that_are_accepted(drafts, question, form, expected):
    expected = {**expected, "choices": positional(drafts, question, expected["choices"])}
    assert answer(drafts, question, form) == expected


@pytest.mark.parametrize(
    ("question", "form", "message"),
    [
        ("sport", {}, "Choose one answer."),
        ("sport", {"choice": ""}, "Choose one answer."),
        ("colours", MultiDict(), "Choose at least one answer."),
        ("sport", {"choice": "c9"}, "That answer is not one of the choices"),
        ("colours", {"choice": ["c1", "Black"]}, "That answer is not one of the choices"),
        ("sport", {"choice": ["c1", "c2"]}, "Choose only one answer."),
        ("sport", MultiDict([("choice", "c1"), ("choice", "c2")]), "Choose only one answer."),
        ("wish", {"text": "   "}, "Write an answer before sending."),
        ("wish", {"choice": "c1"}, "Write an answer before sending."),
        ("wish", {"text": "x" * 501}, "Keep your answer to 500 characters or fewer."),
    ],
)
def test_answers_that_are_refused(drafts, question, form, message):
    with pytest.raises(ActionError) as raised:
        answer(drafts, question, form)

    assert raised.value.message.startswith(message)
    assert not isinstance(raised.value, ActionNotSupported)


def test_other_actions_are_not_supported(drafts):
    with pytest.raises(ActionNotSupported):
        SurveyKind().handle_action(drafts["sport"].payload, "vote", {"choice": "c1"})
    with pytest.raises(ActionNotSupported):
        PromotionKind().handle_action({}, "answer", {})
