"""What several built-in kinds share: config field types and the fetch-and-parse step.

Kept private (not a kind, not part of the plugin interface) so third-party
kinds depend on :mod:`cards.spec` only; they are welcome to copy from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from urllib.parse import urlsplit

from feedparser import FeedParserDict
from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from cards.errors import SourceError
from cards.spec import RefreshContext
from feeds.normalize import as_utc, html_image_urls, parse_datetime, safe_url
from feeds.parse import FeedFormatError, parse_feed

TITLE_MAX = 150
SUMMARY_MAX = 300


def _web_address(value: str) -> str:
    """Accept a complete http(s) address that needs no cleaning; refuse anything else."""
    if safe_url(value) != value or urlsplit(value).scheme.lower() not in ("http", "https"):
        raise ValueError("Enter a full web address starting with https:// (or http://).")
    return value


WebAddress = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2048),
    AfterValidator(_web_address),
    Field(json_schema_extra={"format": "uri"}),
]
"""A string holding an absolute http(s) URL. Kept a ``str`` (not pydantic's ``HttpUrl``)
so the address is stored and fetched exactly as the retailer typed it."""

UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
"""A timezone-aware UTC datetime; a value without a zone is taken to be UTC."""


class ScheduledConfig(BaseModel):
    """Base of configs that run between ``starts_at`` and ``ends_at`` (promotions, surveys).

    Subclasses declare the two fields themselves so they appear where they
    belong in the generated form; this class only checks that they make sense.
    """

    if TYPE_CHECKING:  # declared by each subclass, where its form wants them
        starts_at: datetime
        ends_at: datetime

    @model_validator(mode="after")
    def check_window(self) -> ScheduledConfig:
        if self.ends_at <= self.starts_at:
            raise ValueError("The end must be after the start.")
        return self


@dataclass(frozen=True)
class FeedDocument:
    """A parsed feed and the address its relative links resolve against."""

    parsed: FeedParserDict
    base_url: str


def fetch_feed(context: RefreshContext, url: str) -> FeedDocument | None:
    """Fetch and parse a feed; ``None`` when the server says it has not changed (304)."""
    fetched = context.fetch(url)
    if fetched.not_modified:
        return None
    try:
        parsed = parse_feed(fetched.body, fetched.headers, fetched.base_url)
    except FeedFormatError as error:
        raise SourceError(error.message) from error
    return FeedDocument(parsed, fetched.base_url)


def published_at(values: Iterable[Any], now: datetime) -> datetime | None:
    """The first readable date among ``values`` (any form ``parse_datetime`` reads), capped at
    ``now``: recency drives ranking, so a source must not pin its items to the top of
    everyone's feed by dating them in the future."""
    for value in values:
        when = parse_datetime(value)
        if when is not None:
            return min(when, as_utc(now))
    return None


def entry_published(entry: dict[str, Any], now: datetime) -> datetime | None:
    """When a feed entry was published, or else last updated (see :func:`published_at`).

    Plain ``dict.get`` skips feedparser's deprecated fallback that answers
    ``updated_parsed`` with ``published_parsed`` (and warns).
    """
    return published_at(
        (dict.get(entry, key) for key in ("published_parsed", "updated_parsed")), now
    )


def entry_image(entry: dict[str, Any], base_url: str) -> str | None:
    """The entry's picture: Media RSS content or thumbnail, an image enclosure, or an
    ``<img>`` in its HTML, whichever comes first and is a safe http(s) URL."""
    candidates: list[str | None] = [
        media.get("url")
        for media in entry.get("media_content", [])
        if media.get("medium") == "image"
        or str(media.get("type", "")).startswith("image/")
        or not (media.get("medium") or media.get("type"))
    ]
    candidates += [thumb.get("url") for thumb in entry.get("media_thumbnail", [])]
    candidates += [
        link.get("href")
        for link in entry.get("links", [])
        if link.get("rel") == "enclosure" and str(link.get("type", "")).startswith("image/")
    ]
    candidates += html_image_urls(entry.get("summary"))
    return next((url for url in (safe_url(c, base_url) for c in candidates) if url), None)


T = TypeVar("T")


def _external_id(draft: Any) -> str:
    return str(draft.external_id)


def first_of_each(items: Iterable[T], key: Callable[[T], str] = _external_id) -> Iterator[T]:
    """``items`` without repeats of ``key`` (a draft's ``external_id`` by default).

    Feeds repeat GUIDs by mistake; the first occurrence wins because feeds list
    their newest or most important items first.
    """
    seen: set[str] = set()
    for item in items:
        if key(item) not in seen:
            seen.add(key(item))
            yield item
