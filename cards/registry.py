"""Finds card kinds through the ``plaza.card_kinds`` entry-point group.

Built-in and third-party kinds load the same way, so the built-ins prove the
plugin path works. Tests add and remove kinds with :func:`register` and
:func:`unregister` (or the ``registered`` context manager) without installing
a distribution.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import entry_points
from typing import Any

from cards.spec import CardKind

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "plaza.card_kinds"

_kinds: dict[str, CardKind[Any]] | None = None


class UnknownKind(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"There is no card kind called {name!r}.")
        self.name = name


def _load() -> dict[str, CardKind[Any]]:
    global _kinds
    if _kinds is None:
        loaded: dict[str, CardKind[Any]] = {}
        for entry in entry_points(group=ENTRY_POINT_GROUP):
            try:
                loaded[entry.name] = _instantiate(entry.name, entry.load())
            except Exception:
                # One broken plugin must not take the feed down with it.
                log.exception("card kind %r could not be loaded; it is skipped", entry.name)
        _kinds = loaded
    return _kinds


def _instantiate(name: str, kind_class: object) -> CardKind[Any]:
    if not (isinstance(kind_class, type) and issubclass(kind_class, CardKind)):
        raise TypeError(f"entry point {name!r} is not a CardKind subclass")
    if kind_class.name != name:
        raise TypeError(f"entry point {name!r} loads a kind named {kind_class.name!r}")
    return kind_class()


def all_kinds() -> dict[str, CardKind[Any]]:
    """Every registered kind by name, in a stable order."""
    return dict(sorted(_load().items()))


def get_kind(name: str) -> CardKind[Any]:
    try:
        return _load()[name]
    except KeyError:
        raise UnknownKind(name) from None


def register(kind: CardKind[Any]) -> None:
    if not kind.name:
        raise ValueError("a card kind needs a name")
    _load()[kind.name] = kind


def unregister(name: str) -> None:
    _load().pop(name, None)


@contextmanager
def registered(kind: CardKind[Any]) -> Iterator[CardKind[Any]]:
    """Register ``kind`` for the duration of a block (a test)."""
    register(kind)
    try:
        yield kind
    finally:
        unregister(kind.name)
