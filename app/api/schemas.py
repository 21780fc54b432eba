"""The API's request and response bodies as pydantic models.

Requests are validated by these models and responses are serialised through
them, and :mod:`app.api.openapi` publishes their JSON Schemas: the document
cannot drift from the code because it is generated from the same classes.
Each kind's ``config`` is validated afterwards by :mod:`app.partners.providers`, and
documented per kind from the kind's own config model.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Slug = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Config = dict[str, Any]
Status = Literal["active", "backing_off", "paused", "suspended"]


class Body(BaseModel):
    """Request bodies refuse fields they do not know: a typo is an error, not ignored."""

    model_config = ConfigDict(extra="forbid")


class ProviderCreate(Body):
    kind: str = Field(min_length=1, max_length=64, description="A kind from GET /kinds.")
    config: Config = Field(description="The kind's settings; see its config_schema.")
    name: str | None = Field(
        default=None, min_length=1, max_length=200, description="Default: from the config."
    )
    interests: list[Slug] = Field(
        default_factory=list, max_length=100, description="Target interest slugs."
    )
    interval_seconds: int | None = Field(
        default=None, ge=1, description="Refresh interval; default: the kind's."
    )


# A field a PATCH body left out: it reads None, and only what was sent is applied
# (``model_fields_set``), while a null sent for it is still refused as the wrong type.
LEFT_OUT: Any = None


class ProviderPatch(Body):
    """Only the fields given change. ``config`` is merged into the current config
    (a key set to null goes back to its default); ``name`` or ``interval_seconds``
    set to null go back to their defaults."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    config: Config = Field(default=LEFT_OUT)
    interests: list[Slug] = Field(default=LEFT_OUT, max_length=100)
    interval_seconds: int | None = Field(default=None, ge=1)
    status: Literal["active", "paused"] = Field(default=LEFT_OUT)


class PreviewRequest(ProviderCreate):
    """The body of ``POST /providers``, so a client previews exactly what it will register.

    A preview checks it all as registering would, except that the name may be taken.
    """


class KindOut(BaseModel):
    name: str
    label: str
    description: str
    card_label: str
    fetches_remote: bool
    default_interval_seconds: int
    min_interval_seconds: int
    config_schema: dict[str, Any] = Field(description="JSON Schema of the kind's config.")


class KindList(BaseModel):
    items: list[KindOut]


class ProviderOut(BaseModel):
    id: int
    organization: str
    kind: str
    name: str
    status: Status
    config: Config
    interests: list[str]
    interval_seconds: int
    next_run_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    consecutive_errors: int
    last_error: str | None
    card_count: int


class ProviderPage(BaseModel):
    items: list[ProviderOut]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page.")


class CardOut(BaseModel):
    id: int
    kind: str
    external_id: str
    title: str
    summary: str
    url: str | None
    image_url: str | None
    badge: str | None
    payload: dict[str, Any]
    interests: list[str]
    published_at: datetime
    starts_at: datetime | None
    ends_at: datetime | None
    first_seen_at: datetime
    updated_at: datetime
    removed_at: datetime | None


class CardPage(BaseModel):
    items: list[CardOut]
    next_cursor: str | None


class PreviewCard(BaseModel):
    external_id: str
    title: str
    summary: str
    url: str | None
    image_url: str | None
    payload: dict[str, Any]
    published_at: datetime | None
    starts_at: datetime | None
    ends_at: datetime | None


class PreviewOut(BaseModel):
    ok: bool = Field(description="False when the source failed; `error` says why.")
    error: str | None
    card_count: int = Field(description="How many cards the source would give now.")
    cards: list[PreviewCard] = Field(description="The first few of them.")


class CountsOut(BaseModel):
    impressions: int
    opens: int
    saves: int
    dismisses: int
    open_rate: float | None = Field(description="opens / impressions; null without impressions.")


class DayOut(CountsOut):
    date: date


class ProviderTotals(CountsOut):
    provider_id: int
    name: str


class CardTotals(CountsOut):
    card_id: int
    title: str


class StatsOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start: date = Field(alias="from")
    end: date = Field(alias="to")
    provider: int | None
    totals: CountsOut
    days: list[DayOut] = Field(description="Every UTC day of the range, zeros included.")
    providers: list[ProviderTotals]
    cards: list[CardTotals] = Field(description="Per card, only when ?provider= is given.")


class ChoiceOut(BaseModel):
    id: str
    label: str
    count: int
    share: float


class TextOut(BaseModel):
    text: str
    answered_at: datetime


class QuestionOut(BaseModel):
    card_id: int
    question_id: str
    prompt: str
    type: str
    answers: int
    choices: list[ChoiceOut]
    texts: list[TextOut] = Field(description="Written answers, newest first.")


class SurveyResultsOut(BaseModel):
    survey_id: int
    name: str
    questions: list[QuestionOut]


StageName = Literal["new", "under_review", "planned", "available", "declined"]


class AnswerOut(BaseModel):
    id: int
    body: str
    from_organization: bool = Field(description="Written for the organisation (pinned).")
    helpful: int = Field(description="How many shoppers found it helpful.")
    created_at: datetime


class CommunityQuestionOut(BaseModel):
    id: int
    card_id: int | None = Field(
        description="The card it was asked on; null for a general question asked from the "
        "organisation's page, or once the card is gone."
    )
    title: str
    body: str
    created_at: datetime
    answered_at: datetime | None = Field(description="The organisation's first answer.")
    answers: list[AnswerOut] = Field(description="Visible answers, the organisation's first.")


class CommunityQuestionPage(BaseModel):
    items: list[CommunityQuestionOut]
    next_cursor: str | None


class AnswerCreate(Body):
    body: str = Field(min_length=1, max_length=2000, description="Plain text; shown as text.")


class SuggestionOut(BaseModel):
    id: int
    card_id: int | None = Field(description="The card it was suggested about, if any.")
    title: str
    body: str
    votes: int
    status: StageName
    note: str
    available_card_id: int | None
    available_provider_id: int | None
    created_at: datetime
    status_changed_at: datetime | None


class SuggestionPage(BaseModel):
    items: list[SuggestionOut]
    next_cursor: str | None


class SuggestionPatch(Body):
    status: StageName
    note: str = Field(default="", max_length=500, description="Told to the voters.")
    available_card_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="When available: one of your cards."
    )
    available_provider_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="When available: one of your providers."
    )


class FieldProblem(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] = Field(default_factory=list)
