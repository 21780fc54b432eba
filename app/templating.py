"""Jinja helpers shared by every template: formatting money, durations, times."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from flask import Flask

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


def money(amount: object, currency: str | None = "USD") -> str:
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return ""
    sign = CURRENCY_SIGNS.get(currency or "USD")
    text = f"{value:,.2f}"
    return f"{sign}{text}" if sign else f"{text} {currency}"


def duration(seconds: object) -> str:
    if not isinstance(seconds, int) or seconds < 0:
        return ""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def compact_number(value: object) -> str:
    if not isinstance(value, int):
        return ""
    for limit, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if value >= limit:
            return f"{value / limit:.1f}".rstrip("0").rstrip(".") + suffix
    return str(value)


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(duration)
    app.add_template_filter(compact_number)
    app.add_template_filter(ago)
