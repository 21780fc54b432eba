"""The ``pinterest`` kind: one card per board, showing its newest pins.

Pinterest publishes an RSS feed for every public board. A pin on its own is
thin (a picture and a line), so the whole board makes one card: the board is
what a retailer curates, and a mosaic of its latest pins is what a shopper
scrolls past.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import NamedTuple
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cards._shared import (
    SUMMARY_MAX,
    TITLE_MAX,
    WebAddress,
    entry_image,
    entry_published,
    fetch_feed,
    first_of_each,
)
from cards.spec import CardDraft, CardKind, RefreshContext, report_rejected
from feeds.normalize import plain_text, safe_url

_BOARD_FEED_PATH = re.compile(r"/[^/]+/[^/]+\.rss/?")
_PINS_SHOWN = 6
_UNDATED = datetime.min.replace(tzinfo=UTC)


class _Pin(NamedTuple):
    guid: str
    published_at: datetime | None
    shown: dict[str, str]  # what the card's template shows: title, url, image_url


class PinterestConfig(BaseModel):
    """The board to show, by the address of its RSS feed."""

    model_config = ConfigDict(extra="forbid")

    url: WebAddress = Field(
        title="Board feed address",
        description="The board's address with .rss at the end, e.g. "
        "https://www.pinterest.com/acme/summer-looks.rss. The board must be public.",
    )

    @field_validator("url")
    @classmethod
    def check_board_feed(cls, value: str) -> str:
        """Any host is accepted (Pinterest has country domains, tests use loopback
        servers); the guarded fetcher decides which hosts may be reached."""
        if not _BOARD_FEED_PATH.fullmatch(urlsplit(value).path):
            raise ValueError(
                "Use the board's RSS address: the board's address with .rss at the end, "
                "like https://www.pinterest.com/acme/summer-looks.rss."
            )
        return value


class PinterestKind(CardKind[PinterestConfig]):
    """Bring a Pinterest board into shoppers' feeds. Give Plaza the RSS address of a public
    board (the board's address with .rss at the end) and it becomes one card: the board's
    name with a mosaic of its six newest pins, each opening on Pinterest. Pin your new
    looks and products as usual; Plaza picks them up every six hours."""

    name = "pinterest"
    label = "Pinterest board"
    description = "One card showing the newest pins of a public Pinterest board."
    card_label = "Board"
    feed_label = "Boards"
    freshness_half_life = timedelta(days=14)  # a board of ideas keeps longest
    notification_category = "boards"
    config_model = PinterestConfig
    default_interval = timedelta(hours=6)

    def refresh(self, config: PinterestConfig, context: RefreshContext) -> Iterator[CardDraft]:
        document = fetch_feed(context, config.url)
        if document is None:
            return
        base_url, feed = document.base_url, document.parsed.feed
        pins = []
        for entry in document.parsed.entries:
            url = safe_url(entry.get("link"), base_url)
            image_url = entry_image(entry, base_url)
            if not (url and image_url):
                missing = "link to the pin" if not url else "picture"
                named = plain_text(entry.get("title"), 100) or url or "A pin"
                report_rejected(context, named, f"it has no {missing}")
            else:
                pin = {
                    "title": plain_text(entry.get("title") or entry.get("summary"), 100),
                    "url": url,
                    "image_url": image_url,
                }
                pins.append(_Pin(entry.get("id") or url, entry_published(entry, context.now), pin))
        pins = list(first_of_each(pins, key=attrgetter("guid")))
        # Newest first; undated pins keep their feed order after the dated ones.
        pins.sort(key=lambda p: p.published_at or _UNDATED, reverse=True)
        if not pins:
            return
        title = plain_text(feed.get("title"), TITLE_MAX) or "Pinterest board"
        board_url = safe_url(feed.get("link"), base_url)
        yield CardDraft(
            external_id=config.url,
            title=title,
            url=board_url,
            summary=plain_text(feed.get("subtitle"), SUMMARY_MAX),
            image_url=pins[0].shown["image_url"],
            interests=context.taxonomy.match([title]),
            published_at=pins[0].published_at,
            payload={
                "board_title": title,
                "board_url": board_url,
                "pins": [p.shown for p in pins[:_PINS_SHOWN]],
            },
        )
