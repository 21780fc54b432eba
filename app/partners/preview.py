"""Preview: run a kind's real refresh without storing anything, within a short deadline.

The provider is transient (never added to a session) and goes through
:func:`app.worker.context_for`, so a preview fetches exactly as the worker
will, through the guarded fetcher, only with tighter time limits. Drafts
become transient, unsaved :class:`~app.models.Card` objects so the kinds' own
card templates render them as shoppers will see them.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from pydantic import BaseModel

from app.ingest.history import Rejections, rejections_of
from app.ingest.sources import LiveContext, context_for
from app.ingest.store import apply_draft, storable_id
from app.models import Card, Organization, Provider, stored_id
from cards.errors import SourceError
from cards.spec import CardDraft, CardKind, RefreshContext

log = logging.getLogger(__name__)

PREVIEW_DEADLINE = 15.0  # seconds for the whole preview, fetches included
PREVIEW_CONNECT_TIMEOUT = 4.0
PREVIEW_READ_TIMEOUT = 8.0
SHOWN_CARDS = 6
# Ids for transient cards: above PostgreSQL's integer range, so a link built
# from one (a card template always builds some) can never reach a real card.
PREVIEW_ID_BASE = 2**31


@dataclass
class PreviewResult:
    """The first few cards a provider would produce, how many in all, or why it failed."""

    cards: list[Card] = field(default_factory=list)
    total: int = 0
    error: str | None = None
    # Items the source sent that would be left out, and why: fixed before saving, they
    # never show up in the provider's history.
    rejected: Rejections = field(default_factory=Rejections)

    @property
    def ok(self) -> bool:
        return self.error is None


def run_preview(
    app: Flask,
    organization: Organization,
    kind: CardKind[Any],
    config: BaseModel,
    now: datetime,
    *,
    interests: Iterable[str] = (),
    demo_samples: Mapping[str, str] | None = None,
) -> PreviewResult:
    """Refresh ``config`` for real without storing; never raises for a source's fault.

    ``demo_samples`` carries an existing demo provider's sample files, so that
    editing a demo provider previews offline as its refreshes do.
    """
    provider = Provider(
        organization_id=stored_id(organization),
        kind=kind.name,
        name="Preview",
        config=config.model_dump(mode="json"),
        interests=list(interests),
        demo_samples=dict(demo_samples) if demo_samples else None,
    )
    context = _quick(context_for(app, provider, now))
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="plaza-preview")
    try:
        drafts = pool.submit(_drafts, kind, config, context).result(timeout=PREVIEW_DEADLINE)
    except FutureTimeout:
        return PreviewResult(
            error=f"The source did not answer within {PREVIEW_DEADLINE:.0f} seconds. "
            "Check the address, or try again later."
        )
    except SourceError as exc:
        return PreviewResult(error=exc.message)
    except Exception:
        log.exception("preview of a %s provider failed", kind.name)
        return PreviewResult(error="Plaza could not process this source (an internal error).")
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    rejected = rejections_of(context)
    if not drafts:
        return PreviewResult(error=_empty_message(context), rejected=rejected)
    cards = [_transient_card(kind, draft, now, n) for n, draft in enumerate(drafts[:SHOWN_CARDS])]
    return PreviewResult(cards=cards, total=len(drafts), rejected=rejected)


def _quick(context: RefreshContext) -> RefreshContext:
    """The same context with the fetcher's limits tightened for someone waiting."""
    if not isinstance(context, LiveContext):
        return context
    policy = dataclasses.replace(
        context.policy,
        deadline=min(context.policy.deadline, PREVIEW_DEADLINE - 1),
        connect_timeout=min(context.policy.connect_timeout, PREVIEW_CONNECT_TIMEOUT),
        read_timeout=min(context.policy.read_timeout, PREVIEW_READ_TIMEOUT),
    )
    return dataclasses.replace(context, policy=policy)


def _drafts(kind: CardKind[Any], config: BaseModel, context: RefreshContext) -> list[CardDraft]:
    return list(kind.refresh(config, context))


def _empty_message(context: RefreshContext) -> str:
    if context.source_unchanged:
        return "The source answered that nothing changed, so there is nothing to show."
    return (
        "The source worked but has no items Plaza can show yet. Check that it lists "
        "products, videos or pins, and that they are public."
    )


def _transient_card(kind: CardKind[Any], draft: CardDraft, now: datetime, n: int) -> Card:
    """An unsaved card, filled exactly as ingestion fills a stored one."""
    card = Card(
        id=PREVIEW_ID_BASE + n,
        provider_id=0,
        kind=kind.name,
        external_id=storable_id(draft.external_id),
        title="",  # apply_draft fills it, as every other column a draft gives
        badge="new",
        first_seen_at=now,
        updated_at=now,
    )
    apply_draft(card, draft, now)
    return card
