"""Jinja set-up shared by every template: where templates are found (Plaza first,
then card-kind plugins), and filters for money, durations and times."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from importlib import resources

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader

from cards.registry import all_kinds

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


def plugin_template_folders() -> list[str]:
    """``templates/`` folders shipped inside the packages that provide card kinds.

    A third-party kind ships ``<its package>/templates/cards/<kind>.html`` and
    Plaza finds it; Plaza's own templates come first, so a plugin cannot
    replace a page by accident.
    """
    folders: list[str] = []
    for kind in all_kinds().values():
        package = type(kind).__module__.partition(".")[0]
        try:
            folder = resources.files(package).joinpath("templates")
        except (ModuleNotFoundError, TypeError):
            continue
        if folder.is_dir() and str(folder) not in folders:
            folders.append(str(folder))
    return folders


def init_app(app: Flask) -> None:
    assert app.jinja_loader is not None
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, *(FileSystemLoader(f) for f in plugin_template_folders())]
    )
    app.add_template_filter(money)
    app.add_template_filter(duration)
    app.add_template_filter(compact_number)
    app.add_template_filter(ago)
