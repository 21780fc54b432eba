"""Turn fetched bytes into a feedparser result, and decide when a document is unusable.

feedparser is lenient on purpose: it reads ill-formed feeds, guesses encodings
and never raises. That leniency is kept (a feed with one broken item still
gives the others), with three additions:

* feedparser only ever sees the bytes Plaza fetched, wrapped in a stream.
  Handed raw bytes or a string it would treat them as a file path or URL and
  read that instead, so a server answering ``/etc/passwd`` could make it read
  a local file.
* A document that declares its own XML entities is refused before parsing.
  Entity declarations are how "billion laughs" expansion and external-entity
  file reads work; no real feed needs them, so refusing is simpler and safer
  than trusting every parser path to defuse them.
* A document that gave no entries and is not a well-formed (empty) feed is an
  error with a sentence a retailer can act on, instead of an empty result that
  would look like "the shop has no products".
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Mapping

import feedparser
from feedparser.encodings import convert_to_utf8

from feeds.normalize import safe_url

# Encodings that accept any byte, so a wrong declaration silently garbles UTF-8 text.
_SINGLE_BYTE_ENCODINGS = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
_FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/xml"})


class FeedFormatError(Exception):
    """The document is not a feed Plaza can use; ``message`` says why in one sentence."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_feed(body: bytes, headers: Mapping[str, str], base_url: str) -> feedparser.FeedParserDict:
    """Parse fetched feed bytes.

    URLs come back as the document wrote them: kinds resolve the few they use
    against ``base_url`` with ``safe_url``, which is far cheaper than letting
    feedparser resolve every element (a quarter of its parsing time).
    ``base_url`` here only helps explain an HTML page that links to a feed.

    ``headers`` are the response headers: their Content-Type charset takes part
    in choosing the encoding, exactly as when feedparser fetches by itself.
    Ill-formed feeds that still yielded entries are returned (``bozo`` is set);
    a well-formed feed without entries is returned empty. Everything else
    raises :class:`FeedFormatError`.
    """
    if not body.strip():
        raise FeedFormatError("The address returned an empty response, not a feed.")
    response_headers = {name.lower(): value for name, value in headers.items()}
    response_headers, text = _decode_like_feedparser(body, response_headers)
    if b"<!ENTITY" in text:
        raise FeedFormatError(
            "The feed declares its own XML entities (<!ENTITY>), which Plaza refuses for safety."
        )
    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers=response_headers,
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    if parsed.entries or (parsed.get("version") and not parsed.bozo):
        return parsed
    raise FeedFormatError(_why_unusable(body, response_headers, parsed, base_url))


def _decode_like_feedparser(body: bytes, headers: dict[str, str]) -> tuple[dict[str, str], bytes]:
    """The UTF-8 text feedparser will parse, and the headers that make it parse that text.

    This runs feedparser's own encoding step, so the entity check looks at the
    very characters the XML parser will see, whatever encoding tricks the
    document plays. One correction is made: bytes that are valid multi-byte
    UTF-8 but declared (or defaulted) as Latin-1, Windows-1252 or ASCII are
    read as UTF-8, because that declaration is almost always a server default
    and honouring it garbles every accented letter ("CafÃ©").
    """
    info: dict[str, object] = {}
    text = convert_to_utf8(headers, body, info)
    encoding = str(info.get("encoding") or "")
    if encoding and codecs.lookup(encoding).name in _SINGLE_BYTE_ENCODINGS and _is_utf8(body):
        media_type = (headers.get("content-type") or "application/xml").split(";")[0].strip()
        headers = {**headers, "content-type": f"{media_type}; charset=utf-8"}
        text = convert_to_utf8(headers, body, {})
    return headers, text


def _is_utf8(body: bytes) -> bool:
    """True for bytes that are valid UTF-8 and use at least one multi-byte character."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not body.isascii()


def _why_unusable(
    body: bytes, headers: Mapping[str, str], parsed: feedparser.FeedParserDict, base_url: str
) -> str:
    """One sentence for the retailer: what came back instead of a feed."""
    media_type = (headers.get("content-type") or "").split(";")[0].strip().lower()
    start = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if media_type in ("text/html", "application/xhtml+xml") or start.startswith(
        (b"<!doctype html", b"<html")
    ):
        for link in parsed.feed.get("links", []):
            href = safe_url(link.get("href"), base_url)
            if link.get("rel") == "alternate" and link.get("type") in _FEED_TYPES and href:
                return (
                    "The address returned an HTML page, not a feed. The page links to a feed "
                    f"at {href}; use that address instead."
                )
        return "The address returned an HTML page, not a feed."
    if parsed.get("version"):
        return "The feed is malformed and Plaza could not read any items from it."
    return "The address did not return an RSS or Atom feed."
