"""Work for the demo's staff: texts screening held or flagged, reports about the
community's texts, and Plaza's own editorial cards, one running and one scheduled.

With the card reports of :mod:`app.demo.reports`, the staff login of ``make run`` finds a
queue of every kind of item, and the editorial console a card to watch and one to
change. Screening's decisions go on the audit log as screening puts them there, the
reports are filed as a shopper's are and the editorial cards published as staff publish
them (logged), then stored by the same refresh as any provider's. Idempotent: each part
is skipped once the demo has any of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.community.feed_posts import settled
from app.community.reports import file_report
from app.community.screening import Item, Outcome, Verdict, apply
from app.community.texts import record_screening
from app.ingest.refresh import refresh_provider
from app.ingest.sources import SampleContext
from app.models import (
    Answer,
    Question,
    Report,
    Suggestion,
    User,
    Visibility,
    stored_id,
)
from app.staff import editorial
from app.staff import screened as _screened  # noqa: F401 (screening's record: the audit log)
from cards.taxonomy import Taxonomy
from feeds.fetch import FetchPolicy

STAFF_EMAIL = "staff@example.com"
HELD_REASON = "Offensive language (classifier 0.91); a new account's post"
FLAG_REASON = "Rule “refund”"
COMMUNITY_KINDS = ("question", "answer", "suggestion")

# (what, reason, text, hours ago): one report about each kind of community text
TEXT_REPORTS = (
    ("question", "spam", "The same question on every card of this shop.", 3),
    ("answer", "misleading", "This is not what the size guide says.", 2),
    ("suggestion", "offensive", "", 1),
)

# (name, days from now to its start, its length in days, title, story, interests)
EDITORIAL = (
    (
        "Trail season",
        -1,
        7,
        "Trail season starts",
        "Three shops picked their favourite trail shoes for the weekend: light, grippy and "
        "ready for mud.",
        ["sports/hiking", "shoes/athletic-shoes/running-shoes"],
    ),
    (
        "Winter kitchen",
        2,
        7,
        "Slow cooking for cold evenings",
        "Heavy pans, good knives and a pot that lasts: what our partners' cooks use when "
        "the nights draw in.",
        ["home/kitchen"],
    ),
)


@dataclass
class ModerationReport:
    screened: int = 0
    reports: int = 0
    editorial: int = 0


def seed_moderation(
    db: Session, taxonomy: Taxonomy, now: datetime, crowd: list[int]
) -> ModerationReport:
    """Held and flagged texts, reports about community texts, editorial cards; commits."""
    report = ModerationReport(
        screened=_screen(db, now, crowd),
        reports=_report_texts(db, now, crowd),
        editorial=_publish(db, taxonomy, now),
    )
    db.commit()
    return report


def _screen(db: Session, now: datetime, crowd: list[int]) -> int:
    """A new account's question held for review, and an idea a staff rule flagged."""
    waiting = (col(Question.status) == Visibility.HELD) | col(Question.flagged_reason).is_not(None)
    if len(crowd) < 2 or db.exec(select(Question.id).where(waiting).limit(1)).first():
        return 0
    question_on = db.exec(select(Question).order_by(col(Question.id)).limit(1)).first()
    if question_on is None:
        return 0
    held = Question(
        organization_id=question_on.organization_id,
        card_id=question_on.card_id,
        user_id=crowd[-1],
        title="Why is this so expensive, are you idiots?",
        created_at=now - timedelta(hours=3),
    )
    flagged = Suggestion(
        organization_id=question_on.organization_id,
        user_id=crowd[-2],
        title="A refund without the receipt",
        body="I lost mine; a refund to the card I paid with would do.",
        created_at=now - timedelta(hours=5),
        vote_count=1,
    )
    screened: list[tuple[Item, Verdict]] = [
        (held, Verdict(Outcome.HOLD, HELD_REASON)),
        (flagged, Verdict(Outcome.FLAG, FLAG_REASON)),
    ]
    for item, verdict in screened:
        apply(item, verdict)
        db.add(item)
        db.flush()
        record_screening(db, item, verdict, item.created_at)
    return 2


def _report_texts(db: Session, now: datetime, crowd: list[int]) -> int:
    """One open report about a question, an answer and an idea, each by someone who did
    not write it."""
    about_texts = col(Report.target_kind).in_(COMMUNITY_KINDS)
    if db.exec(select(func.count()).select_from(Report).where(about_texts)).one():
        return 0
    targets = {
        "question": _first_shown(db, Question),
        "answer": _first_shown(db, Answer, col(Answer.organization_id).is_(None)),
        "suggestion": _first_shown(db, Suggestion),
    }
    filed = 0
    for kind, reason, text, hours in TEXT_REPORTS:
        target = targets[kind]
        reporter = next((p for p in crowd if target and p != target.user_id), None)
        if target is None or reporter is None:
            continue
        file_report(db, reporter, kind, stored_id(target), reason, text,
                    now - timedelta(hours=hours))  # fmt: skip
        filed += 1
    return filed


def _first_shown(db: Session, model: Any, *where: Any) -> Any:
    """The oldest text of ``model`` that everyone sees, with an author to report."""
    return db.exec(
        select(model)
        .where(settled(model), col(model.user_id).is_not(None), *where)
        .order_by(col(model.id))
        .limit(1)
    ).first()


def _publish(db: Session, taxonomy: Taxonomy, now: datetime) -> int:
    """Plaza's editorial cards, published by the demo's staff member, unless some exist."""
    staff = db.exec(select(User).where(User.email == STAFF_EMAIL)).first()
    if staff is None or editorial.listing(db, now):
        return 0
    published = 0
    for name, start_in, days, title, text, interests in EDITORIAL:
        starts = now + timedelta(days=start_in)
        config = {
            "title": title,
            "text": text,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=days)).isoformat(),
        }
        provider = editorial.publish(db, stored_id(staff), config, interests, name,
                                     taxonomy=taxonomy, policy=FetchPolicy(), now=now)  # fmt: skip
        db.commit()
        context = SampleContext(samples={}, now=now, taxonomy=taxonomy)
        refresh_provider(db, provider, context, now)
        published += 1
    return published
