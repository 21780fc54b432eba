"""Changing a registered provider: edit, delete, refresh now, pause and resume.

Registration itself is :func:`app.partners.providers.create_provider`; an edit runs the
same validators from :mod:`app.partners.providers`, so the portal, the API and the CLI
accept exactly the same providers. Shared by the portal and the API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, delete

from app.models import Card, Organization, Provider, ProviderStatus
from app.partners.providers import default_name, pause, reject_duplicate, resume, validate_settings
from cards.taxonomy import Taxonomy
from feeds.fetch import FetchPolicy


class ProviderConflict(ValueError):
    """The provider is in a state that forbids this change; the message says which."""


def update_provider(
    db: Session,
    provider: Provider,
    raw_config: Mapping[str, Any],
    *,
    taxonomy: Taxonomy,
    policy: FetchPolicy,
    interests: Iterable[str],
    name: str | None,
    interval_seconds: int | None,
    now: datetime,
) -> None:
    """Validate and apply new settings (the caller commits); raises ProviderProblems.

    Every setting is given: None for ``name`` or ``interval_seconds`` means the
    kind's default, as at registration. A changed source forgets its
    conditional-GET validators, and an active provider refreshes at once.
    """
    kind, stored, interests = validate_settings(
        provider.kind,
        raw_config,
        interests,
        name,
        interval_seconds,
        taxonomy=taxonomy,
        policy=policy,
    )
    organization = db.get(Organization, provider.organization_id)
    assert organization is not None
    reject_duplicate(db, organization, kind, stored, allowed=provider)
    if stored != provider.config:
        provider.etag = provider.last_modified = None
    provider.config = stored
    provider.interests = interests
    renamed = (name or default_name(kind, stored)).strip()
    if renamed != provider.name:
        # Its cards are found by its name: the worker writes their search documents
        # again, in batches (app.search.index.index_renamed_providers), rather than this
        # request all at once (100,000 cards: 11 s on SQLite, 46 s on PostgreSQL).
        if provider.indexed_name is None:
            provider.indexed_name = provider.name
        provider.name = renamed
        if provider.indexed_name == renamed:  # back to the name the documents hold
            provider.indexed_name = None
    provider.interval_seconds = interval_seconds or int(kind.default_interval.total_seconds())
    if provider.status in (ProviderStatus.ACTIVE, ProviderStatus.BACKING_OFF):
        provider.next_run_at = now
    db.add(provider)


def delete_provider(db: Session, provider: Provider) -> None:
    """Remove the provider with its cards (the caller commits).

    The database cascades from cards to their events, saved states, answers and
    notifications; cards themselves are deleted here because ``card.provider_id``
    deliberately does not cascade (a stray provider delete must not wipe cards).
    """
    db.execute(delete(Card).where(col(Card.provider_id) == provider.id))
    db.delete(provider)


def queue_refresh(provider: Provider, now: datetime) -> None:
    """Make the provider due now; the worker refreshes it within a tick or two.

    The web process never fetches for a saved provider itself, so that a slow
    source cannot tie up a web worker and no provider is refreshed twice at once.
    """
    _require_not_suspended(provider)
    if provider.status == ProviderStatus.PAUSED:
        raise ProviderConflict("This provider is paused; resume it to refresh it.")
    provider.next_run_at = now


def pause_provider(provider: Provider) -> None:
    _require_not_suspended(provider)
    pause(provider)


def resume_provider(provider: Provider, now: datetime, *, by_staff: bool) -> None:
    """Resume; only staff may lift a suspension, since staff imposed it."""
    if not by_staff:
        _require_not_suspended(provider)
    resume(provider, now)


def _require_not_suspended(provider: Provider) -> None:
    if provider.status == ProviderStatus.SUSPENDED:
        raise ProviderConflict(
            "Plaza's staff suspended this provider; contact them to have it reinstated."
        )
