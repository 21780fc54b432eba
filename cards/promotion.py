"""The ``promotion`` kind: a sponsored card a retailer writes in the portal.

Nothing is fetched: the config is the content. Plaza marks every promotion
card as sponsored, shows it only between ``starts_at`` and ``ends_at``, and
enforces the two impression caps when it builds feeds (the caps travel in the
payload so the feed code needs no access to provider configs).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

from pydantic import ConfigDict, Field, field_validator

from cards._shared import (
    ScheduledConfig,
    UtcDatetime,
    WebAddress,
)
from cards.spec import (
    CardDraft,
    CardKind,
    DailyImpressionCap,
    DeliveryCaps,
    PerConsumerCap,
    RefreshContext,
)
from feeds.normalize import safe_url

# A picture uploaded in the portal, which Plaza serves itself (app.portal.media_views).
UPLOADED = re.compile(r"/media/[0-9a-f]{64}\.webp")


class PromotionConfig(ScheduledConfig):
    """The promotion's text, link, schedule and how often it may be shown."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    headline: str = Field(
        min_length=1, max_length=80, title="Headline", description="The card's title."
    )
    body: str = Field(
        min_length=1,
        max_length=280,
        title="Text",
        description="One or two sentences under the headline.",
    )
    sponsor: str = Field(
        min_length=1,
        max_length=80,
        title="Sponsor",
        description='Who pays for the promotion; shown as "Sponsored by ...".',
    )
    image_url: str | None = Field(
        default=None,
        max_length=2048,
        title="Picture",
        description="Optional: a full https:// address of a picture, or upload one in the portal.",
        json_schema_extra={"format": "uri", "x-plaza-upload": "image"},
    )
    cta_label: str = Field(
        default="Learn more",
        min_length=1,
        max_length=30,
        title="Button text",
        description="The words on the card's button.",
    )
    cta_url: WebAddress = Field(
        title="Button link", description="Where the button leads: a full https:// address."
    )
    starts_at: UtcDatetime = Field(
        title="Starts",
        description="When the promotion starts showing (UTC unless a zone is given).",
    )
    ends_at: UtcDatetime = Field(
        title="Ends", description="When it stops showing; must be after the start."
    )
    daily_impression_cap: DailyImpressionCap
    per_consumer_cap: PerConsumerCap

    @field_validator("image_url", mode="before")
    @classmethod
    def check_image_url(cls, value: object) -> object:
        """Blank means no image. Besides https addresses, Plaza's own paths are accepted:
        ``/static/`` for the pictures its demo promotions ship with, ``/media/`` for the
        pictures partners upload in the portal."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and UPLOADED.fullmatch(value.strip()):
            return value.strip()
        if not isinstance(value, str) or safe_url(value.strip()) != value.strip():
            raise ValueError("Enter a full image address starting with https:// (or http://).")
        return value.strip()


class PromotionKind(CardKind[PromotionConfig]):
    """Write a sponsored card yourself: a headline, a sentence or two, a picture and a
    button that leads where you choose. It shows to shoppers who follow the interests you
    pick, only between the start and end you set, and never more often than your daily
    limits allow. Shoppers always see it marked as sponsored, with your sponsor's name."""

    name = "promotion"
    label = "Promotion"
    description = "A sponsored card you write, shown between two dates within daily limits."
    card_label = "Sponsored"
    feed_label = "Promotions"
    config_model = PromotionConfig
    fetches_remote = False
    gone_grace = timedelta(0)  # a removed item leaves the feed at once
    scheduled = True
    sponsored = True
    notification_category = "promotions"

    def refresh(self, config: PromotionConfig, context: RefreshContext) -> Iterator[CardDraft]:
        yield CardDraft(
            external_id="promotion",
            title=config.headline,
            url=config.cta_url,
            summary=config.body,
            image_url=config.image_url,
            starts_at=config.starts_at,
            ends_at=config.ends_at,
            payload={
                "sponsor": config.sponsor,
                "cta_label": config.cta_label,
                **DeliveryCaps.payload_of(config),
            },
        )

    def delivery_caps(self, card_payload: Mapping[str, Any]) -> DeliveryCaps:
        return DeliveryCaps.model_validate(card_payload)
