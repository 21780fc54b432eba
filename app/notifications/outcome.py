"""What one delivery attempt came to, in words that end up on the outbox row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Outcome:
    ok: bool
    reason: str = ""
    retry: bool = False  # worth trying again later (a timeout, a 5xx, a 4xx SMTP reply)
    gone: bool = False  # the push subscription no longer exists (404/410)
    retry_after: datetime | None = None


DELIVERED = Outcome(True)
