"""Allow-list HTML sanitizing for markup that comes from outside (feed descriptions, notes).

Plaza renders cards with htmx, so outside HTML is more dangerous here than on a
static page: beyond scripts and event handlers, an ``hx-get`` or ``hx-post``
attribute would let a feed make the consumer's browser send requests with their
session. An allow-list is the only safe shape for that, and nh3 (the Rust
``ammonia`` sanitizer, built on a browser-grade HTML parser) already implements
it well, so this module only configures it:

* a few formatting tags survive; unknown tags are unwrapped (their text stays),
  while tags whose content is code or chrome (``script``, ``style``, ``iframe``,
  forms' fields, a document's ``title``...) go away with their content;
* attributes survive only where listed (``href`` on links; ``src``, ``alt``,
  ``width``, ``height`` on images), which drops ``style``, ``on*``, ``hx-*``,
  ``data-*`` and everything else;
* URLs must be ``http`` or ``https``; relative ones are resolved against the
  document's address or, without one, removed (they would otherwise point into
  Plaza itself);
* links get ``rel="noopener noreferrer nofollow"``.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

import nh3

__all__ = ["ALLOWED_ATTRIBUTES", "ALLOWED_TAGS", "LINK_REL", "sanitize_html"]

ALLOWED_TAGS = frozenset(
    {
        *("p", "br", "strong", "em", "b", "i", "code", "pre", "blockquote"),
        *("ul", "ol", "li", "a", "img", "h3", "h4", "h5", "h6"),
    }
)
# "*" (attributes for every tag) is spelled out as empty: nh3 would otherwise keep
# its defaults there (lang, title).
ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset(),
    "a": frozenset({"href", "title"}),
    "img": frozenset({"src", "alt", "title", "width", "height"}),
}
# Removed together with everything inside them: their content is code, styling,
# another document, or form chrome that reads as nonsense once unwrapped.
REMOVED_WITH_CONTENT = frozenset(
    {
        *("script", "style", "template", "noscript", "iframe", "frame", "frameset"),
        *("object", "embed", "applet", "svg", "math", "textarea", "select", "button"),
        "title",  # a whole document's title (Outlook sends those), not part of its text
    }
)
URL_SCHEMES = frozenset({"http", "https"})
LINK_REL = "noopener noreferrer nofollow"
_SIZE_ATTRIBUTES = frozenset({"width", "height"})


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Return ``html`` reduced to safe formatting, with URLs made absolute against ``base_url``.

    ``base_url`` is the address of the document the HTML came from (the feed,
    or the item's link); if it is missing or not an http(s) URL, relative URLs
    are dropped rather than left to resolve against Plaza's own pages.
    """
    if not html:
        return ""
    return _cleaner(_usable_base(base_url)).clean(html)


def _usable_base(base_url: str | None) -> str | None:
    if not base_url:
        return None
    try:
        parts = urlsplit(base_url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in URL_SCHEMES or not parts.hostname:
        return None
    return parts.geturl()


@lru_cache(maxsize=64)
def _cleaner(base_url: str | None) -> nh3.Cleaner:
    """One configured cleaner per base URL; a feed's items share theirs."""
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        url_schemes=set(URL_SCHEMES),
        url_relative=("rewrite_with_base", base_url) if base_url else "deny",
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _filter_attribute(_tag: str, attribute: str, value: str) -> str | None:
    """Keep image sizes only as plain pixel counts; a layout knob is all they should be."""
    if attribute in _SIZE_ATTRIBUTES:
        value = value.strip()
        return value if value.isdigit() and len(value) <= 4 else None
    return value
