"""The SQL a block of a test ran, read from the engine's own events: how tests show
that a page reads each thing once, or not at all."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event

STATEMENT = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b.*?\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.S
)


@contextmanager
def _listening(engine: Engine, record: Callable[[str], None]) -> Iterator[None]:
    def on_execute(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        record(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


@contextmanager
def recorded_sql(engine: Engine) -> Iterator[list[str]]:
    """Every statement ``engine`` runs within the block, as sent, in order."""
    sql: list[str] = []
    with _listening(engine, sql.append):
        yield sql


@contextmanager
def statements(app: Flask) -> Iterator[Counter[tuple[str, str]]]:
    """(verb, table) -> how many statements the app's engine runs within the block."""
    seen: Counter[tuple[str, str]] = Counter()

    def count(statement: str) -> None:
        match = STATEMENT.match(statement)
        if match:
            seen[match.group(1).upper(), match.group(2)] += 1

    with _listening(app.extensions["plaza.engine"], count):
        yield seen
