"""Editorial cards: what Plaza's staff publish, under Plaza's own organisation.

An editorial card is a provider of the ``editorial`` kind (:mod:`cards.editorial`), owned
by :func:`app.partners.orgs.plaza_organization`. Publishing and editing go through the
same validators as every partner's provider (:mod:`app.partners.providers`); the worker
stores its card as it stores any provider's, and the feed shows it between its start
and end within its caps. Every publish, edit and end appends one audit-log entry, in the
caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session, select

from app.models import Provider, stored_id
from app.partners.changes import update_provider
from app.partners.orgs import plaza_organization
from app.partners.providers import create_provider
from app.partners.stats import Counts, DateRange, per_provider
from app.staff import audit
from cards.editorial import EditorialKind
from cards.registry import get_kind
from cards.spec import CardKind
from cards.taxonomy import Taxonomy
from feeds.fetch import FetchPolicy

KIND = EditorialKind.name  # the kind this console publishes
TARGET = "provider"  # what the audit log calls the thing acted on
RESULTS_DAYS = 366  # the longest a listing counts back


class Stage(StrEnum):
    SCHEDULED = "scheduled"
    RUNNING = "running"
    ENDED = "ended"


class EditorialProblem(LookupError):
    """The editorial card cannot be changed so; the message says why."""


@dataclass(frozen=True)
class Listed:
    """One editorial card in the console's list: when it runs and how it did."""

    provider: Provider
    starts_at: datetime
    ends_at: datetime
    stage: Stage
    counts: Counts


def kind() -> CardKind[Any]:
    return get_kind(KIND)


def _window(provider: Provider) -> tuple[datetime, datetime]:
    config = kind().config_model.model_validate(provider.config)
    return config.starts_at, config.ends_at  # type: ignore[attr-defined]


def stage_at(starts_at: datetime, ends_at: datetime, now: datetime) -> Stage:
    if now < starts_at:
        return Stage.SCHEDULED
    return Stage.RUNNING if now < ends_at else Stage.ENDED


def editorial_or_none(db: Session, provider_id: int) -> Provider | None:
    """The editorial card ``provider_id``, or None when there is no such one."""
    provider = db.get(Provider, provider_id)
    if provider is None or provider.kind != KIND:
        return None
    if provider.organization_id != plaza_organization(db).id:
        return None
    return provider


def listing(db: Session, now: datetime) -> list[Listed]:
    """Every editorial card, scheduled first (soonest first), then running, then ended
    (latest first), with its impressions, opens and saves so far."""
    providers = db.exec(
        select(Provider).where(
            Provider.organization_id == plaza_organization(db).id, Provider.kind == KIND
        )
    ).all()
    period = DateRange((now - timedelta(days=RESULTS_DAYS - 1)).date(), now.date())
    counts = per_provider(db, [stored_id(p) for p in providers], period)
    rows = []
    for provider in providers:
        starts_at, ends_at = _window(provider)
        stage = stage_at(starts_at, ends_at, now)
        rows.append(Listed(provider, starts_at, ends_at, stage, counts[stored_id(provider)]))
    order = list(Stage)
    return sorted(
        rows,
        key=lambda r: (
            order.index(r.stage),
            -r.ends_at.timestamp() if r.stage == Stage.ENDED else r.starts_at.timestamp(),
        ),
    )


def _when(starts_at: datetime, ends_at: datetime) -> str:
    return f"runs {starts_at:%Y-%m-%d %H:%M} to {ends_at:%Y-%m-%d %H:%M} UTC"


def publish(
    db: Session,
    staff_id: int,
    raw_config: Mapping[str, Any],
    interests: Iterable[str],
    name: str | None,
    *,
    taxonomy: Taxonomy,
    policy: FetchPolicy,
    now: datetime,
) -> Provider:
    """Validate and add an editorial card (the caller commits); raises ProviderProblems."""
    provider = create_provider(
        db,
        plaza_organization(db),
        KIND,
        raw_config,
        taxonomy=taxonomy,
        policy=policy,
        interests=interests,
        name=name,
    )
    provider.next_run_at = now
    _record(db, staff_id, "publish_editorial", provider, now)
    return provider


def edit(
    db: Session,
    staff_id: int,
    provider: Provider,
    raw_config: Mapping[str, Any],
    interests: Iterable[str],
    name: str | None,
    *,
    taxonomy: Taxonomy,
    policy: FetchPolicy,
    now: datetime,
    action: str = "edit_editorial",
) -> None:
    """Validate and apply new settings (the caller commits); raises ProviderProblems."""
    update_provider(
        db,
        provider,
        raw_config,
        taxonomy=taxonomy,
        policy=policy,
        interests=interests,
        name=name,
        interval_seconds=None,
        now=now,
    )
    _record(db, staff_id, action, provider, now)


def end(
    db: Session, staff_id: int, provider: Provider, *, taxonomy: Taxonomy, policy: FetchPolicy,
    now: datetime,
) -> None:  # fmt: skip
    """End the card now (one not started yet never starts); the worker's next refresh,
    due at once, takes it out of every feed. Refused for one already ended."""
    starts_at, ends_at = _window(provider)
    if stage_at(starts_at, ends_at, now) == Stage.ENDED:
        raise EditorialProblem(f"{provider.name} has already ended.")
    started = min(starts_at, now - timedelta(minutes=1))
    config = {**provider.config, "starts_at": started.isoformat(), "ends_at": now.isoformat()}
    edit(
        db, staff_id, provider, config, provider.interests, provider.name,
        taxonomy=taxonomy, policy=policy, now=now, action="end_editorial",
    )  # fmt: skip


def _record(db: Session, staff_id: int, action: str, provider: Provider, now: datetime) -> None:
    starts_at, ends_at = _window(provider)
    audit.record(
        db,
        actor_id=staff_id,
        action=action,
        target_kind=TARGET,
        target_id=stored_id(provider),
        snapshot=provider.name,
        reason=_when(starts_at, ends_at),
        now=now,
    )
