"""Turning new cards and price drops into candidate notifications.

The scan follows the card table by id behind a cursor. Ids are handed out
when a refresh inserts a card but become visible only when it commits, so a
card with a lower id can appear after a higher one: the cursor therefore
only moves past cards older than ``SETTLE``, and the cards above it that were
already handled are remembered in ``notification_source`` (which also makes a
retried or concurrent run harmless). Each consumer's candidates are scored
with the feed's own ranking, so a muted interest, a hidden provider or a
dismissed card never notifies, and only cards that rank high go out instantly.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, delete, exists, func, literal
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.models import Card, CardState, ConsumerInterest, InterestState, Role, User
from app.models.notifications import Notification, NotificationCursor, NotificationSource
from app.notifications.catalog import Category, category_for_kind
from app.notifications.config import NotifyConfig
from app.notifications.outbox import Event, insert_new, plan
from app.notifications.recipients import load_recipients
from app.ranking.candidates import as_candidate, load_profiles
from app.ranking.catalog import interests_of
from app.ranking.pool import CandidatePool
from app.ranking.rank import Profile, feed_scores
from cards.prices import paid_price
from cards.taxonomy import Taxonomy

CURSOR = "cards"
SETTLE = timedelta(minutes=15)
SCAN_LIMIT = 200
PRICE_LOOKBACK = timedelta(days=1)
SOURCE_KEEP = timedelta(days=3)
PROFILE_BATCH = 500  # consumers whose ranking profiles are read together


@dataclass(frozen=True)
class CardNews:
    card: Card
    key: str  # the notification_source key and the outbox subject
    category: Category
    audience: frozenset[int] | None = None  # None: whoever follows the card's interests


def enqueue_card_news(db: Session, now: datetime, taxonomy: Taxonomy, cfg: NotifyConfig) -> int:
    """Queue notifications for cards that are new or cheaper since the last run; commits.

    Returns how many outbox rows were planned. Another worker holding the
    cursor means it is doing this right now, so this run does nothing.
    """
    cursor = _lock_cursor(db, now, cfg)
    if cursor is None:
        return 0
    scanned, new = _new_cards(db, cursor, now, cfg)
    news = new + _price_drops(db, now)
    planned = _enqueue(db, news, now, taxonomy, cfg)
    handled = [f"card:{card.id}" for card in scanned] + [item.key for item in news]
    insert_new(
        db,
        NotificationSource,
        [{"key": key, "seen_at": now} for key in dict.fromkeys(handled)],
    )
    _advance(db, cursor, now)
    db.exec(delete(NotificationSource).where(col(NotificationSource.seen_at) < now - SOURCE_KEEP))
    db.commit()
    return planned


def _lock_cursor(db: Session, now: datetime, cfg: NotifyConfig) -> NotificationCursor | None:
    cursor = db.exec(
        select(NotificationCursor)
        .where(NotificationCursor.name == CURSOR)
        .with_for_update(skip_locked=True)
    ).first()
    if cursor is not None:
        return cursor
    if db.get(NotificationCursor, CURSOR) is not None:
        return None  # exists, but locked by another worker
    # First run: start after the cards too old to be news.
    start = db.exec(
        select(func.max(Card.id)).where(col(Card.first_seen_at) < now - cfg.card_max_age)
    ).one()
    try:
        db.add(NotificationCursor(name=CURSOR, position=start or 0, updated_at=now))
        db.commit()
    except IntegrityError:
        db.rollback()
        return None
    return _lock_cursor(db, now, cfg)


def _unhandled() -> Any:
    """Cards with no "card:<id>" row in notification_source yet."""
    key = literal("card:") + cast(Card.id, String)
    return ~exists().where(col(NotificationSource.key) == key)


def _new_cards(
    db: Session, cursor: NotificationCursor, now: datetime, cfg: NotifyConfig
) -> tuple[list[Card], list[CardNews]]:
    """Cards above the cursor not handled yet, and those among them that are news
    (recent, of a kind with a category)."""
    cards = list(
        db.exec(
            select(Card)
            .where(col(Card.id) > cursor.position, col(Card.removed_at).is_(None), _unhandled())
            .order_by(col(Card.id))
            .limit(SCAN_LIMIT)
        ).all()
    )
    news = [
        CardNews(card, f"card:{card.id}", category)
        for card in cards
        if (category := category_for_kind(card.kind)) is not None
        and card.first_seen_at >= now - cfg.card_max_age
        and card.published_at >= now - cfg.card_max_age
    ]
    return cards, news


def _price_drops(db: Session, now: datetime) -> list[CardNews]:
    """Saved cards whose price fell: news for whoever saved them (and can still sign
    in: a removed or deactivated account hears nothing), once per new price."""
    rows = db.exec(
        select(Card, CardState.user_id)
        .join(CardState, col(CardState.card_id) == Card.id)
        .join(User, col(User.id) == CardState.user_id)
        .where(
            col(User.active).is_(True),
            col(CardState.saved_at).is_not(None),
            Card.badge == "price_drop",
            col(Card.updated_at) >= now - PRICE_LOOKBACK,
            col(Card.removed_at).is_(None),
        )
    ).all()
    savers: dict[int, set[int]] = defaultdict(set)
    cards: dict[int, Card] = {}
    for card, user_id in rows:
        cards[card.id or 0] = card
        savers[card.id or 0].add(user_id)
    keys = {card_id: f"price:{card_id}:{_price(card)}" for card_id, card in cards.items()}
    handled = set(
        db.exec(
            select(NotificationSource.key).where(col(NotificationSource.key).in_(keys.values()))
        ).all()
    )
    return [
        CardNews(cards[card_id], key, Category.PRICE_DROPS, frozenset(savers[card_id]))
        for card_id, key in keys.items()
        if key not in handled
    ]


def _price(card: Card) -> str:
    paid = paid_price(card.payload)
    return "unknown" if paid is None else f"{paid:.2f}"


def _enqueue(
    db: Session, news: list[CardNews], now: datetime, taxonomy: Taxonomy, cfg: NotifyConfig
) -> int:
    if not news:
        return 0
    interests = interests_of(db, [item.card.id or 0 for item in news])
    audience = _audience(db, news, interests, taxonomy)
    recipients = load_recipients(db, audience, now, cfg.digest_hour)
    users = list(audience)
    # One pool of every news card, scored for each consumer in turn.
    cards = {item.card.id or 0: item.card for item in news}
    pool = CandidatePool([as_candidate(card, interests.get(i, ())) for i, card in cards.items()])
    rows = []
    for start in range(0, len(users), PROFILE_BATCH):
        batch = users[start : start + PROFILE_BATCH]
        profiles = load_profiles(db, batch, taxonomy=taxonomy, now=now)
        for user_id in batch:
            profile = profiles[user_id]
            scores = feed_scores(profile, pool, now, taxonomy)
            events = _ranked_events(profile, audience[user_id], scores)
            rows += plan(
                recipients[user_id],
                events,
                now,
                email_available=cfg.smtp_url is not None,
                min_score=cfg.instant_min_score,
                instant_quota=cfg.instant_per_run,
            )
    insert_new(db, Notification, rows)
    return len(rows)


def _audience(
    db: Session, news: list[CardNews], interests: dict[int, list[str]], taxonomy: Taxonomy
) -> dict[int, list[CardNews]]:
    """Who may care about each item: savers of a cheaper card, followers of a new card's
    interests (or of their parents, or of something inside them)."""
    audience: dict[int, list[CardNews]] = defaultdict(list)
    related: dict[str, list[CardNews]] = defaultdict(list)
    for item in news:
        if item.audience is not None:
            for user_id in item.audience:
                audience[user_id].append(item)
            continue
        slugs: set[str] = set()
        for slug in interests.get(item.card.id or 0, ()):
            slugs.update(taxonomy.ancestors(slug), taxonomy.descendants(slug))
        for slug in slugs:
            related[slug].append(item)
    if related:
        followers = db.exec(
            select(ConsumerInterest.user_id, ConsumerInterest.slug)
            .join(User, col(User.id) == ConsumerInterest.user_id)
            .where(
                col(ConsumerInterest.slug).in_(related),
                ConsumerInterest.state == InterestState.FOLLOW,
                User.role == Role.CONSUMER,
                col(User.active).is_(True),
            )
        ).all()
        for user_id, slug in followers:
            for item in related[slug]:
                if item not in audience[user_id]:
                    audience[user_id].append(item)
    return audience


def _ranked_events(
    profile: Profile, items: list[CardNews], scores: dict[int, float]
) -> list[Event]:
    """The consumer's items with the scores the feed gives them (``scores``); what the
    feed would not show (muted, hidden, dismissed) is dropped. A price drop on a saved
    card stays even if it no longer matches an interest: saving it was the consumer's
    own choice."""
    events = []
    for item in items:
        card_id = item.card.id or 0
        urgent = item.category == Category.PRICE_DROPS
        if card_id not in scores and not (
            urgent
            and card_id not in profile.dismissed
            and item.card.provider_id not in profile.hidden_providers
        ):
            continue
        events.append(
            Event(item.key, item.category, scores.get(card_id, 1.0), card_id, urgent=urgent)
        )
    return events


def _advance(db: Session, cursor: NotificationCursor, now: datetime) -> None:
    """Move past the cards that are both handled and too old to still be committing."""
    settled = db.exec(
        select(func.max(Card.id)).where(
            col(Card.id) > cursor.position, col(Card.first_seen_at) < now - SETTLE
        )
    ).one()
    if settled is None:
        return
    unhandled = db.exec(
        select(func.min(Card.id)).where(
            col(Card.id) > cursor.position,
            col(Card.id) <= settled,
            col(Card.removed_at).is_(None),
            _unhandled(),
        )
    ).one()
    cursor.position = settled if unhandled is None else unhandled - 1
    cursor.updated_at = now
    db.add(cursor)
