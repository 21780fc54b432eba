"""Reports: a signed-in person says that something breaks the rules; staff decide.

What can be reported is a registry, :data:`REPORTABLES`, of :class:`Reportable` kinds
("card" here, "user" in :mod:`app.staff.sanctions`, questions, answers and suggestions
in :mod:`app.community.texts`). A kind knows how to load one of its things as a
:class:`Target` (what staff are shown, and what the audit log keeps a snapshot of), and
how to remove and restore it. Reports, the staff queue and the audit log speak only of
``(kind, id)``, so a new kind needs no change to them.

A person has at most one open report per thing (the database enforces it too):
reporting again says so and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import rows_changed
from app.models import Card, Organization, Provider, Report, ReportReason, Resolution
from app.ranking.candidates import shown_cards

TEXT_MAX = 1000
# Reports one account may send in an hour: far more than anyone sends in good faith, and
# few enough that a script cannot bury the staff queue.
HOUR = timedelta(hours=1)
ALREADY = "You already reported this; Plaza's staff will look at it."
REASON_LABELS = {
    ReportReason.SPAM: "Spam",
    ReportReason.OFFENSIVE: "Offensive",
    ReportReason.MISLEADING: "Misleading",
    ReportReason.OTHER: "Something else",
}


class ReportProblem(ValueError):
    """A report (or, as a subclass, a staff action) that cannot be taken; the message
    says why, ``status`` is the HTTP one."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Target:
    """One reportable thing as staff see it, whatever its kind."""

    kind: str
    id: int
    title: str
    text: str
    where: str  # where it appeared: "a card from Northwind (Acme Outfitters)"
    url: str | None
    removed: bool
    author_id: int | None = None  # the participant who wrote it, if one did
    provider_id: int | None = None
    organization_id: int | None = None
    snapshot: str = ""  # what the audit log keeps; the title when empty
    called: str = ""  # how a message to its author names it: "question “Is it warm?”"
    # Why screening keeps it for staff (held, or flagged and not reviewed yet), if it does.
    screened: str | None = None
    held: bool = False  # only its author sees it until staff approve it

    @property
    def record(self) -> str:
        return self.snapshot or f"{self.title} — {self.text}".strip(" —")


class Reportable(Protocol):
    """A kind of thing people may report."""

    kind: str
    label: str  # "card", "participant": how messages name it

    def load(self, db: Session, target_id: int) -> Target | None: ...

    def visible(self, db: Session, target_id: int, now: datetime) -> bool:
        """Whether people may see it now (so may report it); removed things count as
        seen, so that reporting one says it was removed."""
        ...

    def remove(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None: ...

    def restore(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None: ...


REPORTABLES: dict[str, Reportable] = {}


def register(reportable: Reportable) -> Reportable:
    REPORTABLES[reportable.kind] = reportable
    return reportable


def reportable(kind: str) -> Reportable:
    try:
        return REPORTABLES[kind]
    except KeyError:
        raise ReportProblem("There is nothing of that kind to report.", 404) from None


def load_target(db: Session, kind: str, target_id: int) -> Target | None:
    found = REPORTABLES.get(kind)
    return found.load(db, target_id) if found else None


def target_for_people(db: Session, kind: str, target_id: int, now: datetime) -> Target | None:
    """The thing as a person about to report it may know of it: None when it does not
    exist for them."""
    found = reportable(kind)
    if not found.visible(db, target_id, now):
        return None
    return found.load(db, target_id)


class CardReportable:
    """A card; removing it is the card's own removal (``removed_at``), which every feed,
    card page and digest already honours, and which restoring undoes."""

    kind = "card"
    label = "card"

    def load(self, db: Session, target_id: int) -> Target | None:
        card = db.get(Card, target_id)
        if card is None:
            return None
        provider = db.get(Provider, card.provider_id)
        organization = db.get(Organization, provider.organization_id) if provider else None
        where = f"a card from {provider.name if provider else 'a removed provider'}"
        if organization is not None:
            where += f" ({organization.name})"
        return Target(
            kind=self.kind,
            id=target_id,
            title=card.title,
            text=card.summary,
            where=where,
            url=card.url,
            removed=card.removed_at is not None,
            provider_id=card.provider_id,
            organization_id=organization.id if organization else None,
            snapshot=card.title,
            called=f"card “{card.title[:80]}”",
        )

    def visible(self, db: Session, target_id: int, now: datetime) -> bool:
        """A card the feed could show now, or one removed. Any other (not started yet,
        ended, its provider suspended) is "no such card", as on its page: ids are
        sequential, and a different answer would tell what is scheduled."""
        card = db.get(Card, target_id)
        return card is not None and (
            card.removed_at is not None or bool(shown_cards(db, [target_id], now))
        )

    def remove(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None:
        # updated_at tells every process's catalog snapshot (app.ranking.catalog) at once.
        self._set(db, target_id, col(Card.removed_at).is_(None), now, now)

    def restore(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None:
        self._set(db, target_id, col(Card.removed_at).is_not(None), None, now)

    @staticmethod
    def _set(
        db: Session, target_id: int, unless: Any, removed_at: datetime | None, now: datetime
    ) -> None:
        """One conditional UPDATE: of two staff tapping at once, the second finds the card
        changed already and is refused, instead of doing it twice."""
        changed = rows_changed(
            db.exec(
                update(Card)
                .where(col(Card.id) == target_id, unless)
                .values(removed_at=removed_at, updated_at=now)
            )
        )
        if not changed:
            raise ReportProblem("Someone changed this card a moment ago; look again.", 409)


register(CardReportable())


def participant_snapshot(user_id: int) -> str:
    """How the audit log names a participant: by id, never by anything personal."""
    return f"participant #{user_id}"


def clean_text(raw: str | None) -> str:
    """The optional words of a report, as plain text: trimmed, at most :data:`TEXT_MAX`."""
    text = (raw or "").strip()
    if len(text) > TEXT_MAX:
        raise ReportProblem(f"Keep it to {TEXT_MAX} characters (this is {len(text)}).")
    return text


def file_report(
    db: Session,
    reporter_id: int,
    kind: str,
    target_id: int,
    reason: str,
    text: str | None,
    now: datetime,
) -> Report:
    """Take a report (the caller commits); raises ReportProblem with a clear message."""
    try:
        chosen = ReportReason(reason)
    except ValueError:
        raise ReportProblem("Choose why you are reporting this.") from None
    words = clean_text(text)
    target = target_for_people(db, kind, target_id, now)
    if target is None:
        raise ReportProblem("There is no such thing to report.", 404)
    if target.author_id is not None and target.author_id == reporter_id:
        label = reportable(kind).label
        yours = "yourself" if kind == "user" else f"your own {label}"
        raise ReportProblem(f"You cannot report {yours}.")
    if target.removed:
        raise ReportProblem(f"This {reportable(kind).label} was already removed.", 409)
    if already_reported(db, reporter_id, kind, target_id):
        raise ReportProblem(ALREADY, 409)
    sent = db.exec(
        select(func.count())
        .select_from(Report)
        .where(Report.reporter_id == reporter_id, col(Report.created_at) > now - HOUR)
    ).one()
    per_hour = int(current_app.config["REPORTS_PER_HOUR"])
    if sent >= per_hour:
        raise ReportProblem(f"You sent {per_hour} reports in the last hour; try again later.", 429)
    report = Report(
        reporter_id=reporter_id,
        target_kind=kind,
        target_id=target_id,
        reason=chosen,
        text=words,
        created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(report)
    except IntegrityError:  # the same report, sent twice at once
        raise ReportProblem(ALREADY, 409) from None
    return report


def already_reported(db: Session, reporter_id: int, kind: str, target_id: int) -> bool:
    return (
        db.exec(
            select(Report.id).where(
                Report.reporter_id == reporter_id,
                Report.target_kind == kind,
                Report.target_id == target_id,
                col(Report.resolved_at).is_(None),
            )
        ).first()
        is not None
    )


def resolve_reports(
    db: Session, kind: str, target_id: int, resolution: Resolution, by: int, now: datetime
) -> int:
    """Close every open report about the thing; returns how many there were. One
    conditional UPDATE, so reports closed by someone else a moment before count none."""
    return rows_changed(
        db.exec(
            update(Report)
            .where(
                col(Report.target_kind) == kind,
                col(Report.target_id) == target_id,
                col(Report.resolved_at).is_(None),
            )
            .values(resolved_at=now, resolution=resolution, resolved_by_id=by)
        )
    )
