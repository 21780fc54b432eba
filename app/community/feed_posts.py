"""Answered questions and popular ideas, surfacing as cards for shoppers who share their
interests.

Each organisation has one provider of the ``community`` kind (:mod:`cards.community`),
which Plaza keeps itself: the worker's job (:func:`sync_community_cards`) writes into its
config the organisation's posts that everyone may see, and makes it due when they
changed, so the refresh job stores their cards through the same path as every
provider's and the feed ranks them like any card, with their reasons. A post is

* a question on a live card with the organisation's answer (the first one it gave),
  about the card's interests;
* an idea with at least :data:`IDEA_VOTES` votes (and not declined), or one the
  organisation marked planned or available, about its card's interests, else the
  organisation's providers'.

Only texts shown to everyone and not waiting for staff count: held, flagged and removed
ones never surface. A text staff remove leaves the feed at once (:func:`withdraw`),
without waiting for the job; one that comes back (restored) returns with the next run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.community.updates import question_path, snippet, suggestion_path
from app.models import (
    Answer,
    Card,
    Organization,
    Provider,
    ProviderStatus,
    Question,
    Stage,
    Suggestion,
    Visibility,
    stored_id,
)
from app.ranking.candidates import shown_now
from app.ranking.catalog import interests_of
from cards.community import (
    MAX_INTERESTS,
    MAX_POSTS,
    CommunityConfig,
    CommunityKind,
    CommunityPost,
    post_key,
    without_posts,
)

KIND = CommunityKind.name
IDEA_VOTES = 5  # votes that make an idea popular enough to surface
HORIZON = timedelta(days=60)  # older answers and ideas are stale news for a feed
EXCERPT = 280  # characters of an answer or an idea shown on its card
SURFACING = (Stage.PLANNED, Stage.AVAILABLE)  # stages that surface an idea whatever its votes


def settled(model: Any) -> ColumnElement[bool]:
    """Rows of ``model`` that everyone sees and staff need not look at: shown, and not
    flagged (or flagged and reviewed since)."""
    return and_(
        col(model.status) == Visibility.VISIBLE,
        or_(col(model.flagged_reason).is_(None), col(model.reviewed_at).is_not(None)),
    )


def _answered(
    db: Session, organizations: dict[int, Organization], now: datetime
) -> Iterator[tuple[int, CommunityPost]]:
    """Questions on live cards (general questions to an organisation have none, so the
    join leaves them out), each with the organisation's first answer."""
    rows = db.exec(
        select(Question, Answer)
        .join(Answer, col(Answer.question_id) == col(Question.id))
        .join(Card, col(Card.id) == col(Question.card_id))
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(
            settled(Question),
            settled(Answer),
            col(Answer.organization_id) == col(Question.organization_id),
            col(Answer.created_at) >= now - HORIZON,
            col(Card.kind) != KIND,  # a question about a community card stays on its thread
            *shown_now(now),
        )
        .order_by(col(Answer.created_at), col(Answer.id))
    ).all()
    interests = interests_of(db, sorted({q.card_id for q, _ in rows if q.card_id is not None}))
    seen: set[int] = set()
    for question, answer in rows:
        if question.id in seen or question.card_id is None:
            continue
        seen.add(stored_id(question))
        organization = organizations[question.organization_id]
        yield (
            question.organization_id,
            CommunityPost(
                key=post_key("question", stored_id(question)),
                title=question.title,
                text=snippet(answer.body, EXCERPT),
                label=f"Answered by {organization.name}",
                path=question_path(db, question),
                interests=interests.get(question.card_id, [])[:MAX_INTERESTS],
                published_at=answer.created_at,
            ),
        )


def _ideas(
    db: Session, organizations: dict[int, Organization], now: datetime
) -> Iterator[tuple[int, CommunityPost]]:
    """Ideas many shoppers back, or the organisation planned or made available."""
    since = now - HORIZON
    ideas = db.exec(
        select(Suggestion).where(
            settled(Suggestion),
            or_(col(Suggestion.vote_count) >= IDEA_VOTES, col(Suggestion.stage).in_(SURFACING)),
            col(Suggestion.stage) != Stage.DECLINED,  # however popular, it is not coming
            or_(col(Suggestion.created_at) >= since, col(Suggestion.stage_changed_at) >= since),
        )
    ).all()
    cards = {c for idea in ideas for c in (idea.card_id, idea.available_card_id) if c is not None}
    card_interests = interests_of(db, sorted(cards))
    provider_interests = _providers_interests(db, {idea.organization_id for idea in ideas})
    for idea in ideas:
        organization = organizations[idea.organization_id]
        about = [
            slug
            for card_id in (idea.card_id, idea.available_card_id)
            if card_id is not None
            for slug in card_interests.get(card_id, [])
        ] or provider_interests.get(idea.organization_id, [])
        label = {
            Stage.PLANNED: f"Planned by {organization.name}",
            Stage.AVAILABLE: f"Now available from {organization.name}",
        }.get(Stage(idea.stage), f"An idea for {organization.name} with {idea.vote_count} votes")
        yield (
            idea.organization_id,
            CommunityPost(
                key=post_key("idea", stored_id(idea)),
                title=idea.title,
                text=snippet(idea.stage_note or idea.body, EXCERPT),
                label=label,
                path=suggestion_path(organization, idea),
                interests=sorted(set(about))[:MAX_INTERESTS],
                published_at=_surfaced_at(idea),
            ),
        )


def _surfaced_at(idea: Suggestion) -> datetime:
    """When an idea became news: its planned or available status, else its posting."""
    changed = idea.stage_changed_at if idea.stage in SURFACING else None
    return changed or idea.created_at


def _providers_interests(db: Session, organization_ids: Iterable[int]) -> dict[int, list[str]]:
    """What each organisation's own providers are about (its ideas' interests when an idea
    names no card)."""
    found: dict[int, set[str]] = defaultdict(set)
    for organization_id, interests in db.exec(
        select(Provider.organization_id, Provider.interests).where(
            col(Provider.organization_id).in_(list(organization_ids)), Provider.kind != KIND
        )
    ):
        found[organization_id].update(interests or [])
    return {org_id: sorted(slugs) for org_id, slugs in found.items()}


def organization_posts(db: Session, now: datetime) -> dict[int, list[CommunityPost]]:
    """Each organisation's posts that may surface now, newest first, at most
    :data:`~cards.community.MAX_POSTS` of them."""
    organizations = {stored_id(o): o for o in db.exec(select(Organization))}
    posts: dict[int, list[CommunityPost]] = defaultdict(list)
    for found in (_answered(db, organizations, now), _ideas(db, organizations, now)):
        for organization_id, post in found:
            posts[organization_id].append(post)
    return {
        org_id: sorted(found, key=lambda p: (p.published_at, p.key), reverse=True)[:MAX_POSTS]
        for org_id, found in posts.items()
    }


def sync_community_cards(db: Session, now: datetime) -> int:
    """Write each organisation's posts into its community provider (made with its first
    post) and make a provider whose posts changed due, so the refresh job stores its cards
    (the caller commits). Returns how many providers changed."""
    wanted = organization_posts(db, now)
    providers = {
        p.organization_id: p for p in db.exec(select(Provider).where(Provider.kind == KIND))
    }
    changed = 0
    for organization_id in sorted(wanted.keys() | providers.keys()):
        config = CommunityConfig(posts=wanted.get(organization_id, [])).model_dump(mode="json")
        provider = providers.get(organization_id)
        if provider is None:
            changed += _make_provider(db, organization_id, config, now)
            continue
        if provider.config == config:
            continue
        provider.config = config
        if provider.status in (ProviderStatus.ACTIVE, ProviderStatus.BACKING_OFF):
            provider.next_run_at = now
        db.add(provider)
        changed += 1
    return changed


def _make_provider(db: Session, organization_id: int, config: dict[str, Any], now: datetime) -> int:
    """The organisation's community provider, due at once; 0 when another worker made it
    a moment ago (one per organisation: ``uq_provider_community``), whose next run fills it."""
    organization = db.get(Organization, organization_id)
    assert organization is not None
    provider = Provider(
        organization_id=organization_id,
        kind=KIND,
        name=f"{organization.name} community",
        config=config,
        interval_seconds=int(CommunityKind.default_interval.total_seconds()),
        next_run_at=now,
    )
    try:
        with db.begin_nested():
            db.add(provider)
    except IntegrityError:
        return 0
    return 1


def card_key(item: Question | Answer | Suggestion) -> str:
    """The community card a text is part of: its question's, or the idea's."""
    if isinstance(item, Suggestion):
        return post_key("idea", stored_id(item))
    return post_key("question", item.question_id if isinstance(item, Answer) else stored_id(item))


def withdraw(db: Session, item: Question | Answer | Suggestion, now: datetime) -> None:
    """Take a text staff just removed out of its organisation's community provider and end
    its card, so it leaves every feed with the next page instead of with the job's next
    run (the caller commits). A question the organisation answered again comes back with
    that run. Another shopper's answer is on no card."""
    if isinstance(item, Answer) and item.organization_id is None:
        return
    provider = db.exec(
        select(Provider).where(
            Provider.organization_id == item.organization_id, Provider.kind == KIND
        )
    ).first()
    if provider is None:
        return
    key = card_key(item)
    provider.config = without_posts(provider.config, [key])
    db.add(provider)
    db.execute(
        update(Card)
        .where(
            col(Card.provider_id) == provider.id,
            col(Card.external_id) == key,
            or_(col(Card.ends_at).is_(None), col(Card.ends_at) > now),
        )
        .values(ends_at=now, updated_at=now)
    )
