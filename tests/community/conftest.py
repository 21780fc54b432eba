"""Community tests report things of a small moderation world (tests/moderation.py)."""

from __future__ import annotations

import pytest

from tests.conftest import World
from tests.moderation import Moderation, moderation_world


@pytest.fixture
def mod(world: World) -> Moderation:
    return moderation_world(world)
