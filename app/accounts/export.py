"""Everything Plaza holds about one account, as one JSON document, written piece by piece.

The export is a generator of text chunks: the small parts (profile, interests, what
ranking learned and the first page it ranked ahead, saved cards, answers, settings,
devices, signed-in browsers) are read at once, and the event log, which can be long, is
read a chunk at a time in the order of its index (``ix_event_user_time``: user, time,
and id after them), so an account with 50,000 events streams in constant memory. Its
own database session, since a streamed response outlives the request's.

"What Plaza has learned" is the ranking's own reading of the event log
(:func:`app.ranking.candidates.load_profile`): the numbers the feed uses, and each in
words.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, tuple_
from sqlalchemy import select as sqlalchemy_select
from sqlmodel import Session, SQLModel, col, select

from app.accounts import community_data as community
from app.accounts.two_factor import recovery_codes_left
from app.models import (
    Appeal,
    BrowserSession,
    Card,
    CardState,
    ConsumerInterest,
    Decision,
    Event,
    FeedPreference,
    InterestState,
    LoginAttempt,
    Notification,
    NotificationPreference,
    NotificationSettings,
    Organization,
    PreparedFeed,
    Provider,
    ProviderBlock,
    PushSubscription,
    Report,
    SurveyAnswer,
    User,
    stored_id,
)
from app.ranking.affinity import HALF_LIFE
from app.ranking.candidates import EVENT_HORIZON, MAX_EVENTS, load_profile
from app.ranking.prepared import planned_cards
from app.shopper.follows import followed_organizations
from cards.registry import UnknownKind, get_kind
from cards.taxonomy import Taxonomy

CHUNK = 1000  # events per query
STRONG, CLEAR = 0.5, 0.15  # how far from neutral an affinity is put into words


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not exported")


def _json(value: Any) -> str:
    return json.dumps(value, default=_plain, ensure_ascii=False, separators=(",", ":"))


def _row(row: Any, *skip: str) -> dict[str, Any]:
    return {key: value for key, value in row.model_dump().items() if key not in skip}


def export_account(
    engine: Engine, user_id: int, taxonomy: Taxonomy, now: datetime
) -> Iterator[str]:
    """The account's data as JSON text, in chunks; nothing when the account is gone."""
    with Session(engine, expire_on_commit=False) as db:
        user = db.get(User, user_id)
        if user is None:
            return
        yield '{"exported_at":' + _json(now)
        for name, part in _parts(db, user, taxonomy, now):
            yield f',"{name}":' + _json(part)
        yield ',"events":['
        first = True
        for chunk in _event_chunks(db, user_id):
            text = ",".join(_json(event) for event in chunk)
            yield text if first else "," + text
            first = False
        yield "]}\n"


def _parts(db: Session, user: User, taxonomy: Taxonomy, now: datetime) -> Iterator[tuple[str, Any]]:
    user_id = stored_id(user)
    organization = db.get(Organization, user.organization_id) if user.organization_id else None
    yield (
        "profile",
        {
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "role": user.role,
            "active": user.active,
            "created_at": user.created_at,
            "onboarded_at": user.onboarded_at,
            "two_factor_since": user.totp_enabled_at,
            "recovery_codes_left": recovery_codes_left(db, user),
        },
    )
    yield (
        "organisation_memberships",
        (
            [{"organisation": organization.name, "slug": organization.slug, "role": user.role}]
            if organization
            else []
        ),
    )
    interests: dict[str, list[dict[str, Any]]] = {"followed": [], "muted": []}
    for row in db.exec(
        select(ConsumerInterest)
        .where(ConsumerInterest.user_id == user_id)
        .order_by(col(ConsumerInterest.slug))
    ):
        side = "followed" if row.state == InterestState.FOLLOW else "muted"
        interests[side].append(
            {"interest": row.slug, "name": taxonomy.name(row.slug), "since": row.created_at}
        )
    yield "interests", interests
    yield "learned", _learned(db, user_id, taxonomy, now)
    yield "prepared_first_page", _prepared(db, user_id)
    yield (
        "hidden_sources",
        [
            {"provider_id": block.provider_id, "name": name, "since": block.created_at}
            for block, name in db.exec(
                select(ProviderBlock, Provider.name)
                .join(Provider, col(Provider.id) == ProviderBlock.provider_id)
                .where(ProviderBlock.user_id == user_id)
            )
        ],
    )
    yield (
        "followed_partners",
        [
            {"organisation": organization.name, "slug": organization.slug, "since": since}
            for organization, since in followed_organizations(db, user_id)
        ],
    )
    yield (
        "cards",
        [
            {
                "card_id": state.card_id,
                "title": title,
                "url": url,
                "saved_at": state.saved_at,
                "dismissed_at": state.dismissed_at,
            }
            for state, title, url in db.exec(
                select(CardState, Card.title, Card.url)
                .join(Card, col(Card.id) == CardState.card_id)
                .where(CardState.user_id == user_id)
                .order_by(col(CardState.card_id))
            )
        ],
    )
    yield (
        "survey_answers",
        [
            {
                "card_id": answer.card_id,
                "question": title,
                "answer": answer.answer,
                "answered_at": answer.created_at,
            }
            for answer, title in db.exec(
                select(SurveyAnswer, Card.title)
                .join(Card, col(Card.id) == SurveyAnswer.card_id)
                .where(SurveyAnswer.user_id == user_id)
                .order_by(col(SurveyAnswer.id))
            )
        ],
    )
    yield (
        "reports",
        [
            _row(report, "reporter_id", "resolved_by_id")
            for report in db.exec(
                select(Report).where(Report.reporter_id == user_id).order_by(col(Report.id))
            )
        ],
    )
    yield (
        "moderation_decisions",
        [
            {**_row(decision, "user_id", "staff_id"), "appeal": _row(appeal, "resolved_by_id")
             if appeal else None}
            for decision, appeal in db.exec(
                select(Decision, Appeal)
                .join(Appeal, col(Appeal.decision_id) == Decision.id, isouter=True)
                .where(Decision.user_id == user_id)
                .order_by(col(Decision.id))
            )
        ],
    )  # fmt: skip
    yield "community", community.exported(db, user_id)
    settings = db.get(NotificationSettings, user_id)
    yield (
        "notification_settings",
        {
            "settings": _row(settings, "user_id") if settings else None,
            "choices": [
                _row(choice, "user_id")
                for choice in db.exec(
                    select(NotificationPreference).where(NotificationPreference.user_id == user_id)
                )
            ],
        },
    )
    feed = db.get(FeedPreference, user_id)
    yield "feed_settings", _row(feed, "user_id") if feed else None
    yield (
        "devices",
        [
            _row(device, "user_id", "endpoint_hash")
            for device in db.exec(
                select(PushSubscription).where(PushSubscription.user_id == user_id)
            )
        ],
    )
    yield (
        "signed_in_browsers",
        [
            _row(browser, "user_id", "token_hash")
            for browser in db.exec(
                select(BrowserSession)
                .where(BrowserSession.user_id == user_id)
                .order_by(col(BrowserSession.id))
            )
        ],
    )
    yield (
        "notifications",
        [
            _row(row, "user_id", "lease_until", "attempts", "digest_id", "score")
            for row in db.exec(
                select(Notification)
                .where(Notification.user_id == user_id)
                .order_by(col(Notification.id))
            )
        ],
    )
    yield (
        "login_attempts",
        [
            {"at": attempt.created_at, "from": attempt.ip, "succeeded": attempt.succeeded}
            for attempt in db.exec(
                select(LoginAttempt)
                .where(LoginAttempt.email == user.email)
                .order_by(col(LoginAttempt.id))
            )
        ],
    )


EVENT_COLUMNS = tuple(
    column for column in SQLModel.metadata.tables["event"].columns if column.name != "user_id"
)


def _event_chunks(db: Session, user_id: int) -> Iterator[list[dict[str, Any]]]:
    """The account's events, oldest first, ``CHUNK`` at a time: plain rows, not ORM
    objects, through keyset pagination on the index, so each query starts where the
    last one ended and memory holds one chunk."""
    query = (
        sqlalchemy_select(*EVENT_COLUMNS)
        .where(col(Event.user_id) == user_id)
        .order_by(col(Event.created_at), col(Event.id))
        .limit(CHUNK)
    )
    after: tuple[datetime, int] | None = None
    while True:
        page = (
            query
            if after is None
            else query.where(tuple_(col(Event.created_at), col(Event.id)) > tuple_(*after))
        )
        rows = [dict(row._mapping) for row in db.execute(page)]
        if not rows:
            return
        yield rows
        after = (rows[-1]["created_at"], rows[-1]["id"])


def _learned(db: Session, user_id: int, taxonomy: Taxonomy, now: datetime) -> dict[str, Any]:
    affinities = load_profile(db, user_id, taxonomy=taxonomy, now=now).affinities
    providers = dict(
        db.exec(
            select(Provider.id, Provider.name).where(
                col(Provider.id).in_(list(affinities.providers))
            )
        ).all()
    )
    return {
        "how": (
            f"Read from your last {EVENT_HORIZON.days} days of activity (at most "
            f"{MAX_EVENTS:,} events); older activity counts less, by half every "
            f"{HALF_LIFE.days} days. Each number is from -1 (Plaza shows you less of it) to "
            "1 (more of it); 0 means Plaza has learned nothing about it."
        ),
        "interests": _described(affinities.interests, taxonomy.name, "{} cards"),
        "card_kinds": _described(affinities.kinds, _kind_name, "{}"),
        "sources": _described(
            affinities.providers, lambda p: providers.get(p, f"source {p}"), "cards from {}"
        ),
        "usual_open_rate": round(affinities.usual_open_rate, 4),
        "saved_similar": sorted(affinities.saved_interests),
    }


def _prepared(db: Session, user_id: int) -> dict[str, Any] | None:
    """The first page the worker ranked ahead for the account's next visit, if any: what
    Plaza derived from their tastes, with when they last opened their feed."""
    row = db.get(PreparedFeed, user_id)
    if row is None:
        return None
    return {
        "how": (
            "So that your feed opens quickly, Plaza ranks the first pages of your next "
            "visit a few minutes ahead, from what it has learned about you, and shows them "
            "once while they are fresh."
        ),
        "last_feed_visit_at": row.visited_at,
        "prepared_at": row.prepared_at,
        "used_at": row.consumed_at,
        "card_ids": planned_cards(row.plan),
    }


def _kind_name(kind: str) -> str:
    try:
        found = get_kind(kind)
    except UnknownKind:
        return kind
    return f"{(found.card_label or found.label or kind).lower()} cards"


def _described(values: Mapping[Any, float], name: Any, phrase: str) -> list[dict[str, Any]]:
    """Each learned value with its words, strongest first."""
    out = []
    for key, value in sorted(values.items(), key=lambda item: -abs(item[1])):
        what = phrase.format(name(key))
        out.append(
            {
                "id": key,
                "name": name(key),
                "value": round(value, 4),
                "in_words": in_words(what, value),
            }
        )
    return out


def in_words(what: str, value: float) -> str:
    """One learned value as a sentence: "You open Kitchen cards more than most."."""
    if value >= STRONG:
        return f"You open and save {what} far more than most of what you are shown."
    if value >= CLEAR:
        return f"You open {what} more than most."
    if value > -CLEAR:
        return f"You treat {what} like most others."
    if value > -STRONG:
        return f"You pass over {what} more than most."
    return f"You rarely open {what}, or asked to see less of them."
