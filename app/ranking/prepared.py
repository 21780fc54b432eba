"""A shopper's next first page, ranked ahead by the worker.

A visit's later pages were already cheap (:mod:`app.ranking.plans`), but its first page
still read the shopper's history, gathered candidates and ranked them while the shopper
waited: most of a first page's time. Nothing it needs is unknown a few minutes ahead,
so the worker ranks the first pages of each recent visitor's next visit
(:data:`~app.ranking.plans.PAGES_AHEAD` + 1 of them) into a row of ``prepared_feed``,
shared by every web process, and a visit's first page is then taken from that plan as
a scrolled page is: one primary-key read, what the shopper chose read afresh (follows,
mutes, hidden providers, dismissals, answers), the ranking's hard filters, and a check
that the cards are still there (``_page_from_plan`` in :mod:`app.ranking.candidates`).

A plan is a visit that began when it was ranked: the visit takes its moment as its
start (``as_of``), so its later pages hold the cards the plan could hold, and cards
published since wait for the next visit. It is used once, only while younger than
``PLAZA_PREPARED_FEED_MAX_AGE_MINUTES``, and only when ranked with the shopper's
current interests (a new follow brings cards no plan holds): otherwise the page is
ranked on the request, as without a plan (so too after following or unfollowing a
partner, whose lift the plan's scores lack). Each change of interests counts one on the
shopper's row, and a plan keeps the count its worker saw when it claimed the shopper,
before reading their profile: a change committed at any moment after that leaves the
plan unused, whatever the clocks of the web and worker machines say. The row also
records each first page (``visited_at``), which is how the worker knows who visits.

The plan is stored compactly: card ids with their scores and reasons, and the tastes it
was ranked with; the cards come back from the process's catalog snapshot, and a card
the snapshot does not hold any more is left out like a card the filters remove.

A plan is data derived about the shopper: the export lists its cards
(:func:`planned_cards`), deleting the account deletes the row, and the worker's
retention job (:func:`prune`) forgets plans too old to be used, and the rows of
shoppers who stopped visiting.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, null, or_, select, update
from sqlmodel import Session, SQLModel, col

from app import claims
from app.db import dialect_insert, rows_changed
from app.models import Event, PreparedFeed
from app.ranking.affinity import Affinities
from app.ranking.candidates import load_profiles, rank_shown
from app.ranking.catalog import Catalog, Snapshot, with_deliveries
from app.ranking.plans import PAGES_AHEAD, Plan, Planned
from app.ranking.rank import Reason
from app.ranking.rollup import delivered_today
from cards.taxonomy import Taxonomy

log = logging.getLogger(__name__)

FORMAT = 2  # of the stored plan: a plan of another format is not used
# Per provider id, (impressions today to everyone, to this shopper): see with_deliveries.
CapsUsed = Callable[[list[int]], dict[int, tuple[int, int]]]
CLAIM_LEASE = timedelta(minutes=5)  # a worker that died mid-batch leaves its shoppers this long


@dataclass(frozen=True)
class Prepared:
    """A plan read for a visit's first page, and the moment it was ranked at."""

    plan: Plan
    as_of: datetime


# The stored form of a plan.


def encode(plan: Plan) -> dict[str, Any]:
    """``plan`` as JSON: per card its id, score and reasons, and the tastes it was
    ranked with (the hard filters need them: a card worn out by fatigue stays out)."""
    affinities = plan.affinities
    return {
        "format": FORMAT,
        "complete": plan.complete,
        "cards": [
            [
                p.candidate.card_id,
                p.score,
                [[r.code, r.interest, r.provider_id, r.count, r.card_id] for r in p.reasons],
            ]
            for p in plan.cards
        ],
        "affinities": {
            "interests": dict(affinities.interests),
            "kinds": dict(affinities.kinds),
            "providers": {str(k): v for k, v in affinities.providers.items()},
            "saved": {slug: list(cards) for slug, cards in affinities.saved.items()},
            "engaged": dict(affinities.engaged),
            "provider_engagements": {str(k): n for k, n in affinities.provider_engagements.items()},
            # Fatigue starts at the second impression: cards shown once are not kept.
            "ignored": {str(k): n for k, n in affinities.ignored.items() if n > 1},
            "seen_providers": sorted(affinities.seen_providers),
            "usual_open_rate": affinities.usual_open_rate,
        },
    }


def decode(data: dict[str, Any], snapshot: Snapshot, used: CapsUsed) -> Plan | None:
    """The plan stored as ``data``, its cards taken from ``snapshot`` with ``used``, their
    caps' use today (:func:`~app.ranking.catalog.with_deliveries`: read afresh, as a page
    ranked now would); None for a plan of another format."""
    if data.get("format") != FORMAT:
        return None
    raw = data["affinities"]
    affinities = Affinities(
        interests=raw["interests"],
        kinds=raw["kinds"],
        providers={int(k): v for k, v in raw["providers"].items()},
        saved={slug: tuple(cards) for slug, cards in raw["saved"].items()},
        engaged=raw["engaged"],
        provider_engagements={int(k): n for k, n in raw["provider_engagements"].items()},
        ignored={int(k): n for k, n in raw["ignored"].items()},
        seen_providers=frozenset(raw["seen_providers"]),
        usual_open_rate=raw["usual_open_rate"],
    )
    # A card the snapshot does not hold any more (ended, or pushed out) is as if filtered.
    kept = [card for card in data["cards"] if card[0] in snapshot.listings]
    candidates = with_deliveries([snapshot.listings[card[0]] for card in kept], used)
    cards = tuple(
        Planned(candidate, score, tuple(Reason(*reason) for reason in reasons))
        for candidate, (_, score, reasons) in zip(candidates, kept, strict=True)
    )
    return Plan(cards, complete=bool(data["complete"]), affinities=affinities)


# The request path.


def visit_row(db: Session, user_id: int) -> PreparedFeed | None:
    """``user_id``'s row of visits and prepared plans, read once for a first page: both
    :func:`last_visit` and :func:`prepared_plan` take it (the session's identity map
    holds rows weakly, so a second ``get`` would read it again)."""
    return db.get(PreparedFeed, user_id)


def prepared_plan(
    db: Session, row: PreparedFeed | None, catalog: Catalog, *, now: datetime, max_age: timedelta
) -> Prepared | None:
    """The prepared plan in ``row`` (:func:`visit_row`), if a visit starting at ``now``
    may use it: ranked within ``max_age``, with the shopper's current interests, and not
    used yet."""
    if (
        row is None
        or row.plan is None
        or row.prepared_at is None
        or row.consumed_at is not None
        or not now - max_age < row.prepared_at <= now
        or row.prepared_changes != row.changes
    ):
        return None
    snapshot = catalog.current(db, now)
    user_id = row.user_id
    plan = decode(row.plan, snapshot, lambda ids: delivered_today(db, ids, user_id, now))
    return None if plan is None else Prepared(plan, row.prepared_at)


def last_visit(db: Session, user_id: int, row: PreparedFeed | None) -> datetime | None:
    """When ``user_id`` last opened their feed, before the visit under way: their
    ``row``'s ``visited_at`` (:func:`visit_row`) or, once the row was pruned for a long
    absence, their newest event."""
    if row is not None and row.visited_at is not None:
        return row.visited_at
    newest = select(func.max(col(Event.created_at))).where(col(Event.user_id) == user_id)
    return db.scalar(newest)


def record_visit(db: Session, user_id: int, prepared: Prepared | None, now: datetime) -> bool:
    """Note a first page of ``user_id``'s feed at ``now`` (who visits is who the worker
    prepares for), and that it used ``prepared``: False when another visit used it
    first, and this one must rank its own. Part of the page's transaction."""
    if prepared is None:
        _upsert(db, user_id, {"visited_at": now}, {"visited_at": now})
        return True
    used = db.execute(
        update(PreparedFeed)
        .where(
            col(PreparedFeed.user_id) == user_id,
            col(PreparedFeed.prepared_at) == prepared.as_of,
            col(PreparedFeed.consumed_at).is_(None),
        )
        .values(consumed_at=now, visited_at=now)
    )
    return rows_changed(used) == 1


def interests_changed(db: Session, user_id: int) -> None:
    """``user_id`` follows, mutes or clears an interest, follows or unfollows a partner, or
    changes their feed settings (in this transaction): a plan ranked before is not used
    (its candidates were gathered for the interests they had, and scored for the partners
    they followed and the kinds they asked for)."""
    _upsert(db, user_id, {"changes": 1}, {"changes": PreparedFeed.changes + 1})


def _upsert(db: Session, user_id: int, new: dict[str, Any], update: dict[str, Any]) -> None:
    """``user_id``'s row with ``new`` if they have none yet, else ``update`` on it."""
    insert = dialect_insert(db)(PreparedFeed).values(user_id=user_id, **new)
    db.execute(insert.on_conflict_do_update(index_elements=["user_id"], set_=update))


# The worker.


def claim_due(
    db: Session,
    now: datetime,
    *,
    active: timedelta,
    renew_after: timedelta,
    limit: int,
) -> dict[int, int]:
    """Shoppers who visited within ``active`` and whose plan is missing, used, older
    than ``renew_after`` or ranked before a change of their interests, most recent
    visitors first: now leased to this worker (the claim is committed), each with their
    count of interest changes.

    The claim is a compare-and-set, so a shopper another worker claimed meanwhile is
    not ours (:func:`app.claims.claim_due`: on PostgreSQL the due rows are locked with
    ``SKIP LOCKED`` first, so workers do not wait on each other)."""
    due = (
        col(PreparedFeed.visited_at) > now - active,
        or_(col(PreparedFeed.claimed_until).is_(None), col(PreparedFeed.claimed_until) <= now),
        or_(
            col(PreparedFeed.prepared_at).is_(None),
            col(PreparedFeed.consumed_at).is_not(None),
            col(PreparedFeed.prepared_at) <= now - renew_after,
            col(PreparedFeed.prepared_changes).is_(None),
            col(PreparedFeed.prepared_changes) != col(PreparedFeed.changes),
        ),
    )
    claimed = claims.claim_due(
        db,
        PreparedFeed,
        due,
        order_by=col(PreparedFeed.visited_at).desc(),
        limit=limit,
        lease={"claimed_until": now + CLAIM_LEASE},
        returning=[col(PreparedFeed.changes)],
    )
    return {user_id: count for user_id, count in claimed}


def prepare(
    db: Session,
    claimed: Mapping[int, int],
    taxonomy: Taxonomy,
    catalog: Catalog,
    *,
    now: datetime,
    page_size: int,
    candidate_limit: int,
) -> list[int]:
    """Rank the next first pages of the ``claimed`` shoppers (a few hundred at most, each
    with their count of interest changes when claimed) at ``now`` and store them,
    unused, releasing their claims; returns whose were stored.

    Their profiles are read together (:func:`~app.ranking.candidates.load_profiles`:
    eight queries however many shoppers), each ranking is a feed page's
    (:func:`~app.ranking.candidates.rank_shown`), and the plans are written in one
    statement at the end, so the write lock is held for a moment only."""
    profiles = load_profiles(db, claimed, taxonomy=taxonomy, now=now)
    snapshot = catalog.current(db, now)
    limit = page_size * (PAGES_AHEAD + 1) + 1
    rows: list[dict[str, Any]] = []
    for user_id, profile in profiles.items():
        ranked, page, _, _ = rank_shown(
            db,
            user_id,
            profile,
            snapshot,
            taxonomy,
            as_of=now,
            now=now,
            served=set(),
            limit=limit,
            page_size=page_size,
            candidate_limit=candidate_limit,
        )
        plan = Plan.of(
            [*page, *ranked[page_size:]], profile.affinities, complete=len(ranked) < limit
        )
        rows.append({"who": user_id, "plan": encode(plan), "seen": claimed[user_id]})
    if rows:
        table = SQLModel.metadata.tables[PreparedFeed.__tablename__]
        db.execute(
            update(table)
            .where(table.c.user_id == bindparam("who"))
            .values(
                plan=bindparam("plan"),
                prepared_changes=bindparam("seen"),
                prepared_at=now,
                consumed_at=None,
                claimed_until=None,
            ),
            rows,
        )
    db.commit()
    return [row["who"] for row in rows]


def prune(db: Session, now: datetime, *, active: timedelta, max_age: timedelta) -> int:
    """Forget what no visit can use any more (the worker's retention job; commits):
    the rows of shoppers who have not opened their feed within ``active`` (the worker
    prepares nothing for them; a visit makes a new row), and the plans older than
    ``max_age``, which no visit uses (the worker ranks a recent visitor's again). Returns
    how many rows and plans went."""
    gone = rows_changed(
        db.execute(
            delete(PreparedFeed)
            .where(
                or_(
                    col(PreparedFeed.visited_at).is_(None),
                    col(PreparedFeed.visited_at) <= now - active,
                )
            )
            .execution_options(synchronize_session=False)
        )
    )
    gone += rows_changed(
        db.execute(
            update(PreparedFeed)
            .where(col(PreparedFeed.prepared_at) <= now - max_age)
            # null(): SQL's NULL, where None would store JSON's null
            .values(plan=null(), prepared_at=None, consumed_at=None, prepared_changes=None)
            .execution_options(synchronize_session=False)
        )
    )
    db.commit()
    return gone


def planned_cards(plan: Mapping[str, Any] | None) -> list[int]:
    """The ids of the cards a stored plan holds, in the order it ranked them."""
    return [card[0] for card in (plan or {}).get("cards", [])]


def prepare_due(
    db: Session,
    taxonomy: Taxonomy,
    catalog: Catalog,
    *,
    now: datetime,
    active: timedelta,
    max_age: timedelta,
    every: timedelta,
    batch: int,
    page_size: int,
    candidate_limit: int,
) -> list[int]:
    """One run of the worker's job: claim up to ``batch`` shoppers whose next first page
    is due and prepare it; returns whose it prepared. A plan is renewed two runs before
    it would be too old to use, so a recent visitor's next visit finds one."""
    renew_after = max(max_age - 2 * every, max_age / 2)
    claimed = claim_due(db, now, active=active, renew_after=renew_after, limit=batch)
    if not claimed:
        return []
    return prepare(
        db,
        claimed,
        taxonomy,
        catalog,
        now=now,
        page_size=page_size,
        candidate_limit=candidate_limit,
    )
