"""Errors a card kind raises, each carrying a message meant for a person."""

from __future__ import annotations

from datetime import datetime


class SourceError(Exception):
    """The provider's source could not be turned into cards.

    ``message`` is written for the retailer who owns the provider ("The feed
    address answered 404 Not Found"). ``retry_after`` lets a kind or the fetcher
    ask the scheduler not to try again before a given time (a quota reset, a
    ``Retry-After`` header).
    """

    def __init__(self, message: str, *, retry_after: datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class ActionError(Exception):
    """A consumer's card action (a survey answer) is not acceptable; says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ActionNotSupported(ActionError):
    """The kind has no such action."""
