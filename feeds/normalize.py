"""Small, total functions that turn messy source values into clean ones.

Feeds are written by many hands: HTML in titles, prices in local formats,
relative or hostile links, dates in any of a dozen styles. Every function here
accepts whatever a source sends and answers with a clean value or ``None``;
none of them raises on bad input, so one odd item never sinks a whole refresh.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urljoin, urlsplit

# Tags whose boundaries separate words: "<p>a</p><p>b</p>" reads "a b", not "ab".
# fmt: off
_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav",
    "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul",
})
# fmt: on
# Tags whose content is never meant to be read as text.
_HIDDEN_TAGS = frozenset({"script", "style", "template"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Where a tag, end tag or comment begins ("a < b" is text); at the very end, it may.
_TAG_START = re.compile(r"<(?:[a-zA-Z/!?]|$)")


class _TextExtractor(HTMLParser):
    """Collects the readable text and the image sources of an HTML fragment.

    Python's own HTML parser is used because it copes with broken markup the
    way browsers do, which regular expressions cannot; character references are
    decoded on the way.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")
        elif tag == "img":
            src = dict(attrs).get("src")
            if src:
                self.images.append(src)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _extract(html: str) -> _TextExtractor:
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    return extractor


def plain_text(html_or_text: str | None, max_len: int) -> str:
    """Readable one-line text of an HTML fragment or plain string, at most ``max_len`` long.

    Tags are dropped (script and style content too), entities decoded, control
    characters removed and whitespace collapsed. Text that is too long is cut at
    a word boundary and ends with an ellipsis, so cards never show half a word.
    """
    text = "".join(_extract(html_or_text or "").parts)
    text = " ".join(_CONTROL.sub(" ", text).split())
    return text if len(text) <= max_len else _ellipsized(text, max_len, " ")


def clip_html(html: str | None, max_len: int) -> str:
    """An outside HTML fragment cut to at most ``max_len`` characters, to bound what is stored.

    The cut falls before a tag it would split, otherwise at a word as in
    :func:`plain_text`, and ends with an ellipsis. It may leave elements open (a
    list without its last items); that is harmless, because outside HTML is only
    ever shown through the sanitizer (the ``rich_text`` template filter), which
    closes them. The cut bounds size and never decides safety.
    """
    html = html or ""
    if len(html) <= max_len:
        return html
    head = html[: max_len - 1]
    tag = _TAG_START.search(head, head.rfind(">") + 1)
    if tag:
        return _ellipsized(head[: tag.start()], tag.start() + 1, "")
    return _ellipsized(html, max_len, " \t\r\n<>")


def _ellipsized(text: str, max_len: int, breaks: str) -> str:
    """``text`` cut to ``max_len`` with an ellipsis, at the last of ``breaks`` when the cut
    would split a word and backing up loses less than half."""
    cut = text[: max_len - 1]
    if len(cut) < len(text) and text[len(cut)] not in breaks:
        at = max((cut.rfind(mark) for mark in breaks), default=-1)
        if at > max_len // 2:
            cut = cut[: at + 1]
    return cut.rstrip(" \t\r\n,.;:-\u2013\u2014") + "\u2026"


def html_image_urls(html: str | None) -> list[str]:
    """The ``src`` of every ``<img>`` in an HTML fragment, in document order, unresolved."""
    return _extract(html or "").images


_CURRENCY_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "C$": "CAD",
    "CA$": "CAD",
    "A$": "AUD",
    "AU$": "AUD",
    "\u20ac": "EUR",
    "\u00a3": "GBP",
    "\u00a5": "JPY",
    "\u20b9": "INR",
}
_CURRENCY_CODE = re.compile(r"[A-Z]{3}")
# A plain space groups thousands only before exactly three digits ("1 299,00 EUR").
_NUMBER = re.compile(r"\d+(?:(?:[.,'\u00a0\u202f]| (?=\d{3}(?!\d)))\d+)*")
_MAX_PRICE = Decimal(10) ** 12


def parse_price(text: str | None) -> tuple[Decimal, str] | None:
    """Amount and ISO currency of a price such as "89.00 USD", "USD 89.00", "89,00 EUR" or "$89".

    Google Merchant asks for "<number> <ISO code>", but feeds also use symbols
    and European decimal commas. A comma followed by exactly three digits is a
    thousands separator ("1,299 USD"); otherwise the last "." or "," is the
    decimal mark. Anything else around the number (words, a minus sign, an
    unknown symbol) makes the price unreadable: ``None``.
    """
    if not text:
        return None
    match = _NUMBER.search(text)
    if not match:
        return None
    amount = _decimal(match.group())
    codes, symbols = [], []
    for token in (text[: match.start()] + " " + text[match.end() :]).split():
        if token in _CURRENCY_SYMBOLS:
            symbols.append(_CURRENCY_SYMBOLS[token])
        elif _CURRENCY_CODE.fullmatch(token):
            codes.append(token)
        else:
            return None
    currencies = codes or symbols
    if amount is None or len(set(currencies)) != 1:
        return None
    return amount, currencies[0]


def _decimal(number: str) -> Decimal | None:
    """A price number with grouping and a decimal mark in any common style."""
    separators = [c for c in number if not c.isdigit()]
    integer, fraction = number, ""
    if separators:
        last = separators[-1]
        head, _, tail = number.rpartition(last)
        is_decimal = (last == "." and separators.count(".") == 1) or (
            last == "," and separators.count(",") == 1 and len(tail) != 3
        )
        if is_decimal:
            integer, fraction = head, tail
            separators.pop()
        if len(set(separators)) > 1:
            return None
        groups = re.split(r"[., '\u00a0\u202f]", integer)
        if len(groups) > 1 and (len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:])):
            return None
        integer = "".join(groups)
    amount = Decimal(f"{integer}.{fraction}" if fraction else integer)
    return amount if amount < _MAX_PRICE else None


_MAX_URL = 2048


def safe_url(url: str | None, base_url: str = "") -> str | None:
    """An absolute http(s) URL, a root-relative ``/static/`` path, or ``None``.

    ``url`` is resolved against ``base_url`` (the document's final address).
    Everything a browser could run or misread is refused: other schemes
    (``javascript:``, ``data:``, ``vbscript:``...), control characters anywhere
    (browsers silently drop tabs and newlines, which hides schemes), backslashes
    in Plaza paths, and absurdly long values. Spaces are percent-encoded.
    When the base is not a web address (bundled demo data uses ``/static/demo/``),
    a result under ``/static/`` is kept as a path on Plaza itself.
    """
    if not url:
        return None
    url = url.strip(" \t\r\n\f")
    if not url or len(url) > _MAX_URL or _CONTROL.search(url):
        return None
    url = url.replace(" ", "%20")
    try:
        resolved = urljoin(base_url or "", url)
        parts = urlsplit(resolved)
    except ValueError:  # e.g. an unclosed "[" in an IPv6 host
        return None
    if parts.scheme in ("http", "https") and parts.hostname:
        return resolved
    path = unquote(resolved.split("?")[0].split("#")[0])
    if resolved.startswith("/static/") and "\\" not in path and ".." not in path.split("/"):
        return quote(resolved, safe="/?&=%#+;:@!$,'()*~-_.")
    return None


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_datetime(value: str | datetime | time.struct_time | None) -> datetime | None:
    """An aware UTC datetime from RFC 822, ISO 8601, a datetime or a UTC ``struct_time``.

    feedparser's ``*_parsed`` fields are ``struct_time`` values in UTC. Strings
    without a zone are taken as UTC. Anything unreadable or out of range is ``None``.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, time.struct_time):
        try:
            return datetime(*value[:5], min(value.tm_sec, 59), tzinfo=UTC)
        except (ValueError, OverflowError):
            return None
    text = value.strip()
    if not text:
        return None
    try:
        return as_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return as_utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):
        return None


_DURATION = re.compile(
    r"P(?!$)(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?"
)
_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1}


def iso8601_duration_seconds(value: str | None) -> int | None:
    """Whole seconds of an ISO 8601 duration such as YouTube's "PT1H2M3S" or "P0D".

    Years and months have no fixed length, so durations using them are ``None``,
    as is anything that is not a duration.
    """
    match = _DURATION.fullmatch((value or "").strip())
    if not match:
        return None
    return int(sum(float(v) * _SECONDS[k] for k, v in match.groupdict().items() if v))
