"""The interest taxonomy: a tree of slugs such as ``apparel/shoes/running``.

It lives in ``cards`` because kinds map their sources' categories onto it
(Google product categories, YouTube topics); the web app reads the same tree
for onboarding and ranking. The data ships as ``cards/data/interests.csv``
with the columns ``slug,name,aliases``; a slug's parent is its path minus the
last segment, so the file cannot describe a cycle or an orphan.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

_WORD = re.compile(r"[a-z0-9]+")


def _normalise(text: str) -> str:
    """Lower-case words joined by single spaces, with a trailing plural 's' dropped."""
    words = [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text.lower())]
    return " ".join(words)


@dataclass(frozen=True)
class Interest:
    slug: str
    name: str
    aliases: tuple[str, ...] = ()

    @property
    def parent(self) -> str | None:
        head, sep, _ = self.slug.rpartition("/")
        return head if sep else None

    @property
    def depth(self) -> int:
        return self.slug.count("/")


@dataclass
class Taxonomy:
    """An immutable-by-convention interest tree with lookups the feed needs often."""

    interests: dict[str, Interest]
    _children: dict[str | None, list[str]] = field(default_factory=dict, repr=False)
    _phrases: dict[str, str] = field(default_factory=dict, repr=False)
    _longest_phrase: int = field(default=1, repr=False)  # in words

    def __post_init__(self) -> None:
        for slug, interest in self.interests.items():
            parent = interest.parent
            if parent is not None and parent not in self.interests:
                raise ValueError(f"interest {slug!r} has no parent {parent!r} in the taxonomy")
            self._children.setdefault(parent, []).append(slug)
        # Deeper interests win when two share a phrase ("running" the sport vs the shoe).
        for interest in sorted(self.interests.values(), key=lambda i: i.depth):
            for phrase in (interest.name, *interest.aliases, interest.slug.rsplit("/", 1)[-1]):
                key = _normalise(phrase.replace("-", " "))
                if key:
                    self._phrases[key] = interest.slug
                    self._longest_phrase = max(self._longest_phrase, key.count(" ") + 1)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> Taxonomy:
        interests: dict[str, Interest] = {}
        for row in rows:
            slug = row["slug"].strip()
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
            interests[slug] = Interest(slug=slug, name=row["name"].strip(), aliases=aliases)
        return cls(interests)

    def __contains__(self, slug: object) -> bool:
        return slug in self.interests

    def __iter__(self) -> Iterator[Interest]:
        return iter(self.interests.values())

    def __len__(self) -> int:
        return len(self.interests)

    def get(self, slug: str) -> Interest | None:
        return self.interests.get(slug)

    def name(self, slug: str) -> str:
        interest = self.interests.get(slug)
        return interest.name if interest else slug

    def children(self, slug: str | None) -> list[str]:
        """Direct children of ``slug``; ``None`` gives the top-level interests."""
        return list(self._children.get(slug, ()))

    def ancestors(self, slug: str) -> list[str]:
        """Parent first, root last."""
        out: list[str] = []
        interest = self.interests.get(slug)
        while interest is not None and interest.parent is not None:
            out.append(interest.parent)
            interest = self.interests.get(interest.parent)
        return out

    def descendants(self, slug: str) -> list[str]:
        """``slug`` itself and everything below it."""
        out, stack = [], [slug]
        while stack:
            current = stack.pop()
            out.append(current)
            stack.extend(self._children.get(current, ()))
        return out

    def match(self, texts: Iterable[str]) -> list[str]:
        """Interests named by free-text categories, most specific first, without repeats.

        Each text may be a path such as ``Apparel & Accessories > Shoes > Running``
        (Google product taxonomy) or a plain label. Every segment is looked up
        whole; only when that finds nothing is each ``&``/``,``-separated part.
        """
        found: list[str] = []
        for text in texts:
            for segment in (s for s in re.split(r"\s*[>/|]\s*", text or "") if s.strip()):
                whole = self._phrases.get(_normalise(segment))
                # "Home & Garden" as a whole means home goods; its parts only count
                # when the whole segment names nothing.
                parts = (
                    [whole]
                    if whole
                    else [
                        self._phrases.get(_normalise(part))
                        for part in re.split(r"\s*(?:&|,| and )\s*", segment)
                    ]
                )
                found.extend(slug for slug in parts if slug and slug not in found)
        # Stable sort: equally deep interests keep the order the texts gave them.
        return sorted(found, key=lambda s: -self.interests[s].depth)

    def mentioned(self, texts: Iterable[str]) -> list[str]:
        """Interests named anywhere in free text (a video's title or description), most
        specific first, without repeats: the same names and aliases :meth:`match` reads,
        found as whole words, the longest phrase at each place winning ("trail running
        shoes" over "running"). Top-level interests are left out: a sentence that says
        "home" or "style" is rarely about all of Home or Apparel."""
        found: list[str] = []
        for text in texts:
            words = _normalise((text or "").replace("-", " ")).split()
            start = 0
            while start < len(words):
                for size in range(min(self._longest_phrase, len(words) - start), 0, -1):
                    slug = self._phrases.get(" ".join(words[start : start + size]))
                    if slug is not None:
                        break
                else:
                    start += 1
                    continue
                if "/" in slug and slug not in found:
                    found.append(slug)
                start += size
        return sorted(found, key=lambda s: -self.interests[s].depth)

    def search(self, query: str, limit: int = 20) -> list[Interest]:
        """Interests whose name, alias or slug contains every word of ``query``."""
        words = _normalise(query).split()
        if not words:
            return []
        scored = []
        for interest in self.interests.values():
            haystack = _normalise(" ".join((interest.name, *interest.aliases, interest.slug)))
            if all(w in haystack for w in words):
                starts = _normalise(interest.name).startswith(words[0])
                scored.append((not starts, interest.depth, interest.name, interest))
        scored.sort(key=lambda t: t[:3])
        return [t[3] for t in scored[:limit]]


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with Plaza, parsed once per process."""
    text = resources.files("cards").joinpath("data/interests.csv").read_text(encoding="utf-8")
    return Taxonomy.from_rows(csv.DictReader(text.splitlines()))
