"""Names that look alike: email addresses and organisation names compared as people
read them, not as computers store them.

Three steps, after Unicode's own advice (UTS #39):

* :func:`hidden_characters` finds what a reader cannot see at all: direction
  overrides (U+202E turns ``moc.elpmaxe@bob`` around), zero-width joiners, other
  format and control characters. A name carrying any is refused.
* :func:`normalise` is NFKC and case-folding: full-width ``bob`` (U+FF42...) *is* ``bob``,
  ``Acme`` *is* ``acme``, so they are the same name and a duplicate.
* :func:`skeleton` then replaces each non-ASCII letter that is drawn like an ASCII
  one (Cyrillic a U+0430, Greek omicron U+03BF, dotless i U+0131...) by that letter, from Unicode's
  confusables table (the ``confusable_homoglyphs`` package). Two names with one
  skeleton look the same on a screen; the second is refused as a look-alike of the
  first. ASCII itself is left alone (``bob1`` and ``bobl`` stay different names).

Skeletons are stored beside the names (``user.email_skeleton``,
``organization.name_skeleton``), indexed, so a look-alike is found in one query.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from confusable_homoglyphs import confusables

HIDDEN_CATEGORIES = frozenset({"Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"})


def hidden_characters(text: str) -> list[str]:
    """The invisible or direction-changing characters in ``text``, as ``U+XXXX`` names."""
    return [
        f"U+{ord(char):04X} {unicodedata.name(char, 'unnamed')}"
        for char in text
        if unicodedata.category(char) in HIDDEN_CATEGORIES
    ]


def normalise(text: str) -> str:
    """``text`` as compared: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


@cache
def _ascii_lookalikes() -> dict[str, str]:
    """Each non-ASCII character that Unicode lists as confusable with an ASCII letter or
    digit, and that character."""
    out: dict[str, str] = {}
    for char, glyphs in confusables.confusables_data.items():
        if len(char) != 1 or char.isascii():
            continue
        for glyph in glyphs:
            drawn = glyph["c"]
            if len(drawn) == 1 and drawn.isascii() and drawn.isalnum():
                out[char] = drawn.lower()
                break
    return out


def skeleton(text: str) -> str:
    """What ``text`` looks like: equal skeletons, indistinguishable names."""
    lookalikes = _ascii_lookalikes()
    return "".join(lookalikes.get(char, char) for char in normalise(text))
