"""The ``editorial`` kind: a card Plaza's own staff write, labelled "From Plaza".

Staff keep the feed lively between partners' updates with a short story, an optional
link to a partner's site or social channel, and an optional featured collection. The
config is the content (nothing is fetched) and, like a promotion, an editorial card runs
between its start and end within daily caps; unlike one it is never sponsored: it takes
no sponsored slot and is never labelled as paid.

A featured collection is a short list of links, each a title and an address, written by
staff. It is deliberately not a list of stored card ids: a kind never reads the
database (:mod:`cards.spec`), stored cards change, expire and are pruned, and a link
staff chose stays what they chose for as long as the card runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from cards._shared import ScheduledConfig, UtcDatetime, WebAddress
from cards.spec import (
    CardDraft,
    CardKind,
    DailyImpressionCap,
    DeliveryCaps,
    PerConsumerCap,
    RefreshContext,
)

MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]|&[A-Za-z]+;|&#")


def _plain(value: str) -> str:
    """Refuse markup: editorial text is shown as text, so HTML would show as code."""
    if MARKUP.search(value):
        raise ValueError("Write plain text: HTML tags and entities are not allowed.")
    return value


PlainText = Annotated[str, AfterValidator(_plain)]


class FeaturedLink(BaseModel):
    """One item of a featured collection: what it is called and where it leads."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: PlainText = Field(
        min_length=1, max_length=80, title="Title", description="What shoppers read."
    )
    url: WebAddress = Field(title="Link", description="Where it leads: a full https:// address.")


class EditorialConfig(ScheduledConfig):
    """The story, its link or collection, who sees it, when, and how often."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: PlainText = Field(
        min_length=1, max_length=80, title="Title", description="The card's title."
    )
    text: PlainText = Field(
        min_length=1,
        max_length=280,
        title="Story",
        description="A short story: one to three sentences, plain text.",
    )
    link_url: WebAddress | None = Field(
        default=None,
        title="Link",
        description="Optional: a partner's site or social channel, a full https:// address.",
    )
    link_label: PlainText = Field(
        default="Read more",
        min_length=1,
        max_length=30,
        title="Link text",
        description="The words on the link's button.",
    )
    featured: list[FeaturedLink] = Field(
        default_factory=list,
        max_length=6,
        title="Featured collection",
        description="Optional: up to 6 links shown as a list under the story.",
    )
    starts_at: UtcDatetime = Field(
        title="Starts", description="When the card starts showing (UTC unless a zone is given)."
    )
    ends_at: UtcDatetime = Field(
        title="Ends", description="When it stops showing; must be after the start."
    )
    daily_impression_cap: DailyImpressionCap
    per_consumer_cap: PerConsumerCap


class EditorialKind(CardKind[EditorialConfig]):
    """Plaza's own cards, written by its staff: a short story, a link to a partner's site
    or social channel, or a featured collection. They show to shoppers the chosen
    interests match, between the start and end set, within daily limits, labelled "From
    Plaza" (never "Sponsored")."""

    name = "editorial"
    label = "Editorial"
    description = "A story, link or collection from Plaza's staff, shown between two dates."
    card_label = "From Plaza"
    feed_label = "From Plaza"
    config_model = EditorialConfig
    fetches_remote = False
    gone_grace = timedelta(0)  # an edited or ended card leaves the feed at once
    scheduled = True
    staff_only = True  # labelled "From Plaza": no partner may publish one

    def refresh(self, config: EditorialConfig, context: RefreshContext) -> Iterator[CardDraft]:
        yield CardDraft(
            external_id="editorial",
            title=config.title,
            url=config.link_url,
            summary=config.text,
            starts_at=config.starts_at,
            ends_at=config.ends_at,
            payload={
                "link_label": config.link_label,
                "featured": [item.model_dump() for item in config.featured],
                **DeliveryCaps.payload_of(config),
            },
        )

    def delivery_caps(self, card_payload: Mapping[str, Any]) -> DeliveryCaps:
        return DeliveryCaps.model_validate(card_payload)
