"""The ``survey`` kind: short questions shoppers answer right on their feed.

Each question is its own card, so answering one is a single tap and a long
survey never blocks the feed. The answer is validated here
(:meth:`SurveyKind.handle_action`) and stored by Plaza; the kind keeps no state.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from cards._shared import (
    ScheduledConfig,
    UtcDatetime,
)
from cards.choices import labelled
from cards.errors import ActionError
from cards.spec import (
    CardDraft,
    CardKind,
    DailyImpressionCap,
    DeliveryCaps,
    PerConsumerCap,
    Question,
    RefreshContext,
)

MAX_TEXT_ANSWER = 500


class SurveyQuestion(BaseModel):
    """One question: pick one choice, pick several, or write a short answer."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str = Field(
        max_length=40,
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        title="Question ID",
        description="A short name that stays the same when you edit the question, "
        "e.g. favourite-sport: lower-case letters, digits and dashes.",
    )
    prompt: str = Field(
        min_length=1, max_length=200, title="Question", description="The question shoppers read."
    )
    type: Literal["single", "multiple", "text"] = Field(
        title="Answer type",
        description="How shoppers answer: pick one of the choices, pick any number of them, "
        "or write a few words.",
        json_schema_extra=labelled(
            {"single": "One choice", "multiple": "Any number of choices", "text": "Written answer"}
        ),
    )
    choices: list[str] = Field(
        default_factory=list,
        max_length=8,
        title="Choices",
        description="2 to 8 choices for single and multiple questions; none for text questions.",
    )

    @field_validator("choices")
    @classmethod
    def check_choice_labels(cls, choices: list[str]) -> list[str]:
        labels = [c.strip() for c in choices]
        if any(not label or len(label) > 80 for label in labels):
            raise ValueError("Each choice needs between 1 and 80 characters.")
        if len({choice_id(label) for label in labels}) != len(labels):
            raise ValueError("Two choices have the same text.")
        return labels

    @model_validator(mode="after")
    def check_choices_fit_type(self) -> SurveyQuestion:
        if self.type == "text" and self.choices:
            raise ValueError("A text question has no choices.")
        if self.type != "text" and not 2 <= len(self.choices) <= 8:
            raise ValueError("A single or multiple choice question needs 2 to 8 choices.")
        return self


class SurveyConfig(ScheduledConfig):
    """The survey's title, its questions, when shoppers may answer and how often they
    are asked."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(
        min_length=1,
        max_length=120,
        title="Survey title",
        description="Shown above every question.",
    )
    questions: list[SurveyQuestion] = Field(
        min_length=1, max_length=10, title="Questions", description="1 to 10 questions."
    )
    starts_at: UtcDatetime = Field(
        title="Opens",
        description="When shoppers start seeing the questions (UTC unless a zone is given).",
    )
    ends_at: UtcDatetime = Field(
        title="Closes", description="When the questions disappear; must be after the opening."
    )
    daily_impression_cap: DailyImpressionCap
    per_consumer_cap: PerConsumerCap

    @field_validator("questions")
    @classmethod
    def check_unique_ids(cls, questions: list[SurveyQuestion]) -> list[SurveyQuestion]:
        ids = [q.id for q in questions]
        if len(set(ids)) != len(ids):
            raise ValueError("Each question needs its own ID.")
        return questions


class SurveyKind(CardKind[SurveyConfig]):
    """Ask shoppers what they think, right in their feed. Write up to ten short questions,
    each answered with one choice, several choices or a few words; every question shows as
    its own card so answering takes a single tap. Questions appear between the dates you
    set, to shoppers who follow the interests you pick, never more often than your daily
    limits allow, and you see the answers in the portal."""

    name = "survey"
    label = "Survey"
    description = (
        "Short questions shoppers answer with a tap, shown between two dates within daily limits."
    )
    card_label = "Survey"
    feed_label = "Surveys"
    config_model = SurveyConfig
    fetches_remote = False
    gone_grace = timedelta(0)  # a removed item leaves the feed at once
    scheduled = True
    per_page_limit = 1  # one question a page: a survey never crowds out the feed
    notification_category = "surveys"
    asks_questions = True
    shared_template = False  # its answer form carries the shopper's CSRF token

    def refresh(self, config: SurveyConfig, context: RefreshContext) -> Iterator[CardDraft]:
        for position, question in enumerate(config.questions):
            yield CardDraft(
                external_id=question.id,
                title=question.prompt,
                summary=config.title,
                starts_at=config.starts_at,
                ends_at=config.ends_at,
                payload={
                    "survey_title": config.title,
                    "question_id": question.id,
                    "position": position,
                    "type": question.type,
                    "choices": [
                        {"id": choice_id(label), "label": label} for label in question.choices
                    ],
                    **DeliveryCaps.payload_of(config),
                },
            )

    def delivery_caps(self, card_payload: Mapping[str, Any]) -> DeliveryCaps:
        return DeliveryCaps.model_validate(card_payload)

    def question(self, card_payload: Mapping[str, Any]) -> Question:
        return Question(
            id=str(card_payload.get("question_id", "")),
            type=str(card_payload.get("type", "text")),
            choices=tuple((str(c["id"]), str(c["label"])) for c in card_payload.get("choices", [])),
            position=int(card_payload.get("position", 0)),
        )

    def handle_action(
        self, card_payload: Mapping[str, Any], action: str, form: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Check one shopper's ``answer`` to a question card and return what Plaza stores:
        ``{"choices": [choice ids], "text": str | None}``.

        ``form`` is the submitted form: a plain mapping whose values are strings or
        lists of strings, or a multi-dict with ``getlist`` (several checked boxes
        named ``choice``). Choice questions read ``choice``, text questions ``text``.
        """
        if action != "answer":
            return super().handle_action(card_payload, action, form)
        if card_payload["type"] == "text":
            # Browsers count a line break as one character but submit it as CRLF.
            text = next(iter(_values(form, "text")), "").replace("\r\n", "\n")
            if not text:
                raise ActionError("Write an answer before sending.")
            if len(text) > MAX_TEXT_ANSWER:
                raise ActionError(f"Keep your answer to {MAX_TEXT_ANSWER} characters or fewer.")
            return {"choices": [], "text": text}
        chosen = set(_values(form, "choice"))
        if not chosen:
            raise ActionError(
                "Choose one answer."
                if card_payload["type"] == "single"
                else "Choose at least one answer."
            )
        known = [choice["id"] for choice in card_payload["choices"]]
        if not chosen <= set(known):
            raise ActionError(
                "That answer is not one of the choices; reload the page and try again."
            )
        if card_payload["type"] == "single" and len(chosen) > 1:
            raise ActionError("Choose only one answer.")
        return {"choices": [c for c in known if c in chosen], "text": None}


def choice_id(label: str) -> str:
    """A choice's id, from its words: the same wherever the choice moves in the list, so
    reordering a question's choices never moves the answers given to them. (Ids used to
    follow position, ``c1`` for the first: reversing two choices swapped their answers.)

    The words are compared as people read them (NFKC, case-folded, spaces collapsed),
    so rewriting ``road`` as ``Road`` keeps its answers; new words make a new choice.
    """
    words = " ".join(unicodedata.normalize("NFKC", label).casefold().split())
    return "c-" + hashlib.sha256(words.encode()).hexdigest()[:12]


def _values(form: Mapping[str, Any], name: str) -> list[str]:
    """The non-blank, stripped values submitted under ``name``."""
    getlist = getattr(form, "getlist", None)
    if callable(getlist):
        raw = getlist(name)
    else:
        value = form.get(name)
        raw = [] if value is None else [value] if isinstance(value, str) else list(value)
    return [v.strip() for v in raw if isinstance(v, str) and v.strip()]
