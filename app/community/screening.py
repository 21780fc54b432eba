"""Every text a shopper or partner posts in the community is screened before others see it.

Two judges, strictest outcome wins:

* **Staff rules** (:class:`~app.models.ScreeningRule`): a word (matched as a whole word,
  any case) or a regular expression, each with its action: *refuse* the text at submit
  with a clear message, *hold* it until staff approve it, or *flag* it (shown, and
  listed for staff). Each process keeps the rules it read, and a post reads only
  whether they changed (:class:`RuleBook`), so a rule staff add applies from the next
  post without a post reading every rule.
* **An offline classifier** (alt-profanity-check: a linear model over word n-grams,
  trained on a large set of labelled comments; no network, a few milliseconds a text,
  see ``bench/screening.py``): a text it finds offensive is flagged. It judges the
  whole text and each sentence, so one rude sentence is not diluted by polite ones.

A new account's flagged text is held instead: someone who just signed up and whose
first posts look offensive does not get to show them before staff have looked.

The outcome is stored on the item itself (``status``: visible, held or removed;
``flagged_reason``), so staff tooling lists what waits for it with
:func:`held_and_flagged` and decides with :func:`set_visibility`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, func, literal_column, update
from sqlmodel import Session, col, or_, select

from app.community import updates
from app.db import rows_changed
from app.models import Answer, Question, RuleAction, ScreeningRule, Suggestion, Visibility

log = logging.getLogger(__name__)

OFFENSIVE_AT = 0.8  # the classifier's probability from which a text is flagged
NEW_ACCOUNT_POSTS = 3  # an author with fewer earlier visible posts is "new"
MAX_PATTERN = 500
MAX_SENTENCES = 40  # the classifier judges at most this many sentences of one text
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

Item = Question | Answer | Suggestion
ITEM_TYPES: tuple[type[Question] | type[Answer] | type[Suggestion], ...] = (
    Question,
    Answer,
    Suggestion,
)


class Outcome(StrEnum):
    SHOW = "show"
    FLAG = "flag"
    HOLD = "hold"
    REFUSE = "refuse"


SEVERITY = {Outcome.SHOW: 0, Outcome.FLAG: 1, Outcome.HOLD: 2, Outcome.REFUSE: 3}


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: str | None = None  # what staff read: which rule, or the classifier's score
    message: str | None = None  # what the author reads when the text is refused

    @property
    def status(self) -> Visibility:
        return Visibility.HELD if self.outcome == Outcome.HOLD else Visibility.VISIBLE


SHOW = Verdict(Outcome.SHOW)
REFUSAL = (
    "Plaza's community rules do not allow some of the words in your text; "
    "please say it another way."
)


# --- Rules ------------------------------------------------------------------------------


class RuleProblem(ValueError):
    """A rule staff typed that cannot be used (an empty word, a broken expression)."""


def compile_rule(pattern: str, is_regex: bool) -> re.Pattern[str]:
    """The expression a rule matches with; raises :class:`RuleProblem` for a bad rule."""
    text = pattern.strip()
    if not text:
        raise RuleProblem("Give a word or an expression.")
    if len(text) > MAX_PATTERN:
        raise RuleProblem(f"Keep a rule to {MAX_PATTERN} characters.")
    if not is_regex:
        return re.compile(rf"(?<!\w){re.escape(text)}(?!\w)", re.IGNORECASE)
    try:
        return re.compile(text, re.IGNORECASE)
    except re.error as error:
        raise RuleProblem(f"This is not a valid regular expression: {error}.") from None


def add_rule(
    db: Session,
    pattern: str,
    action: str,
    *,
    is_regex: bool = False,
    note: str = "",
    created_by_id: int | None = None,
) -> ScreeningRule:
    """Store a rule after checking it (the caller commits)."""
    compile_rule(pattern, is_regex)
    try:
        checked = RuleAction(action)
    except ValueError:
        raise RuleProblem("A rule refuses, holds or flags.") from None
    rule = ScreeningRule(
        pattern=pattern.strip(),
        is_regex=is_regex,
        action=checked,
        note=note.strip()[:200],
        created_by_id=created_by_id,
    )
    db.add(rule)
    return rule


@dataclass(frozen=True)
class CompiledRule:
    id: int
    expression: re.Pattern[str]
    action: RuleAction
    note: str
    shown: str  # how staff read it


def load_rules(db: Session) -> list[CompiledRule]:
    """Every usable rule, read from the database; one that no longer compiles is skipped
    with a warning. A post takes them from :func:`current_rules` instead."""
    rules = []
    for row in db.exec(select(ScreeningRule).order_by(col(ScreeningRule.id))):
        try:
            expression = compile_rule(row.pattern, row.is_regex)
            action = RuleAction(row.action)
        except (RuleProblem, ValueError):
            log.warning("screening rule %s cannot be used and is skipped", row.id)
            continue
        shown = f"/{row.pattern}/" if row.is_regex else f"“{row.pattern}”"
        rules.append(CompiledRule(row.id or 0, expression, action, row.note, shown))
    return rules


# Rules are added and removed (``plaza screening``), never changed in place, so how many
# there are, the newest id and the newest creation time change with every edit: an id
# given again after the newest rule was removed (SQLite) comes with a newer time.
RulesMark = tuple[int, int | None, datetime | None]


def read_rules_mark(db: Session) -> RulesMark:
    """Where the staff's rules stand, in one small query that reads no rule."""
    count, newest_id, newest_at = db.execute(
        select(
            func.count(),
            func.max(col(ScreeningRule.id)),
            func.max(col(ScreeningRule.created_at)),
        ).select_from(ScreeningRule)
    ).one()
    return int(count), newest_id, newest_at


class RuleBook:
    """The staff's rules as this process last read them from one database, and the mark
    they were read at: a post reads the mark only, and the rules again once it moved, so a
    rule staff add or remove (in any process) applies from the next post."""

    def __init__(self) -> None:
        self._read: tuple[RulesMark, tuple[CompiledRule, ...]] | None = None

    def current(self, db: Session) -> tuple[CompiledRule, ...]:
        mark = read_rules_mark(db)
        read = self._read
        if read is not None and read[0] == mark:
            return read[1]
        # Read after the mark: a rule added meanwhile is in them, and moves the mark again.
        rules = tuple(load_rules(db))
        self._read = (mark, rules)
        return rules


_rule_books: WeakKeyDictionary[Engine, RuleBook] = WeakKeyDictionary()
_rule_books_lock = threading.Lock()


def current_rules(db: Session) -> tuple[CompiledRule, ...]:
    """The staff's rules for a post in ``db``'s database, read again only when changed."""
    engine = db.get_bind().engine
    with _rule_books_lock:
        book = _rule_books.get(engine)
        if book is None:
            book = _rule_books[engine] = RuleBook()
    return book.current(db)


# --- The classifier -----------------------------------------------------------------------

Classifier = Callable[[Sequence[str]], Sequence[float]]
_classifier_lock = threading.Lock()


@lru_cache(maxsize=1)
def _load_classifier() -> Classifier | None:
    """alt-profanity-check's model, loaded once per process (it takes a few seconds, so
    not at import: a server process starts loading it with :func:`warm_up`, others at
    their first post); None when the library is missing: rules alone then."""
    try:
        from profanity_check import predict_prob
    except ImportError:  # pragma: no cover - it is a dependency; say so if it went missing
        log.warning("alt-profanity-check is not installed: screening uses staff rules alone")
        return None

    def probabilities(texts: Sequence[str]) -> Sequence[float]:
        return [float(p) for p in predict_prob(list(texts))]

    return probabilities


def classifier() -> Classifier | None:
    with _classifier_lock:
        return _load_classifier()


def warm_up() -> threading.Thread:
    """Load the classifier in the background, now: a server process starting
    (``PLAZA_SCREENING_WARM_UP``), so that its first post does not wait seconds for it.
    A post that comes while it loads waits for this load, not a second one."""
    thread = threading.Thread(target=classifier, name="plaza-screening-warm-up", daemon=True)
    thread.start()
    return thread


# --- Screening ---------------------------------------------------------------------------


def screen_texts(
    texts: Sequence[str],
    rules: Sequence[CompiledRule],
    *,
    new_author: bool = False,
    judge: Classifier | None = None,
) -> Verdict:
    """The verdict on one post made of ``texts`` (a title and a body, say)."""
    verdict = SHOW
    whole = "\n".join(t for t in texts if t)
    for rule in rules:
        if not rule.expression.search(whole):
            continue
        outcome = Outcome(rule.action.value)
        if SEVERITY[outcome] > SEVERITY[verdict.outcome]:
            message = f"{REFUSAL} ({rule.note})" if rule.note else REFUSAL
            verdict = Verdict(
                outcome, f"Rule {rule.shown}"[:200], message if outcome == Outcome.REFUSE else None
            )
    if verdict.outcome == Outcome.REFUSE:
        return verdict
    if judge is not None and whole.strip() and verdict.outcome == Outcome.SHOW:
        score = max(judge(pieces(whole)))
        if score >= OFFENSIVE_AT:
            verdict = Verdict(Outcome.FLAG, f"Offensive language (classifier {score:.2f})")
    if verdict.outcome == Outcome.FLAG and new_author:
        return Verdict(Outcome.HOLD, f"{verdict.reason}; a new account's post")
    return verdict


def pieces(text: str) -> list[str]:
    """The text and each of its sentences: the classifier judges each, since one rude
    sentence in a long friendly text scores low as part of the whole."""
    sentences = [p.strip() for p in _SENTENCE_END.split(text) if p.strip()]
    return [text, *sentences[:MAX_SENTENCES]] if len(sentences) > 1 else [text]


def screen(db: Session, texts: Sequence[str], *, author_id: int | None) -> Verdict:
    """Screen a post about to be stored, with the staff's rules and the classifier."""
    new_author = author_id is not None and earlier_posts(db, author_id) < NEW_ACCOUNT_POSTS
    return screen_texts(texts, current_rules(db), new_author=new_author, judge=classifier())


def earlier_posts(db: Session, user_id: int) -> int:
    """How many of the author's posts are visible, up to :data:`NEW_ACCOUNT_POSTS`."""
    found = 0
    for model in ITEM_TYPES:
        found += len(
            db.exec(
                select(model.id)
                .where(model.user_id == user_id, model.status == Visibility.VISIBLE)
                .limit(NEW_ACCOUNT_POSTS)
            ).all()
        )
        if found >= NEW_ACCOUNT_POSTS:
            break
    return found


def apply(item: Item, verdict: Verdict) -> None:
    """Store the verdict on the item about to be stored."""
    item.status = verdict.status
    item.flagged_reason = verdict.reason


# --- For staff -----------------------------------------------------------------------------


def waiting_for_review(model: Any) -> Any:
    """The condition for rows of ``model`` that wait for staff: held ones, and flagged
    ones staff have not looked at yet (:func:`is_waiting` says it of one item).

    Written as the partial index ``ix_<table>_waiting`` is (:data:`app.models.community.
    WAITING`), with the statuses as literals rather than parameters, so that SQLite and
    PostgreSQL both see that the index holds every row it asks for."""
    return or_(
        col(model.status) == _literal(Visibility.HELD),
        (col(model.status) == _literal(Visibility.VISIBLE))
        & col(model.flagged_reason).is_not(None)
        & col(model.reviewed_at).is_(None),
    )


def _literal(status: Visibility) -> Any:
    return literal_column(f"'{status.value}'")  # a constant of ours, never a person's text


def is_waiting(item: Item) -> bool:
    """Whether ``item`` waits for staff (what :func:`waiting_for_review` selects)."""
    return item.status == Visibility.HELD or (
        item.status == Visibility.VISIBLE
        and item.flagged_reason is not None
        and item.reviewed_at is None
    )


def held_and_flagged(db: Session, limit: int | None = None) -> list[Item]:
    """The held items and the flagged ones staff have not looked at yet, oldest first;
    the oldest ``limit`` of them when given."""
    found: list[Item] = []
    for model in ITEM_TYPES:
        query: Any = (
            select(model)
            .where(waiting_for_review(model))
            .order_by(col(model.created_at), col(model.id))
            .limit(limit)
        )
        found.extend(db.exec(query).all())
    found.sort(key=lambda item: (item.created_at, type(item).__name__, item.id or 0))
    return found if limit is None else found[:limit]


def count_waiting(db: Session) -> int:
    """How many items wait for staff, without reading them."""
    return sum(
        int(db.exec(select(func.count()).select_from(model).where(waiting_for_review(model))).one())
        for model in ITEM_TYPES
    )


def set_visibility(
    db: Session, item: Item, visible: bool, reason: str, now: datetime | None = None
) -> bool:
    """Staff approve or restore (``visible``) or remove an item, with their reason; the
    caller commits. Votes stay as they were: a restored item has its votes back.

    One conditional UPDATE, applied only while the item is as it was read (its status,
    and whether staff reviewed it): of two staff deciding at once, the second changes
    nothing, and this returns False."""
    now = now or datetime.now(UTC)
    model = type(item)
    previous = item.status
    reviewed = col(model.reviewed_at)
    changed = rows_changed(
        db.exec(
            update(model)
            .where(
                col(model.id) == item.id,
                col(model.status) == previous,
                reviewed.is_(None) if item.reviewed_at is None else reviewed.is_not(None),
            )
            .values(
                status=Visibility.VISIBLE if visible else Visibility.REMOVED,
                reviewed_at=now,
                review_reason=reason.strip()[:500],
            )
        )
    )
    if not changed:
        return False
    db.refresh(item)
    if isinstance(item, Answer) and previous != item.status:
        updates.answer_changed(db, item, now, newly_shown=visible)
    return True
