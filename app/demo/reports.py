"""A few open reports from the demo's crowd, so that staff find a queue waiting.

Filed through :func:`app.community.reports.file_report`, as a shopper's report is, some
hours apart. Idempotent: nothing is added once the demo has any report.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.community.reports import file_report
from app.demo.activity import SHOPPER_EMAIL
from app.models import Card, Provider, Report, User, stored_id
from app.ranking.candidates import shown_now
from app.staff import sanctions  # noqa: F401 (registers participants as reportable)

# (reporter number, what: a card's rank among the newest or a crowd shopper, reason, text,
# hours ago)
REPORTS = (
    (1, ("card", 0), "misleading", "The price on the shop's page is higher than this.", 30),
    (2, ("card", 0), "misleading", "", 26),
    (3, ("card", 1), "spam", "Same product posted again and again.", 9),
    (4, ("user", 5), "offensive", "Rude replies to other shoppers.", 4),
    (6, ("card", 2), "other", "Looks like a counterfeit.", 1),
)


def seed_reports(db: Session, now: datetime) -> int:
    """File the demo's reports unless some exist; returns how many were filed (commits)."""
    if db.exec(select(func.count()).select_from(Report)).one():
        return 0
    # Cards shown now and all along (no start or end), so shown when each was reported.
    cards = db.exec(
        select(Card.id)
        .join(Provider, col(Provider.id) == Card.provider_id)
        .where(*shown_now(now), col(Card.starts_at).is_(None), col(Card.ends_at).is_(None))
        .order_by(col(Card.published_at).desc(), col(Card.id))
        .limit(3)
    ).all()
    filed = 0
    for reporter_n, (kind, n), reason, text, hours in REPORTS:
        reporter = _crowd(db, reporter_n)
        if kind == "card":
            target = cards[n] if n < len(cards) else None
        else:
            shopper = _crowd(db, n)
            target = stored_id(shopper) if shopper else None
        if reporter is None or target is None:
            continue
        at = now - timedelta(hours=hours)
        file_report(db, stored_id(reporter), kind, target, reason, text, at)
        filed += 1
    db.commit()
    return filed


def _crowd(db: Session, n: int) -> User | None:
    return db.exec(select(User).where(User.email == SHOPPER_EMAIL.format(n))).first()
