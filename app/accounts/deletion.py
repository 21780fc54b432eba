"""Deleting an account for good, without changing what partners were told.

The account row goes, and the foreign keys take everything that is only the person's
along (interests, marks on cards, hidden sources, followed partners, settings, devices,
notifications, links, recovery codes). Two kinds of rows also feed anonymous counts, and stay
without the account:

* the impressions, opens, saves and dismisses that partners' results count
  (:mod:`app.partners.stats`: the results rollup, which holds no account, plus the
  events not rolled up yet) and the popularity rollup counts: their ``user_id`` is
  cleared with everything that could tie them together (the feed session, the
  details); every other event goes;
* survey answers, which survey results count: their ``user_id`` is cleared, and what
  the person wrote is removed unless they chose to leave it, anonymously;
* the community's questions, answers and ideas, the same way: removed, or left
  without the person (:mod:`app.community.personal`); their votes go, and the counts
  they were part of drop with them.

What is kept elsewhere under the address goes too: login attempts, rate-limit counts,
and account emails to it not sent yet. Reports about the person lose what their
authors wrote (which may name them) and stay for staff, redacted: who reported, why
and when, about "participant #<id>"; open ones are closed, with nothing left to
decide. The audit log is not touched, and need not be: it names people by account id
only (:mod:`app.staff.audit`).

On SQLite, ``secure_delete`` (:func:`app.db._sqlite_pragmas`) overwrites the deleted
rows and a ``TRUNCATE`` checkpoint empties the write-ahead log, so the address is in
neither file afterwards. Nothing about the person is logged.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from app.accounts import community_data as community
from app.accounts import throttle
from app.db import checkpoint_sqlite
from app.models import (
    AccountMail,
    AccountThrottle,
    Event,
    EventKind,
    LoginAttempt,
    Report,
    Resolution,
    SurveyAnswer,
    User,
    stored_id,
    utcnow,
)

log = logging.getLogger(__name__)

# The events partners' results and the popularity rollup count (app.partners.stats.METRICS).
COUNTED = (EventKind.IMPRESSION, EventKind.OPEN, EventKind.SAVE, EventKind.DISMISS)


def delete_account(db: Session, user: User, *, keep_writing: bool) -> None:
    """Delete ``user`` and their personal data; commits."""
    user_id, email = stored_id(user), user.email
    db.exec(
        update(Event)
        .where(col(Event.user_id) == user_id, col(Event.kind).in_(COUNTED))
        .values(user_id=None, feed_session=None, detail={})
    )
    db.exec(delete(Event).where(col(Event.user_id) == user_id))
    for answer in db.exec(select(SurveyAnswer).where(SurveyAnswer.user_id == user_id)):
        answer.user_id = None
        if not keep_writing and answer.answer.get("text"):
            answer.answer = {**answer.answer, "text": None}
    about_them = (col(Report.target_kind) == "user", col(Report.target_id) == user_id)
    db.exec(
        update(Report)
        .where(*about_them, col(Report.resolved_at).is_(None))
        .values(resolved_at=utcnow(), resolution=Resolution.CLOSED)
    )
    db.exec(update(Report).where(*about_them).values(text=""))
    community.forget(db, user_id, keep_writing=keep_writing)
    db.exec(delete(LoginAttempt).where(col(LoginAttempt.email) == email))
    db.exec(delete(AccountMail).where(col(AccountMail.to_address) == email))
    db.exec(
        delete(AccountThrottle).where(
            col(AccountThrottle.key).in_(throttle.account_keys(user_id, email))
        )
    )
    db.delete(user)
    db.commit()
    if not checkpoint_sqlite(db):
        log.warning("an account was deleted; the write-ahead log could not be emptied yet")
    log.info("an account was deleted")
