"""The card-kind plugin interface: every hook a kind may implement, documented once.

A *kind* is a class registered under the entry-point group ``plaza.card_kinds``.
Plaza's built-in kinds are registered exactly like third-party ones, in
``pyproject.toml``. This module is the single place that documents the
interface: ``tests/test_plugin_spec.py`` fails when a kind defines a public hook
that is not described here, or when a hook here has no docstring.

The interface is deliberately small. ``refresh`` is the only required hook; it
turns a provider's validated config into :class:`CardDraft` objects. Kinds never
touch the database or Flask: Plaza stores, deduplicates and ranks the drafts.
Everything Plaza treats differently from one kind to another (how fast cards go
stale, whether they run between dates, sponsored slots, caps, questions,
notification categories) is a hook here, so Plaza itself never names a kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from cards.errors import ActionNotSupported
from cards.taxonomy import Taxonomy


@dataclass
class CardDraft:
    """One item a provider produced, before Plaza stores it.

    ``external_id`` must be stable across refreshes of the same provider: Plaza
    deduplicates on (provider, external_id) and updates the stored card in place.
    ``interests`` are taxonomy slugs; unknown slugs are ignored when stored.
    ``payload`` holds the kind-specific fields its template renders (price,
    duration, pins, survey answers...). It must be JSON-serialisable.
    """

    external_id: str
    title: str
    url: str | None = None
    summary: str = ""
    image_url: str | None = None
    interests: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)
    published_at: datetime | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class Fetched:
    """Bytes a kind asked for, with what is needed to parse them correctly.

    ``base_url`` is the address relative links in the document resolve against
    (the final URL after redirects). ``headers`` are the response headers, which
    feedparser needs to pick the right character encoding. ``not_modified`` is
    true when the server answered a conditional GET with 304: ``body`` is then
    empty and the kind should yield nothing.
    """

    body: bytes
    base_url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    not_modified: bool = False


class RefreshContext(Protocol):
    """What Plaza hands a kind's ``refresh``: the only way a kind reaches outside.

    Kinds must not open sockets or files themselves. Going through the context
    is what lets Plaza apply its safety rules (the guarded fetcher), replay
    bundled sample files for the offline demo, and serve loopback servers in
    tests, without the kind knowing which one it talks to.
    """

    now: datetime
    """The time of this refresh (UTC). Kinds use it instead of the clock."""

    taxonomy: Taxonomy
    """The interest tree; ``taxonomy.match(...)`` maps source categories onto interests."""

    source_unchanged: bool
    """Set by ``fetch`` when the source answered 304 Not Modified. Plaza then keeps
    every stored card as it is instead of treating items as gone; kinds need not
    look at it."""

    fresh_until: datetime | None
    """Set by ``fetch`` from the server's ``Cache-Control: max-age`` (bounded): Plaza
    does not refresh the provider again before then."""

    def fetch(self, url: str) -> Fetched:
        """Fetch ``url`` through the guarded fetcher (conditional GET included).

        Raises :class:`cards.errors.SourceError` with a message a retailer
        understands when the address is refused or the server fails.
        """

    def google_http(self) -> Any:
        """An ``httplib2.Http``-compatible object for google-api-python-client."""

    def secret(self, name: str) -> str | None:
        """A deployment secret such as ``youtube_api_key``, or None when unset."""

    def setting(self, name: str) -> str | None:
        """A deployment setting such as ``youtube_feed_url``, or None when unset.

        Settings let an operator point a kind at another address (a mirror, a
        test server); a kind keeps its own default for when a setting is unset.
        """


def report_rejected(context: RefreshContext, item: str, reason: str) -> None:
    """Tell Plaza that the source sent ``item`` (its title, or its link or id when it
    has no title) and the kind left it out, and why, in words the provider's owner can
    act on ("it has no link"). The portal lists the last refresh's rejected items, so a
    retailer sees why a product never became a card instead of guessing.

    Plaza's contexts collect them through their ``reject(item, reason)`` method; a
    context without one (a plugin's own test double) is fine, the item is just dropped.
    """
    reject = getattr(context, "reject", None)
    if callable(reject):
        reject(item, reason)


# The two caps of sponsored and scheduled kinds are field types rather than a base model:
# a base model's fields would come first in the generated form, and these come last.
DailyImpressionCap = Annotated[
    int,
    Field(
        default=10_000,
        ge=1,
        le=10_000_000,
        title="Most views a day",
        description="How many times a day its cards may be shown, across all shoppers; "
        "every question of a survey shown counts.",
    ),
]
"""A provider's cap on impressions a day to everyone, as a config field."""

PerConsumerCap = Annotated[
    int,
    Field(
        default=3,
        ge=1,
        le=100,
        title="Most views a day per shopper",
        description="How many times a day one shopper may be shown its cards; "
        "every question of a survey shown counts.",
    ),
]
"""A provider's cap on impressions a day to one consumer (a frequency cap), as a config
field."""


class DeliveryCaps(BaseModel):
    """How often a provider's cards may be shown a day, as each of its cards carries it
    in its payload, so the feed enforces the caps without reading provider configs.
    The cards of one provider share them (every question of a survey shown counts). A
    payload written before its kind had caps reads as the defaults."""

    daily_impression_cap: DailyImpressionCap
    per_consumer_cap: PerConsumerCap

    @classmethod
    def payload_of(cls, config: BaseModel) -> dict[str, int]:
        """The caps of ``config`` (a config that declares both fields) for a payload."""
        return {name: getattr(config, name) for name in cls.model_fields}


@dataclass(frozen=True)
class Question:
    """What a card asks shoppers, as results pages and the API report the answers.

    ``type`` is ``single`` (one choice), ``multiple`` (any number) or ``text`` (a
    written answer); ``choices`` are (id, label) pairs, empty for text questions.
    Answers are stored as :meth:`CardKind.handle_action` returns them for the
    ``answer`` action: ``{"choices": [choice ids], "text": str | None}``.
    """

    id: str
    type: str
    choices: tuple[tuple[str, str], ...] = ()
    position: int = 0  # its place among the provider's questions


class NoConfig(BaseModel):
    """The config of a kind that needs no settings."""

    model_config = ConfigDict(extra="forbid")


Config = TypeVar("Config", bound=BaseModel)


class CardKind(Generic[Config]):
    """Base class of every card kind. Subclass it and override the hooks you need.

    ``CardKind[MyConfig]`` names the kind's config model for the type checker, so
    ``refresh`` receives a ``MyConfig``; ``config_model`` says the same at run time.
    """

    name: ClassVar[str] = ""
    """Registry name, also the entry-point name (``product_feed``, ``youtube``...)."""

    label: ClassVar[str] = ""
    """Human name shown to retailers in the portal ("Product feed")."""

    description: ClassVar[str] = ""
    """One sentence for retailers choosing a kind."""

    config_model: ClassVar[type[BaseModel]] = NoConfig
    """Pydantic model of the provider config. It validates CLI, portal and API input
    and its JSON Schema drives the generated portal form."""

    default_interval: ClassVar[timedelta] = timedelta(hours=1)
    """How often a provider of this kind is refreshed unless its owner overrides it."""

    min_interval: ClassVar[timedelta] = timedelta(minutes=5)
    """The shortest interval a provider owner may choose (protects remote servers)."""

    card_label: ClassVar[str] = ""
    """What a card of this kind is called on the feed ("Product", "Video")."""

    feed_label: ClassVar[str] = ""
    """What shoppers call this kind's cards when they shape their feed ("Videos"): the
    row of ``/settings/feed`` where they ask for more, less or none of them, and the
    reasons that choice gives. Empty: the kind's ``label``."""

    gone_grace: ClassVar[timedelta | None] = None
    """How long a card stays after its item disappears from the source (a delisted
    product). None keeps cards until they end or age out: right for sources that
    list only their newest items, such as a channel's latest videos."""

    fetches_remote: ClassVar[bool] = True
    """False for kinds whose content lives in Plaza's database (promotions, surveys,
    editorial cards)."""

    freshness_half_life: ClassVar[timedelta] = timedelta(days=7)
    """How fast a card goes stale in the feed: its freshness halves every half-life
    after it was published (a video keeps longer than a product). A ``scheduled``
    kind's cards age over their own run instead (half of it, between 1 and 14 days)."""

    scheduled: ClassVar[bool] = False
    """True when cards run between their ``starts_at`` and ``ends_at`` (a promotion, a
    survey, an event): the feed looks for the running ones apart from the newest cards,
    since they run for days, and they age from their start, not their publication."""

    sponsored: ClassVar[bool] = False
    """True for paid placements: cards take the feed's sponsored slots (one position in
    five, never the first cards), are labelled as sponsored, and reach only shoppers
    who follow one of the provider's target interests."""

    staff_only: ClassVar[bool] = False
    """True for kinds only Plaza's staff publish, under Plaza's own organisation (its
    editorial cards): partners are not offered them, and a provider of one is refused
    for any other organisation, from the portal, the API and the command line alike."""

    kept_by_plaza: ClassVar[bool] = False
    """True for kinds whose providers Plaza itself keeps, one per organisation, writing
    their config from what happens on Plaza (the community's answered questions and
    popular ideas): nobody registers or edits one, from the portal, the API or the
    command line; the organisation may pause it."""

    item_interests: ClassVar[bool] = False
    """True when each draft's ``interests`` are read from the item itself (a video's
    tags, title and description) and say what it is about better than its provider
    does: the provider's target interests then stand in only for an item that named
    none. False (the default): every card also carries its provider's interests, as a
    product feed's broad "Home" or "Apparel" does."""

    per_page_limit: ClassVar[int | None] = None
    """The most cards of this kind on one feed page (one survey question per page), or
    None for no limit beyond the feed's mix of kinds."""

    notification_category: ClassVar[str | None] = None
    """The notification category a new card belongs to, which shoppers turn on or off
    per channel: ``products``, ``videos``, ``boards``, ``promotions`` or ``surveys``.
    None: new cards of this kind notify nobody (they still reach the feed)."""

    asks_questions: ClassVar[bool] = False
    """True when cards ask shoppers something (a survey): answering goes through
    :meth:`handle_action` with ``answer``, an answered card leaves that shopper's feed,
    and the provider's results show the answers per :meth:`question`."""

    shared_template: ClassVar[bool] = True
    """True when :meth:`template` shows every shopper the same HTML for a card: it reads
    only ``card``, ``payload``, ``open_url`` and ``view.organization_name``. Plaza then
    renders the card (its content and the actions around it) once a minute, and again
    when the card changes, and reuses it for every shopper it is shown to, putting in
    only each shopper's reason and CSRF token. A template with a form (it carries the
    shopper's CSRF token) or anything else about the shopper must say False."""

    def template(self) -> str:
        """Template that renders one card: ``cards/<name>.html`` by default.

        Plaza falls back to ``cards/_default.html`` when the file does not exist.
        """
        return f"cards/{self.name}.html"

    def refresh(self, config: Config, context: RefreshContext) -> Iterable[CardDraft]:
        """Produce the provider's current items as drafts. Required.

        Called only by the worker, never while a consumer waits. Raise
        :class:`cards.errors.SourceError` for a failure the retailer should read
        about; any other exception is recorded as an internal error.
        """
        raise NotImplementedError

    def delivery_caps(self, card_payload: Mapping[str, Any]) -> DeliveryCaps | None:
        """The daily caps a card must keep (read from its payload), or None for none.

        Kinds with caps put :meth:`DeliveryCaps.payload_of` into each card's payload
        and return ``DeliveryCaps.model_validate(card_payload)`` here; the feed then
        counts a day's impressions of the provider's cards against both caps and paces
        them through the day.
        """
        return None

    def question(self, card_payload: Mapping[str, Any]) -> Question | None:
        """What a card asks, for kinds that ``asks_questions``; None for the others."""
        return None

    def handle_action(
        self, card_payload: Mapping[str, Any], action: str, form: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        """Validate a kind-specific card action (a survey answer) and return what to store.

        Raise :class:`cards.errors.ActionError` with a message for the consumer when
        the form is not acceptable. Kinds without actions keep the default.
        """
        raise ActionNotSupported(f"{self.name} cards have no action {action!r}")
