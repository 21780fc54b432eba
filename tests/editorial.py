"""The ``editorial`` kind for tests that need it.

It is registered in pyproject.toml like every built-in kind, but the entry points a test
process reads are those of the package as it was last installed: until Plaza is
installed again the kind is registered for the test instead, and left alone when the
installed package already has it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cards.editorial import EditorialKind
from cards.registry import all_kinds, registered


@pytest.fixture
def editorial_kind() -> Iterator[None]:
    if "editorial" in all_kinds():
        yield
        return
    with registered(EditorialKind()):
        yield
