"""Refreshing one provider: run its kind, store the cards, keep its health.

A failure is recorded on the provider in words its owner understands and
backs it off exponentially (up to a day); after ten failures in a row it is
paused until someone resumes it. Nothing a failing provider does reaches
another provider or a consumer's request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.ingest.history import Rejections, record_refresh, rejections_of
from app.ingest.store import IngestCounts, store_drafts
from app.metrics import recorded
from app.models import Card, Provider, ProviderStatus, stored_id
from app.models import RefreshOutcome as Outcome
from cards.errors import SourceError
from cards.registry import UnknownKind, get_kind
from cards.spec import RefreshContext

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=24)
PAUSE_AFTER_FAILURES = 10


@dataclass
class RefreshOutcome:
    ok: bool
    counts: IngestCounts
    error: str | None = None

    def __str__(self) -> str:
        return str(self.counts) if self.ok else f"failed: {self.error}"


def refresh_provider(
    db: Session, provider: Provider, context: RefreshContext, now: datetime
) -> RefreshOutcome:
    """Refresh ``provider`` and commit, whatever happens; its history gets a row."""
    provider.last_attempt_at = now
    rejected = rejections_of(context)
    try:
        kind = get_kind(provider.kind)
        config = kind.config_model.model_validate(provider.config)
        drafts = list(kind.refresh(config, context))
        if context.source_unchanged:
            counts = IngestCounts(unchanged=provider.card_count)
        else:
            counts = store_drafts(db, provider, drafts, context.taxonomy, now, kind.gone_grace)
    except SourceError as exc:
        db.rollback()
        return _failed(
            db, provider, exc.message, now, exc.retry_after, reason="source", rejected=rejected
        )
    except UnknownKind as exc:
        db.rollback()
        message = f"{exc} Was a plugin uninstalled?"
        return _failed(db, provider, message, now, None, reason="unknown_kind", rejected=rejected)
    except ValidationError as exc:
        db.rollback()
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "settings"
        message = f"The provider's settings are no longer valid ({where}: {first['msg']})."
        return _failed(
            db, provider, message, now, None, reason="invalid_settings", rejected=rejected
        )
    except Exception:
        log.exception("refresh of provider %s failed", provider.id)
        db.rollback()
        message = "Plaza could not process this source (an internal error)."
        return _failed(db, provider, message, now, None, reason="internal", rejected=rejected)
    provider.consecutive_errors = 0
    provider.last_error = None
    provider.last_success_at = now
    provider.status = ProviderStatus.ACTIVE
    # A server that promised its content stays fresh longer is not asked before then.
    due = now + timedelta(seconds=provider.interval_seconds)
    provider.next_run_at = max(due, context.fresh_until or due)
    if not context.source_unchanged:  # a 304 changed no card
        provider.card_count = _count_cards(db, provider)
    db.add(provider)
    record_refresh(
        db,
        stored_id(provider),
        now,
        Outcome.UNCHANGED if context.source_unchanged else Outcome.STORED,
        new=counts.new,
        updated=counts.updated,
        expired=counts.expired,
        rejections=rejected,
    )
    db.commit()
    recorded.refresh("not_modified" if context.source_unchanged else "ok")
    return RefreshOutcome(True, counts)


def _count_cards(db: Session, provider: Provider) -> int:
    return db.exec(
        select(func.count()).where(Card.provider_id == provider.id, col(Card.removed_at).is_(None))
    ).one()


def _failed(
    db: Session,
    provider: Provider,
    message: str,
    now: datetime,
    retry_after: datetime | None,
    *,
    reason: str,
    rejected: Rejections,
) -> RefreshOutcome:
    """Record the failure on the provider and in its history, and back it off; ``reason``
    is its kind, for the metrics (source, unknown_kind, invalid_settings, internal)."""
    provider = db.merge(provider)
    provider.last_attempt_at = now
    provider.consecutive_errors += 1
    provider.last_error = message
    if provider.consecutive_errors >= PAUSE_AFTER_FAILURES:
        provider.status = ProviderStatus.PAUSED
        provider.next_run_at = None
    else:
        provider.status = ProviderStatus.BACKING_OFF
        backoff = timedelta(seconds=provider.interval_seconds) * 2 ** (
            provider.consecutive_errors - 1
        )
        provider.next_run_at = max(now + min(backoff, MAX_BACKOFF), retry_after or now)
    db.add(provider)
    record_refresh(db, stored_id(provider), now, Outcome.FAILED, error=message, rejections=rejected)
    db.commit()
    recorded.refresh("failed", reason)
    return RefreshOutcome(False, IngestCounts(), message)
