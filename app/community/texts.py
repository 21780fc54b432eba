"""The community's texts (questions, answers, ideas) as things people report and staff
decide on, and screening's own decisions on the record.

Each kind is a :class:`~app.community.reports.Reportable`: staff see the text, where it
was posted (the card's thread, the organisation's board) and its author; removing and
restoring it (a report's "Remove", approving or rejecting a held or flagged text) go
through :func:`~app.community.screening.set_visibility`.

What screening decides by itself (a text refused at submit, held for review, flagged)
is an automatic moderation action: :func:`record_screening` hands it to whoever keeps
the record (the staff's audit log registers with :func:`record_screening_with`), one
insert in the transaction of the post. The record names the text by kind and id and
its author by account id, never by their words: an author may delete them for good.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlmodel import Session

from app.community.feed_posts import withdraw
from app.community.reports import ReportProblem, Target, participant_snapshot, register
from app.community.screening import Item, Outcome, Verdict, is_waiting, set_visibility
from app.community.updates import question_path, suggestion_path
from app.models import Answer, Card, Organization, Question, Suggestion, Visibility


class TextKind:
    """One kind of community text: a reportable thing like a card or a participant."""

    def __init__(self, kind: str, label: str, model: type[Item]) -> None:
        self.kind = kind
        self.label = label  # how messages name it
        self.model = model

    def item(self, db: Session, target_id: int) -> Item | None:
        return cast(Item | None, db.get(self.model, target_id))

    def load(self, db: Session, target_id: int) -> Target | None:
        item = self.item(db, target_id)
        if item is None:
            return None
        title, where, url, called = _described(db, item)
        waiting = is_waiting(item)
        return Target(
            kind=self.kind,
            id=target_id,
            title=title,
            text=item.body,
            where=where,
            url=url,
            removed=item.status == Visibility.REMOVED,
            author_id=item.user_id,
            # A partner's answer is the organisation's: its members hear of it when no
            # one person wrote it (an API token).
            organization_id=item.organization_id if isinstance(item, Answer) else None,
            snapshot=snapshot(self.kind, item),
            called=called,
            screened=(item.flagged_reason or "Held for review") if waiting else None,
            held=item.status == Visibility.HELD,
        )

    def visible(self, db: Session, target_id: int, now: datetime) -> bool:
        """Shown to everyone (an answer: under a question shown to everyone), or removed;
        a held text is only its author's, so there is nothing else to report."""
        item = self.item(db, target_id)
        if item is None or item.status == Visibility.HELD:
            return False
        if isinstance(item, Answer) and item.status == Visibility.VISIBLE:
            question = db.get(Question, item.question_id)
            return question is not None and question.status == Visibility.VISIBLE
        return True

    def remove(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None:
        self._set(db, target_id, False, reason, now)

    def restore(self, db: Session, target_id: int, now: datetime, reason: str = "") -> None:
        self._set(db, target_id, True, reason, now)

    def _set(self, db: Session, target_id: int, visible: bool, reason: str, now: datetime) -> None:
        item = self.item(db, target_id)
        if item is None or not set_visibility(db, item, visible, reason, now):
            raise ReportProblem(f"Someone changed this {self.label} a moment ago; look again.", 409)
        if not visible:
            withdraw(db, item, now)  # its card in the feed, if it surfaced there


TEXT_KINDS = {
    kind.model: kind
    for kind in (
        TextKind("question", "question", Question),
        TextKind("answer", "answer", Answer),
        TextKind("suggestion", "idea", Suggestion),
    )
}
for _kind in TEXT_KINDS.values():
    register(_kind)


def kind_of(item: Item) -> TextKind:
    return TEXT_KINDS[type(item)]


def _described(db: Session, item: Item) -> tuple[str, str, str | None, str]:
    """A text's title, where it was posted, its address, and how its author is told of it."""
    if isinstance(item, Suggestion):
        organization = db.get(Organization, item.organization_id)
        name = organization.name if organization else "an organisation"
        url = suggestion_path(organization, item) if organization else None
        return item.title, f"an idea on {name}'s board", url, f"idea “{item.title[:80]}”"
    question = item if isinstance(item, Question) else db.get(Question, item.question_id)
    if question is None:  # the foreign key cascades; nothing to describe
        return "", "", None, "answer"
    organization = db.get(Organization, question.organization_id)
    card = db.get(Card, question.card_id) if question.card_id is not None else None
    where = f"a question to {organization.name if organization else 'an organisation'}"
    if card is not None:
        where += f" on the card “{card.title}”"
    url = question_path(db, question)
    if isinstance(item, Question):
        return item.title, where, url, f"question “{item.title[:80]}”"
    by = "the organisation's answer" if item.organization_id else "an answer"
    url = f"{url.split('#')[0]}#answer-{item.id}" if url else None
    return (
        f"An answer to “{question.title}”",
        f"{by} to {where}",
        url,
        f"answer to “{question.title[:80]}”",
    )


def snapshot(kind: str, item: Item) -> str:
    """How the audit log names a text: its place and its author by ids, not its words."""
    if item.user_id is not None:
        by = participant_snapshot(item.user_id)
    elif isinstance(item, Answer) and item.organization_id is not None:
        by = f"organisation #{item.organization_id}"
    else:
        by = "a former participant"
    if isinstance(item, Answer):
        what = f"answer to question #{item.question_id}"
    else:
        what = f"{kind} to organisation #{item.organization_id}"
    return f"{what} by {by}" if item.id is not None else f"{what} by {by}, not posted"


# --- Screening's decisions on the record ---------------------------------------------------


@dataclass(frozen=True)
class ScreeningDecision:
    """What screening decided on one text, as the record keeps it."""

    action: str  # "refuse", "hold", "flag"
    target_kind: str
    target_id: int  # 0: refused, so never stored
    snapshot: str
    reason: str
    now: datetime


ScreeningRecorder = Callable[[Session, ScreeningDecision], object]
RECORDERS: list[ScreeningRecorder] = []


def record_screening_with(recorder: ScreeningRecorder) -> ScreeningRecorder:
    RECORDERS.append(recorder)
    return recorder


def record_screening(db: Session, item: Item, verdict: Verdict, now: datetime) -> None:
    """Put screening's decision on ``item`` on the record, unless it simply showed it. A
    text refused at submit was never stored: its id is 0."""
    if verdict.outcome == Outcome.SHOW:
        return
    kind = kind_of(item).kind
    decision = ScreeningDecision(
        verdict.outcome.value, kind, item.id or 0, snapshot(kind, item), verdict.reason or "", now
    )
    for recorder in RECORDERS:
        recorder(db, decision)
