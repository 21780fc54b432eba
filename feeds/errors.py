"""The one error the guarded client raises, whatever went wrong and whichever verb it ran.

Its ``reason`` ends up in front of people who cannot read a traceback (a
retailer's provider health page, a shopper's notification history), so every
failure is worded once, as a sentence about their server, where it is detected.
"""

from __future__ import annotations

from datetime import datetime


class FetchError(Exception):
    """A request that did not produce a usable response.

    ``reason`` is shown to the person who owns the address; ``code`` lets
    code (and tests) tell the cases apart; ``retry_after`` is set when the server
    asked us to come back later (429/503 with ``Retry-After``).
    """

    def __init__(
        self,
        code: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.status = status
        self.retry_after = retry_after
