"""What a notification says: one wording for the centre, push and email.

Everything is composed from the card as it is at delivery time (a price that
changed again shows the new price), in the worker or a request alike; links
are absolute, built from ``NOTIFY_BASE_URL`` because a worker has no request
to take a host from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any
from urllib.parse import urljoin, urlsplit

from flask import Flask, render_template

from app.models import Card
from app.models.notifications import Notification
from app.notifications.catalog import MESSAGE_CATEGORIES, Category
from app.web.templating import money
from cards.prices import paid_price

TITLE_MAX = 120
BODY_MAX = 240
SUMMARY_MAX = 160


@dataclass(frozen=True)
class Item:
    """One thing to tell a consumer about, in words."""

    title: str
    body: str
    card: Card | None = None
    path: str | None = None  # where a message points, on this site


@dataclass(frozen=True)
class Section:
    """One part of a digest (its daily or its weekly picks); untitled when it is the only one."""

    title: str
    items: list[Item]
    more: int  # items this part counted but does not list


@dataclass(frozen=True)
class Composed:
    """A whole notification: its heading, and the items it lists (one, or a digest's)."""

    heading: Item
    items: list[Item]
    more: int  # items a digest counted but does not list
    sections: tuple[Section, ...] = ()

    @classmethod
    def single(cls, item: Item) -> Composed:
        return cls(item, [item], 0, (Section("", [item], 0),))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _price(card: Card) -> str:
    payload = card.payload
    return money(paid_price(payload), payload.get("currency"))


def describe(row: Notification, card: Card | None) -> Item | None:
    """The words for a card or message row; None when its card is no longer shown."""
    if row.category in MESSAGE_CATEGORIES or row.card_id is None:
        content = row.content
        return Item(
            _clip(str(content.get("title", "Plaza")), TITLE_MAX),
            _clip(str(content.get("body", "")), BODY_MAX),
            path=str(content.get("path") or "/"),
        )
    if card is None or card.removed_at is not None:
        return None
    summary = _clip(card.summary or "", SUMMARY_MAX)
    title = _clip(card.title, TITLE_MAX)
    match row.category:
        case Category.PRICE_DROPS:
            was = card.payload.get("previous_price")
            now_price = _price(card)
            body = f"Now {now_price}" if now_price else "The price went down."
            if was and now_price:
                body += f", was {money(was, card.payload.get('currency'))}"
            return Item(f"Price drop: {title}", body, card)
        case Category.VIDEOS:
            return Item(f"New video: {title}", summary, card)
        case Category.BOARDS:
            return Item(f"New board: {title}", summary, card)
        case Category.PROMOTIONS:
            return Item(f"Offer: {title}", _clip(f"Sponsored · {summary}", BODY_MAX), card)
        case Category.SURVEYS:
            return Item(f"Quick question: {title}", summary, card)
        case _:
            price = _price(card)
            return Item(title, " · ".join(p for p in ("New for you", price) if p), card)


DIGEST_HEADINGS = {"daily": "Your daily picks", "weekly": "Your weekly picks"}
PART_TITLES = {"daily": "Today", "weekly": "This week"}
BOTH_HEADING = "Your picks for today and this week"


def digest_heading(modes: list[str]) -> str:
    """'Your daily picks', or one heading for a daily and a weekly digest that met."""
    if len(modes) > 1:
        return BOTH_HEADING
    return DIGEST_HEADINGS.get(modes[0] if modes else "daily", DIGEST_HEADINGS["daily"])


def describe_digest(modes: list[str], items: list[Item], total: int) -> Item:
    names = ", ".join(item.title for item in items[:2])
    more = f" and {total - 2} more" if total > 2 else ""
    cards = "1 card" if total == 1 else f"{total} cards"
    return Item(digest_heading(modes), _clip(f"{cards} for you: {names}{more}.", BODY_MAX))


@dataclass(frozen=True)
class DigestPart:
    """What a digest row lists for one of its parts: the outbox rows, and how many it counted."""

    mode: str
    item_ids: list[int]
    total: int


def digest_parts(row: Notification) -> list[DigestPart]:
    """The parts a digest row stored; a digest made before parts existed is one part."""
    content = row.content
    stored = content.get("parts") or [
        {"mode": row.mode, "items": content.get("items", []), "total": content.get("total", 0)}
    ]
    return [
        DigestPart(str(part["mode"]), [int(i) for i in part["items"]], int(part.get("total", 0)))
        for part in stored
    ]


def digest_sections(parts: list[tuple[str, list[Item], int]]) -> tuple[Section, ...]:
    """Sections from (mode, items, counted) parts: titled only when there are several."""
    titled = len(parts) > 1
    return tuple(
        Section(PART_TITLES.get(mode, "") if titled else "", items, max(total - len(items), 0))
        for mode, items, total in parts
    )


class Links:
    """Absolute links into Plaza, without a request."""

    def __init__(self, app: Flask, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url.rstrip("/") + "/"
        self._urls = app.url_map.bind(
            parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
        )

    def url(self, endpoint: str, **values: Any) -> str:
        return self._urls.build(endpoint, values, force_external=True)

    def absolute(self, path_or_url: str) -> str:
        return urljoin(self.base_url, path_or_url)

    def item_target(self, item: Item) -> str:
        """Where tapping an item goes: the card (counted as an open), or the message's page."""
        if item.card is not None:
            return self.url("cards.open_card", card_id=item.card.id)
        return self.absolute(item.path or "/")


def push_payload(row: Notification, item: Item, links: Links) -> bytes:
    """The JSON the service worker shows; opening it goes through the notification."""
    data = {
        "title": item.title,
        "body": item.body,
        "url": links.url("notifications.open", notification_id=row.id),
        "tag": f"plaza-{row.id}",
        "icon": links.url("static", filename="icon.svg"),
    }
    return json.dumps(data, ensure_ascii=False).encode()


def email_message(
    row: Notification,
    to: str,
    composed: Composed,
    *,
    links: Links,
    mail_from: str,
    unsubscribe_url: str,
) -> EmailMessage:
    """An HTML + plain text email with one-click unsubscribe (RFC 8058).

    The Message-ID is derived from the outbox row, so a retry after a crash
    is recognisably the same message.
    """
    context = {
        "heading": composed.heading,
        "sections": [
            (
                section.title,
                [(item, links.item_target(item), _image(item, links)) for item in section.items],
                section.more,
            )
            for section in composed.sections
        ],
        "listed": len(composed.items),
        "feed_url": links.url("feed.home"),
        "settings_url": links.url("notifications.settings"),
        "unsubscribe_url": unsubscribe_url,
    }
    message = EmailMessage()
    message["Subject"] = composed.heading.title
    message["From"] = mail_from
    message["To"] = to
    message["Date"] = formatdate(usegmt=True)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "plaza.invalid"
    message["Message-ID"] = f"<notification.{row.id}.{row.user_id}@{domain}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(render_template("notifications/email/message.txt", **context))
    message.add_alternative(
        render_template("notifications/email/message.html", **context), subtype="html"
    )
    return message


def _image(item: Item, links: Links) -> str | None:
    if item.card is None or not item.card.image_url:
        return None
    return links.absolute(item.card.image_url)
