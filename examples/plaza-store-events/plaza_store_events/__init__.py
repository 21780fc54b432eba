"""plaza-store-events: an example third-party Plaza card kind for in-store events.

Plaza finds :class:`StoreEventsKind` through the ``plaza.card_kinds`` entry point
declared in this package's ``pyproject.toml``; nothing in Plaza names it.
"""

from plaza_store_events.kind import StoreEventsConfig, StoreEventsKind

__all__ = ["StoreEventsConfig", "StoreEventsKind"]
