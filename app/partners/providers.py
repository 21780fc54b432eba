"""Registering and managing providers, shared by the CLI, the portal and the API.

Validation collects every problem at once (field -> message), so a retailer
fixes a form or a JSON body in one go instead of one error per attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlmodel import Session, select

from app.models import Organization, Provider, ProviderStatus, stored_id
from app.partners.field_messages import people_message
from app.partners.orgs import PLAZA_SLUG
from cards.registry import UnknownKind, all_kinds, get_kind
from cards.spec import CardKind
from cards.taxonomy import Taxonomy
from feeds.fetch import FetchError, FetchPolicy, check_address

MAX_INTERVAL = timedelta(days=7)


@dataclass
class ProviderProblems(ValueError):
    """Everything wrong with a provider's registration, as (field, message) pairs."""

    problems: list[tuple[str, str]] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {message}" for name, message in self.problems)


def partner_kinds() -> list[CardKind[Any]]:
    """The kinds partners may register (every one but Plaza's staff's own, and those
    Plaza keeps itself)."""
    return [kind for kind in all_kinds().values() if not (kind.staff_only or kind.kept_by_plaza)]


def kind_or_problem(name: str) -> CardKind[Any]:
    try:
        return get_kind(name)
    except UnknownKind:
        known = ", ".join(all_kinds())
        problem = ("kind", f"There is no kind {name!r}; choose one of {known}.")
        raise ProviderProblems([problem]) from None


def validate_config(
    kind: CardKind[Any], raw: Mapping[str, Any], policy: FetchPolicy
) -> tuple[BaseModel | None, list[tuple[str, str]]]:
    """The validated config, or None, with every problem found."""
    try:
        config = kind.config_model.model_validate(dict(raw))
    except ValidationError as exc:
        schema = kind.config_model.model_json_schema()
        return None, [
            (_field_name(error["loc"]), people_message(error, schema)) for error in exc.errors()
        ]
    problems = []
    for name, value in config.model_dump(mode="json").items():
        if name.endswith("url") and isinstance(value, str) and "://" in value:
            try:
                check_address(value, policy)
            except FetchError as error:
                problems.append((f"config.{name}", error.reason))
    return (None if problems else config), problems


def _field_name(location: Iterable[Any]) -> str:
    parts = [str(p) for p in location]
    return "config" + "".join(f".{p}" for p in parts) if parts else "config"


def validate_interests(slugs: Iterable[str], taxonomy: Taxonomy) -> list[tuple[str, str]]:
    unknown = [s for s in slugs if s not in taxonomy]
    if not unknown:
        return []
    return [("interests", f"Unknown interests: {', '.join(unknown)}.")]


def validate_interval(kind: CardKind[Any], seconds: int | None) -> list[tuple[str, str]]:
    if seconds is None:
        return []
    low, high = int(kind.min_interval.total_seconds()), int(MAX_INTERVAL.total_seconds())
    if not low <= seconds <= high:
        return [("interval", f"Choose between {low} and {high} seconds.")]
    return []


def create_provider(
    db: Session,
    organization: Organization,
    kind_name: str,
    raw_config: Mapping[str, Any],
    *,
    taxonomy: Taxonomy,
    policy: FetchPolicy,
    interests: Iterable[str] = (),
    name: str | None = None,
    interval_seconds: int | None = None,
) -> Provider:
    """Validate and add a provider (the caller commits); raises ProviderProblems."""
    kind, stored, interests = validate_settings(
        kind_name, raw_config, interests, name, interval_seconds, taxonomy=taxonomy, policy=policy
    )
    if kind.staff_only and organization.slug != PLAZA_SLUG:
        label = kind.label or kind.name
        raise ProviderProblems([("kind", f"{label} cards are published by Plaza's staff only.")])
    reject_duplicate(db, organization, kind, stored)
    provider = Provider(
        organization_id=stored_id(organization),
        kind=kind.name,
        name=(name or default_name(kind, stored)).strip(),
        config=stored,
        interests=interests,
        interval_seconds=interval_seconds or int(kind.default_interval.total_seconds()),
        next_run_at=datetime.now(UTC),
    )
    db.add(provider)
    db.flush()
    return provider


def validate_settings(
    kind_name: str,
    raw_config: Mapping[str, Any],
    interests: Iterable[str],
    name: str | None,
    interval_seconds: int | None,
    *,
    taxonomy: Taxonomy,
    policy: FetchPolicy,
) -> tuple[CardKind[Any], dict[str, Any], list[str]]:
    """Every check a provider's settings get, on registration and on edit alike:
    the kind, the stored config, the cleaned interests; or ProviderProblems."""
    kind = kind_or_problem(kind_name)
    if kind.kept_by_plaza:
        label = kind.label or kind.name
        raise ProviderProblems([("kind", f"Plaza keeps {label} cards itself; they cannot be "
                                         "registered or edited.")])  # fmt: skip
    cleaned = [s.strip() for s in interests if s.strip()]
    config, problems = check_settings(
        kind, raw_config, cleaned, name, interval_seconds, taxonomy=taxonomy, policy=policy
    )
    if config is None:
        raise ProviderProblems(problems)
    return kind, config.model_dump(mode="json"), cleaned


def check_settings(
    kind: CardKind[Any],
    raw_config: Mapping[str, Any],
    interests: Iterable[str],
    name: str | None,
    interval_seconds: int | None,
    *,
    taxonomy: Taxonomy,
    policy: FetchPolicy,
) -> tuple[BaseModel | None, list[tuple[str, str]]]:
    """The validated config (None if anything is wrong) and every problem, without raising.

    Previews call it directly, so that what previews cleanly also saves.
    """
    config, problems = validate_config(kind, raw_config, policy)
    problems += validate_interests(interests, taxonomy)
    problems += validate_interval(kind, interval_seconds)
    if name is not None and not 1 <= len(name.strip()) <= 200:
        problems.append(("name", "Give a name of 1 to 200 characters."))
    return (None if problems else config), problems


def reject_duplicate(
    db: Session,
    organization: Organization,
    kind: CardKind[Any],
    config: dict[str, Any],
    allowed: Provider | None = None,
) -> None:
    """Refuse a second provider with the same kind and settings in one organisation."""
    same_kind = db.exec(
        select(Provider).where(
            Provider.organization_id == organization.id, Provider.kind == kind.name
        )
    )
    duplicate = next((p for p in same_kind if p.config == config and p is not allowed), None)
    if duplicate is not None:
        raise ProviderProblems(
            [("config", f"This organisation already has this provider (id {duplicate.id}).")]
        )


def default_name(kind: CardKind[Any], config: Mapping[str, Any]) -> str:
    for key in ("title", "headline", "query", "url", "channel_id", "playlist_id"):
        if config.get(key):
            return f"{kind.label}: {config[key]}"[:200]
    return kind.label


def pause(provider: Provider) -> None:
    provider.status = ProviderStatus.PAUSED
    provider.next_run_at = None


def resume(provider: Provider, now: datetime) -> None:
    """Resume at once, forgiving past failures: someone looked at it."""
    provider.status = ProviderStatus.ACTIVE
    provider.consecutive_errors = 0
    provider.next_run_at = now


def describe(provider: Provider, organization: Organization | None = None) -> dict[str, Any]:
    """A provider's settings and health, as the CLI's --json and the API show them."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    return {
        "id": provider.id,
        "organization": organization.slug if organization else provider.organization_id,
        "kind": provider.kind,
        "name": provider.name,
        "status": provider.status,
        "config": provider.config,
        "interests": provider.interests,
        "interval_seconds": provider.interval_seconds,
        "next_run_at": when(provider.next_run_at),
        "last_attempt_at": when(provider.last_attempt_at),
        "last_success_at": when(provider.last_success_at),
        "consecutive_errors": provider.consecutive_errors,
        "last_error": provider.last_error,
        "card_count": provider.card_count,
    }
