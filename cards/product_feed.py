"""The ``product_feed`` kind: one card per product of an RSS, Atom or Google Merchant feed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from feedparser import FeedParserDict
from pydantic import BaseModel, ConfigDict, Field

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
from feeds.normalize import as_utc, parse_datetime, parse_price, plain_text, safe_url

# Merchant Center feeds may bind this namespace to any prefix; feedparser names
# unknown elements "<prefix>_<element>", so the prefix is looked up per document.
_GOOGLE_NAMESPACES = frozenset({"http://base.google.com/ns/1.0", "http://base.google.com/cns/1.0"})
_AVAILABILITY = frozenset({"in_stock", "out_of_stock", "preorder", "backorder"})


class ProductFeedConfig(BaseModel):
    """Where the product feed lives and how much of it to show."""

    model_config = ConfigDict(extra="forbid")

    url: WebAddress = Field(
        title="Feed address",
        description="Address of your product feed: RSS 2.0, Atom or a Google Merchant Center "
        "feed, e.g. https://shop.example/feeds/products.xml.",
    )
    max_items: int = Field(
        default=200,
        ge=1,
        le=1000,
        title="Most products",
        description="How many products to show, counted from the top of the feed.",
    )


class ProductFeedKind(CardKind[ProductFeedConfig]):
    """Turn the product feed you already publish into product cards. Give Plaza the address
    of an RSS 2.0 or Atom feed, or of the feed you send to Google Merchant Center, and each
    product becomes a card with its picture, price, sale price and availability, linked to
    its page in your shop. Plaza reads your Google product categories and product types to
    show each product to shoppers who follow those interests, and checks the feed every
    hour, downloading it again only when it has changed."""

    name = "product_feed"
    label = "Product feed"
    description = "Product cards from an RSS, Atom or Google Merchant Center feed."
    card_label = "Product"
    feed_label = "Products"
    config_model = ProductFeedConfig
    default_interval = timedelta(hours=1)
    gone_grace = timedelta(days=2)  # a delisted product lingers briefly, then expires
    freshness_half_life = timedelta(days=7)
    notification_category = "products"

    def refresh(self, config: ProductFeedConfig, context: RefreshContext) -> Iterator[CardDraft]:
        document = fetch_feed(context, config.url)
        if document is None:
            return
        prefix = _google_prefix(document.parsed)
        drafts = (
            _product(entry, prefix, document.base_url, context) for entry in document.parsed.entries
        )
        yield from islice(first_of_each(d for d in drafts if d is not None), config.max_items)


def _google_prefix(parsed: FeedParserDict) -> str:
    """The prefix this document binds to Google's namespace ("g" almost always)."""
    namespaces = parsed.get("namespaces", {})
    return next(
        (p for p, uri in namespaces.items() if p and uri.rstrip("/") in _GOOGLE_NAMESPACES), "g"
    )


def _product(
    entry: dict[str, Any], prefix: str, base_url: str, context: RefreshContext
) -> CardDraft | None:
    """One product card, or ``None`` when the item has no usable link or title."""

    def google(name: str) -> str | None:
        value = entry.get(f"{prefix}_{name}")
        return (value.strip() or None) if isinstance(value, str) else None

    url = safe_url(google("link"), base_url) or safe_url(entry.get("link"), base_url)
    title = plain_text(google("title") or entry.get("title"), TITLE_MAX)
    if url is None or not title:
        named = title or url or plain_text(entry.get("id"), TITLE_MAX) or "An item"
        reason = (
            "it has neither a title nor a link"
            if url is None and not title
            else "it has no link to the product's page (an https:// address)"
            if url is None
            else "it has no title"
        )
        report_rejected(context, named, reason)
        return None
    price = parse_price(google("price"))
    sale = parse_price(google("sale_price"))
    if not (
        price
        and sale
        and sale[1] == price[1]
        and sale[0] < price[0]
        and _sale_running(google("sale_price_effective_date"), context.now)
    ):
        sale = None
    categories = [google("google_product_category"), google("product_type")]
    categories += [tag.get("term") for tag in entry.get("tags", [])]
    return CardDraft(
        external_id=google("id") or (entry.get("id") or "").strip() or url,
        title=title,
        url=url,
        summary=plain_text(entry.get("summary") or google("description"), SUMMARY_MAX),
        image_url=safe_url(google("image_link"), base_url) or entry_image(entry, base_url),
        interests=context.taxonomy.match(c for c in categories if c),
        published_at=entry_published(entry, context.now),
        payload={
            "price": f"{price[0]:.2f}" if price else None,
            "currency": price[1] if price else None,
            "sale_price": f"{sale[0]:.2f}" if sale else None,
            "availability": _availability(google("availability")),
            "brand": plain_text(google("brand"), 80) or None,
            "product_type": plain_text(google("product_type"), 200) or None,
            "google_product_category": plain_text(google("google_product_category"), 200) or None,
        },
    )


def _availability(value: str | None) -> str | None:
    """Merchant availability ("in stock", "in_stock", "Out-of-stock") as a fixed token."""
    token = re.sub(r"[\s-]+", "_", (value or "").strip().lower())
    return token if token in _AVAILABILITY else None


def _sale_running(period: str | None, now: datetime) -> bool:
    """Whether ``now`` falls in a Merchant ``sale_price_effective_date`` ("start/end").

    Feeds are refreshed hourly but sales end at a set minute, so an ended sale
    is dropped here rather than shown until the retailer edits the feed. A
    missing or unreadable period means the sale price simply applies.
    """
    start, _, end = (period or "").partition("/")
    starts_at, ends_at = parse_datetime(start), parse_datetime(end)
    if starts_at is None or ends_at is None:
        return True
    return starts_at <= as_utc(now) < ends_at
