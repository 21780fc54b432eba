"""Jinja set-up shared by every template: where templates are found (Plaza first,
then card-kind plugins), filters for money, durations and times, and ``rich_text``,
the only way HTML from outside becomes markup on a page."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from app.web.devices import device_name
from cards.prices import stored_price
from cards.registry import all_kinds
from feeds.sanitize import sanitize_html

CURRENCY_SIGNS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$", "JPY": "¥"}


def money(amount: object, currency: str | None = "USD") -> str:
    value = stored_price(amount)
    if value is None:
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


@pass_context
def rich_text(context: Context, html: object, base_url: str | None = None) -> Markup:
    """Outside HTML (a feed's or calendar's description) as markup a card may show.

    Card templates never mark payload data ``|safe``: this filter is the one place
    where HTML from outside becomes markup, so the allow-list in
    :mod:`feeds.sanitize` holds for every kind, Plaza's and third parties'. What
    survives is formatting (paragraphs, emphasis, lists, headings from h3 down,
    links, images): no script, form, frame, style, event handler, ``id``,
    ``class``, ``hx-*`` or ``data-*`` attribute, so nothing in it can act through
    htmx or collide with the ids of Plaza's own elements (``card-12``, ``why-12``).
    Links and images must be http(s); links get ``rel="noopener noreferrer nofollow"``.

    Relative URLs are resolved against ``base_url`` or, without one, against the
    URL of the ``card`` being rendered (the page the description belongs to);
    when that is not an http(s) address either, they are removed rather than
    left to resolve against Plaza's own pages. The HTML is sanitized at every
    render, not when stored, so a tighter allow-list protects cards that are
    already stored too. Anything but a string (a missing payload field) renders
    as nothing.
    """
    if not isinstance(html, str):
        return Markup("")
    if base_url is None:
        base_url = getattr(context.get("card"), "url", None)
    return Markup(sanitize_html(html, base_url))  # noqa: S704 -- the allow-list just ran


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


# Plaza's own filters, there for card-kind templates as well; docs/plugins.md lists each.
FILTERS = (money, duration, compact_number, ago, rich_text, device_name)


def init_app(app: Flask) -> None:
    assert app.jinja_loader is not None
    app.jinja_loader = ChoiceLoader(
        [app.jinja_loader, *(FileSystemLoader(f) for f in plugin_template_folders())]
    )
    for template_filter in FILTERS:
        app.add_template_filter(template_filter)
