"""The card-kind plugin interface: every hook a kind may implement, documented once.

A *kind* is a class registered under the entry-point group ``plaza.card_kinds``.
Plaza's five built-in kinds are registered exactly like third-party ones, in
``pyproject.toml``. This module is the single place that documents the
interface: ``tests/test_plugin_spec.py`` fails when a kind defines a public hook
that is not described here, or when a hook here has no docstring.

The interface is deliberately small. ``refresh`` is the only required hook; it
turns a provider's validated config into :class:`CardDraft` objects. Kinds never
touch the database or Flask: Plaza stores, deduplicates and ranks the drafts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

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


class NoConfig(BaseModel):
    """The config of a kind that needs no settings."""

    model_config = ConfigDict(extra="forbid")


class CardKind:
    """Base class of every card kind. Subclass it and override the hooks you need."""

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

    gone_grace: ClassVar[timedelta | None] = None
    """How long a card stays after its item disappears from the source (a delisted
    product). None keeps cards until they end or age out: right for sources that
    list only their newest items, such as a channel's latest videos."""

    fetches_remote: ClassVar[bool] = True
    """False for kinds whose content lives in Plaza's database (promotions, surveys)."""

    def template(self) -> str:
        """Template that renders one card: ``cards/<name>.html`` by default.

        Plaza falls back to ``cards/_default.html`` when the file does not exist.
        """
        return f"cards/{self.name}.html"

    def refresh(self, config: BaseModel, context: RefreshContext) -> Iterable[CardDraft]:
        """Produce the provider's current items as drafts. Required.

        Called only by the worker, never while a consumer waits. Raise
        :class:`cards.errors.SourceError` for a failure the retailer should read
        about; any other exception is recorded as an internal error.
        """
        raise NotImplementedError

    def handle_action(
        self, card_payload: Mapping[str, Any], action: str, form: Mapping[str, list[str]]
    ) -> dict[str, Any]:
        """Validate a kind-specific card action (a survey answer) and return what to store.

        Raise :class:`cards.errors.ActionError` with a message for the consumer when
        the form is not acceptable. Kinds without actions keep the default.
        """
        raise ActionNotSupported(f"{self.name} cards have no action {action!r}")
