"""JSON request bodies that cannot crash a request: nesting has a limit.

Python's parser recurses once per level, so a body of ten thousand ``[`` raised
RecursionError (a 500, not a 400) on the API, the time zone and the push routes;
a body just under Python's limit parsed, then broke the first code that walked
it. No body Plaza takes nests deeper than a few levels (a provider's settings,
a push subscription), so anything deeper than :data:`MAX_DEPTH` is refused as
invalid JSON: ``request.get_json()`` answers 400 and ``get_json(silent=True)``
gives None, as for any other malformed body.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 32


class NestingTooDeep(ValueError):
    """The JSON nests deeper than Plaza reads."""


def depth(value: Any) -> int:
    """How deeply ``value`` nests lists and objects (0 for a scalar), without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level + 1) for child in children)
    return deepest


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested deeper than :data:`MAX_DEPTH`."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise NestingTooDeep(f"JSON may nest at most {MAX_DEPTH} levels deep.") from None
        if depth(value) > MAX_DEPTH:
            raise NestingTooDeep(f"JSON may nest at most {MAX_DEPTH} levels deep.")
        return value


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
