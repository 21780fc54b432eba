"""A provider's health in words a retailer reads at a glance on a phone.

The worker already records everything (status, last success, last error in
plain words, next run, card count); this turns it into short phrases and a
tone for the status badge, and adds opens of the last seven UTC days (today's so far
included), as the results count them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.models import Provider, ProviderStatus
from app.partners.stats import DateRange, per_provider
from cards.registry import UnknownKind, get_kind

OPENS_DAYS = 7


@dataclass
class Health:
    provider: Provider
    kind_label: str
    status: str
    tone: str  # ok | waiting | warn | off | bad: the badge's colour
    last_success: str
    next_run: str
    opens_7d: int


def kind_label(kind: str) -> str:
    """What a provider of ``kind`` is called ("Product feed"), installed or not."""
    try:
        return get_kind(kind).label or kind
    except UnknownKind:
        return f"{kind} (not installed)"


def describe_health(provider: Provider, opens_7d: int, now: datetime) -> Health:
    status, tone = _status(provider)
    if provider.status in (ProviderStatus.PAUSED, ProviderStatus.SUSPENDED):
        next_run = "Not scheduled"
    elif provider.next_run_at is None or provider.next_run_at <= now:
        next_run = "Within a minute"
    else:
        next_run = relative(provider.next_run_at, now)
    return Health(
        provider=provider,
        kind_label=kind_label(provider.kind),
        status=status,
        tone=tone,
        last_success=relative(provider.last_success_at, now)
        if provider.last_success_at
        else "Never",
        next_run=next_run,
        opens_7d=opens_7d,
    )


def health_of(db: Session, providers: Sequence[Provider], now: datetime) -> list[Health]:
    today = now.astimezone(UTC).date()
    week = DateRange(today - timedelta(days=OPENS_DAYS - 1), today)
    totals = per_provider(db, [p.id for p in providers if p.id is not None], week)
    return [describe_health(p, totals[p.id].opens if p.id else 0, now) for p in providers]


def _status(provider: Provider) -> tuple[str, str]:
    if provider.status == ProviderStatus.SUSPENDED:
        return "Suspended by staff", "bad"
    if provider.status == ProviderStatus.PAUSED:
        return ("Paused after errors", "bad") if provider.last_error else ("Paused", "off")
    if provider.status == ProviderStatus.BACKING_OFF or provider.last_error:
        return "Failing, retrying", "warn"
    if provider.last_success_at is None:
        return "Waiting for its first refresh", "waiting"
    return "Working", "ok"


def relative(moment: datetime, now: datetime) -> str:
    """'5 min ago', 'in 2 h', '3 days ago': short enough for a phone's row."""
    seconds = (moment - now).total_seconds()
    size = abs(seconds)
    if size < 60:
        return "just now" if seconds <= 0 else "in under a minute"
    if size < 3600:
        text = f"{int(size // 60)} min"
    elif size < 86400:
        text = f"{int(size // 3600)} h"
    else:
        days = int(size // 86400)
        text = f"{days} day{'s' * (days != 1)}"
    return f"{text} ago" if seconds < 0 else f"in {text}"
