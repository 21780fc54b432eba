"""What a shopper typed, made safe to search for.

Whatever comes in (quotes, ``NEAR``, ``*``, ``OR``, SQL, markup) is only ever shown back
as text and searched for as words: letters and digits, lower-case, at most
:data:`MAX_WORDS` of them from the first :data:`MAX_CHARS` characters. Punctuation only
separates words, so nothing typed is syntax to FTS5 or ``to_tsquery``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 100  # longer searches are cut, and the page says so
MAX_WORDS = 8
MAX_WORD_CHARS = 40  # the vocabulary's longest words
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchQuery:
    text: str  # what is shown back: the search as typed, spaces tidied, cut
    words: tuple[str, ...]  # what is searched for
    cut: bool = False  # the search was longer than what is searched for

    @classmethod
    def parse(cls, typed: str) -> SearchQuery:
        text = " ".join(typed.split())
        cut = len(text) > MAX_CHARS
        text = text[:MAX_CHARS]
        found = [word[:MAX_WORD_CHARS] for word in WORD.findall(text.lower())]
        words = tuple(dict.fromkeys(found))
        return cls(text=text, words=words[:MAX_WORDS], cut=cut or len(words) > MAX_WORDS)
