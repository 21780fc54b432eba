"""What else a word of a search may be: the word the shopper is still typing, or the
word they meant.

Both come from the index's vocabulary (:class:`app.models.SearchTerm`, the words cards
hold), the same on SQLite and PostgreSQL: the last word may be the start of longer ones
("runn" -> "running", "runner"), and a word the index has never seen may be a
misspelling of one it has, within one edit for words of five to seven letters and two
for longer ones ("runing" -> "running"). Edits are counted by RapidFuzz's optimal string
alignment distance, so swapping two letters ("shoes" -> "sheos") is one edit. Short
words are left alone: one edit away from "shoe" are "shop", "show" and "shot".

Near words are looked for among those that start with the same letter and are about as
long (one index range, a few thousand words at most), since a first letter is rarely the
one mistyped.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models import SearchTerm

COMPLETIONS = 4  # longer words the last word may be the start of
NEAR_WORDS = 3  # known words a misspelt one may be
CANDIDATES = 5_000  # vocabulary words compared with a misspelt one, at most
SHORTEST_MISSPELT = 5
SHORTEST_START = 2  # a single letter is the start of too many words to mean one


def alternatives(db: Session, words: Sequence[str]) -> list[tuple[str, ...]]:
    """For each of ``words``, the words to look for: itself first, then, for the last,
    the longer words it may be the start of, and for a word the index does not know,
    the known words nearest to it."""
    known = set(db.exec(select(SearchTerm.term).where(col(SearchTerm.term).in_(words))))
    found = []
    for position, word in enumerate(words):
        options = [word]
        if position == len(words) - 1 and len(word) >= SHORTEST_START:
            options += completions(db, word)
        if word not in known and len(word) >= SHORTEST_MISSPELT:
            options += near_words(db, word)
        found.append(tuple(dict.fromkeys(options)))
    return found


def completions(db: Session, start: str) -> list[str]:
    """The shortest known words that begin with ``start`` (and are longer)."""
    query = (
        select(SearchTerm.term)
        .where(col(SearchTerm.term) > start, col(SearchTerm.term) < _after(start))
        .order_by(func.length(col(SearchTerm.term)), col(SearchTerm.term))
        .limit(COMPLETIONS)
    )
    return list(db.exec(query))


def near_words(db: Session, word: str) -> list[str]:
    """Known words within the edits allowed for ``word``'s length, nearest first."""
    edits = 1 if len(word) < 8 else 2
    length = func.length(col(SearchTerm.term))
    candidates = db.exec(
        select(SearchTerm.term)
        .where(
            col(SearchTerm.term) >= word[0],
            col(SearchTerm.term) < _after(word[0]),
            length.between(len(word) - edits, len(word) + edits),
        )
        .limit(CANDIDATES)
    ).all()
    found = process.extract(
        word, candidates, scorer=OSA.distance, score_cutoff=edits, limit=NEAR_WORDS
    )
    return [term for term, _, _ in sorted(found, key=lambda f: (f[1], f[0]))]


def _after(start: str) -> str:
    """The first string after every string that begins with ``start``."""
    return start[:-1] + chr(ord(start[-1]) + 1)
