"""The catalog as ranking sees it, prepared ahead and kept in memory by each process.

A feed page used to ask the database for the newest cards about the consumer's
interests: a query whose cost grew with the catalog (every card about an interest
was read and sorted before the newest were kept) and ORM rows built for a thousand
cards a page. Feed systems that stay fast at scale prepare candidates ahead
(Mastodon's home timelines, Gorse's caches); Plaza keeps, per process, a
:class:`Snapshot`: for every interest the newest ``depth`` live cards about it,
already built as :class:`~app.ranking.candidate.Candidate` objects with their
popularity, and every running scheduled card (promotions, surveys). A page then
merges the lists of the consumer's interests in memory, whatever the catalog's size.

The snapshot follows the database without being told: each page reads two marks
in one indexed query (the newest ``card.updated_at`` and the popularity rollup's
progress) and, when they moved, the cards changed since are read and applied (an
insert, an update, an expiry: ingest stamps ``updated_at`` on each). What cannot
be seen that way (a card deleted by housekeeping, a provider suspended or
removed) is caught when the page's cards are read to be shown, and the snapshot
is rebuilt from scratch in the background every :data:`REBUILD_EVERY`, which also
takes in a change committed after a newer one with an older ``updated_at`` (two
refreshes overlapping). What the
consumer did (dismiss, mute, hide, save) is not in the snapshot at all: it is
read for each page, so it applies at once.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, Engine, case, func, null, or_
from sqlalchemy import select as sqlalchemy_select
from sqlmodel import Session, col, select

from app.models import Card, CardInterest, RollupProgress
from app.ranking.candidate import (
    INTEREST_SETS,
    Candidate,
    Delivery,
    offer_fields,
)
from app.ranking.popularity import Tally, popularity_lifts
from app.ranking.rollup import PROGRESS, provider_counts, recent_counts
from cards.registry import UnknownKind, all_kinds, get_kind
from cards.spec import DeliveryCaps

log = logging.getLogger(__name__)

DEPTH = 400  # newest live cards kept per interest: 20 pages of a consumer following one
REBUILD_EVERY = timedelta(minutes=10)
RETRY_REBUILD = 60.0  # seconds after a rebuild failed (the database away, say)
# More changed cards than this (a first refresh of a huge feed) are taken in by a
# rebuild in the background, while pages use the snapshot they have.
MAX_APPLIED = 20_000
CHUNK = 5_000  # ids per IN list: under every database's limit on bound parameters

Marks = tuple[datetime | None, int]
# -(published second << 32 | card id): ascending is newest first (then the higher id),
# one int64 per entry.
SortKey = int
ID_BITS = 32
Shelf = tuple[bool, str]  # (scheduled, interest)
Keys = npt.NDArray[np.int64]  # a shelf's sort keys, ascending (newest first), distinct


@dataclass(frozen=True, slots=True)
class Listing:
    """A card in the snapshot: its candidate and what a page filters it by."""

    candidate: Candidate
    first_seen_ts: float  # a feed session shows the cards it could have seen when it began
    caps: DeliveryCaps | None  # a scheduled card's, from its payload

    @property
    def key(self) -> SortKey:
        return -((int(self.candidate.published_ts) << ID_BITS) | self.candidate.card_id)

    def shelf(self, slug: str) -> Shelf:
        return (self.candidate.rules.scheduled, slug)


@dataclass(frozen=True)
class Snapshot:
    """Candidates of the whole catalog at ``marks``. Never changed once published:
    applying changes makes a new snapshot, so pages read one without locks."""

    marks: Marks
    listings: dict[int, Listing] = field(default_factory=dict)
    # Per interest, newest first: (False, slug) its organic cards, (True, slug) its
    # scheduled ones (running promotions and surveys, read apart: a newest-first window
    # would drop those that started a while ago).
    by_slug: dict[Shelf, Keys] = field(default_factory=dict)
    # Each provider's popularity counts over all its cards: the baseline of every card's.
    providers: dict[int, Tally] = field(default_factory=dict)
    built_at: float = field(default_factory=time.monotonic)

    def candidates(
        self,
        slugs: Set[str],
        *,
        as_of: datetime,
        skip: Collection[int],
        limit: int,
        max_flights: int,
    ) -> list[Listing]:
        """The newest ``limit`` organic cards about ``slugs`` visible at ``as_of``, and
        up to ``max_flights`` scheduled ones about them (the newest), minus ``skip``."""
        as_of_ts = as_of.timestamp()
        return [
            *self._newest(slugs, False, as_of_ts, skip, limit),
            *self._newest(slugs, True, as_of_ts, skip, max_flights),
        ]

    def _newest(
        self, slugs: Set[str], scheduled: bool, as_of_ts: float, skip: Collection[int], limit: int
    ) -> Iterator[Listing]:
        shelves = self.by_slug
        lists = [shelves[shelf] for slug in slugs if (shelf := (scheduled, slug)) in shelves]
        if not lists:
            return
        # The interests' keys in one sorted run without repeats: a numpy sort of a few
        # thousand keys costs less than merging the lists in Python.
        merged = np.unique(np.concatenate(lists)) if len(lists) > 1 else lists[0]
        mask = (1 << ID_BITS) - 1
        for key in merged.tolist():
            card_id = -key & mask
            listing = self.listings[card_id]
            # Visible at the session's start: seen by then, not ended (inline: this
            # loop runs a thousand times a page).
            if card_id not in skip and (
                listing.first_seen_ts <= as_of_ts < listing.candidate.shown_until_ts
            ):
                yield listing
                limit -= 1
                if limit <= 0:
                    return


class Catalog:
    """One process's snapshot of the catalog, kept current (see the module's docstring),
    over the interests ``slugs`` (the taxonomy's)."""

    def __init__(
        self,
        slugs: Iterable[str],
        *,
        depth: int = DEPTH,
        rebuild_every: timedelta = REBUILD_EVERY,
    ) -> None:
        self.slugs = sorted(set(slugs))
        self.depth = depth
        self.rebuild_every = rebuild_every.total_seconds()
        self._snapshot: Snapshot | None = None
        self._lock = threading.Lock()  # one refresh at a time
        self._rebuilding = False  # under _rebuild_lock: a refresh may start a rebuild
        self._rebuild_lock = threading.Lock()
        self._rebuild: threading.Thread | None = None
        self._next_rebuild = 0.0  # monotonic time before which no rebuild starts (after a failure)

    def current(self, db: Session, now: datetime) -> Snapshot:
        """The snapshot, brought up to date with the database if it moved."""
        marks = read_marks(db)
        snapshot = self._snapshot
        if snapshot is None:
            with self._lock:
                if self._snapshot is None:
                    self._snapshot = self._build(db, marks, now)
                return self._snapshot
        if time.monotonic() - snapshot.built_at > self.rebuild_every:
            self._rebuild_in_background(db.get_bind(), now)
        if snapshot.marks == marks or not self._lock.acquire(blocking=False):
            return snapshot  # up to date, or another page is bringing it up to date
        try:
            fresh = self._snapshot or snapshot
            if fresh.marks != marks:
                self._snapshot = fresh = self._apply(db, fresh, marks, now)
            return fresh
        finally:
            self._lock.release()

    def warm_up(self, engine: Engine) -> None:
        """Build the first snapshot in the background, now."""

        def build() -> None:
            try:
                with Session(engine) as db:
                    self.current(db, datetime.now(UTC))
            except Exception:  # the first feed page tries again
                log.exception("Building the catalog snapshot failed")

        self._rebuild = threading.Thread(target=build, name="plaza-catalog-warm-up", daemon=True)
        self._rebuild.start()

    # Building and applying changes.

    def _build(self, db: Session, marks: Marks, now: datetime) -> Snapshot:
        started = time.monotonic()
        flight_kinds = scheduled_kinds()
        ids: set[int] = set()
        for slug in self.slugs:
            ids.update(db.scalars(_newest_about(slug, flight_kinds, now, self.depth)))
        if flight_kinds:
            running = select(col(Card.id)).where(col(Card.kind).in_(flight_kinds), *_live(now))
            ids.update(db.scalars(running))
        snapshot = Snapshot(marks)
        snapshot.providers.update(provider_counts(db))
        ordered = sorted(ids)
        for start in range(0, len(ordered), CHUNK):  # a chunk at a time: a lower peak
            chunk = ordered[start : start + CHUNK]
            _add(db, snapshot, _read_cards(db, col(Card.id).in_(chunk)), self.depth)
        log.info(
            "Catalog snapshot built: %d cards in %.2f s",
            len(snapshot.listings),
            time.monotonic() - started,
        )
        return snapshot

    def _apply(self, db: Session, snapshot: Snapshot, marks: Marks, now: datetime) -> Snapshot:
        """A new snapshot: ``snapshot`` with the cards changed since its marks, and the
        popularity rollup's latest counts when it moved."""
        card_mark, rollup_mark = snapshot.marks
        changed: list[dict[str, Any]] = []
        if card_mark != marks[0]:
            since = col(Card.updated_at) >= card_mark if card_mark else col(Card.id).is_not(None)
            count = db.exec(select(func.count()).select_from(Card).where(since)).one()
            if count > MAX_APPLIED:
                self._rebuild_in_background(db.get_bind(), now)
                return snapshot
            changed = _read_cards(db, since)
        fresh = Snapshot(
            marks,
            dict(snapshot.listings),
            dict(snapshot.by_slug),
            dict(snapshot.providers),
            snapshot.built_at,
        )
        _drop(fresh, [row["id"] for row in changed])
        live = [row for row in changed if _is_live(row, now)]
        _add(db, fresh, live, self.depth, lifts=rollup_mark == marks[1])
        if rollup_mark != marks[1]:
            _refresh_popularity(db, fresh)
        return fresh

    def _rebuild_in_background(self, engine: Engine | Connection, now: datetime) -> None:
        with self._rebuild_lock:
            if self._rebuilding or time.monotonic() < self._next_rebuild:
                return
            self._rebuilding = True

        def rebuild() -> None:
            try:
                with Session(engine) as db:
                    snapshot = self._build(db, read_marks(db), now)
                with self._lock:
                    self._snapshot = snapshot
            except Exception:  # the old snapshot keeps serving meanwhile
                log.exception("Rebuilding the catalog snapshot failed; trying again in a minute")
                self._next_rebuild = time.monotonic() + RETRY_REBUILD
            finally:
                self._rebuilding = False

        self._rebuild = threading.Thread(target=rebuild, name="plaza-catalog", daemon=True)
        self._rebuild.start()

    def wait_for_rebuild(self, timeout: float | None = None) -> None:
        """Return when the rebuild or warm-up under way (if any) has ended."""
        if self._rebuild is not None:
            self._rebuild.join(timeout)


def read_marks(db: Session) -> Marks:
    """The newest card change and the popularity rollup's progress, in one query."""
    newest = select(func.max(col(Card.updated_at))).scalar_subquery()
    progress = (
        select(col(RollupProgress.last_event_id))
        .where(col(RollupProgress.name) == PROGRESS)
        .scalar_subquery()
    )
    card_mark, rollup_mark = db.execute(select(newest, progress)).one()
    db.commit()  # no read transaction left open: SQLite could not write after it
    return card_mark, int(rollup_mark or 0)


def scheduled_kinds() -> list[str]:
    """The registered kinds whose cards run between dates (see ``CardKind.scheduled``)."""
    return [name for name, kind in all_kinds().items() if kind.scheduled]


def with_deliveries(
    listings: Sequence[Listing], used: Callable[[list[int]], dict[int, tuple[int, int]]]
) -> list[Candidate]:
    """The listings' candidates, capped ones with how much of their caps today has used:
    ``used`` gives, per provider id, (impressions today to everyone, to this consumer)."""
    capped = [listing for listing in listings if listing.caps is not None]
    counts = used(sorted({listing.candidate.provider_id for listing in capped})) if capped else {}
    out = []
    for listing in listings:
        caps = listing.caps
        if caps is None:
            out.append(listing.candidate)
            continue
        delivered, seen = counts.get(listing.candidate.provider_id, (0, 0))
        out.append(
            listing.candidate.with_delivery(
                Delivery(
                    daily_cap=caps.daily_impression_cap,
                    consumer_cap=caps.per_consumer_cap,
                    delivered_today=delivered,
                    seen_today=seen,
                )
            )
        )
    return out


def column_candidate(
    row: Mapping[str, Any], interests: tuple[str, ...], *, popularity: float = 1.0
) -> Candidate:
    """A card as ranking sees it, from its :data:`CARD_COLUMNS` (the catalog's, and
    search's results)."""
    return Candidate(
        card_id=row["id"],
        provider_id=row["provider_id"],
        kind=sys.intern(row["kind"]),
        interests=interests,
        published_at=row["published_at"],
        badge=sys.intern(row["badge"]) if row["badge"] else None,
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        popularity=popularity,
        first_seen_ts=row["first_seen_at"].timestamp(),
        **offer_fields(row, row["updated_at"]),
    )


CARD_COLUMNS: tuple[Any, ...] = (
    col(Card.id),
    col(Card.provider_id),
    col(Card.kind),
    col(Card.published_at),
    col(Card.badge),
    col(Card.starts_at),
    col(Card.ends_at),
    col(Card.first_seen_at),
    col(Card.removed_at),
    # What a shopper's "only deals" and "only in stock" read (offer_flags, and
    # price_dropped_at for a price drop): five fields of the payload, not all of it.
    col(Card.payload)["price"].as_string().label("price"),
    col(Card.payload)["sale_price"].as_string().label("sale_price"),
    col(Card.payload)["availability"].as_string().label("availability"),
    col(Card.payload)["previous_price"].as_string().label("previous_price"),
    col(Card.payload)["price_dropped_at"].as_string().label("price_dropped_at"),
    col(Card.updated_at),
)


def _live(now: datetime) -> tuple[Any, ...]:
    return (
        col(Card.removed_at).is_(None),
        or_(col(Card.ends_at).is_(None), col(Card.ends_at) > now),
    )


def _newest_about(slug: str, flight_kinds: list[str], now: datetime, depth: int) -> Any:
    """The newest live organic cards about ``slug``: the first entries of
    ix_card_interest_newest that pass, however many cards the interest has."""
    return (
        select(col(CardInterest.card_id))
        .join(Card, col(Card.id) == col(CardInterest.card_id))
        .where(col(CardInterest.slug) == slug, col(Card.kind).not_in(flight_kinds), *_live(now))
        .order_by(col(CardInterest.published_at).desc(), col(CardInterest.card_id).desc())
        .limit(depth)
    )


def _read_cards(db: Session, condition: Any) -> list[dict[str, Any]]:
    """Ranking's columns of the cards ``condition`` selects, with their interests."""
    # Payloads only say something here for scheduled cards (their caps): not read for others.
    caps = case((col(Card.kind).in_(scheduled_kinds()), col(Card.payload)), else_=null())
    query = sqlalchemy_select(*CARD_COLUMNS, caps.label("payload")).where(condition)
    rows = [dict(row._mapping) for row in db.execute(query)]
    interests = interests_of(db, [row["id"] for row in rows])
    for row in rows:
        row["interests"] = tuple(interests.get(row["id"], ()))
    return rows


def interests_of(db: Session, card_ids: list[int]) -> dict[int, list[str]]:
    """Each card's interests, in slug order, in a query per few thousand cards."""
    out: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(card_ids), CHUNK):
        rows = db.exec(
            select(CardInterest.card_id, CardInterest.slug)
            .where(col(CardInterest.card_id).in_(card_ids[start : start + CHUNK]))
            .order_by(col(CardInterest.card_id), col(CardInterest.slug))
        )
        for card_id, slug in rows:
            out[card_id].append(slug)
    return out


def _is_live(row: dict[str, Any], now: datetime) -> bool:
    return row["removed_at"] is None and (row["ends_at"] is None or row["ends_at"] > now)


# The distinct caps the process's scheduled cards carry, one object each: the cards of a
# provider all carry its caps, and a model per card was a seventh of a snapshot of
# promotions and surveys. Read only, never changed, so one object serves every card.
_SHARED_CAPS: dict[tuple[int, int], DeliveryCaps] = {}


def _caps(kind: str, payload: dict[str, Any]) -> DeliveryCaps | None:
    try:
        caps = get_kind(kind).delivery_caps(payload)
    except UnknownKind:
        return None
    if caps is None:
        return None
    return _SHARED_CAPS.setdefault((caps.daily_impression_cap, caps.per_consumer_cap), caps)


def _add(
    db: Session,
    snapshot: Snapshot,
    rows: list[dict[str, Any]],
    depth: int,
    *,
    lifts: bool = True,
) -> None:
    """Put ``rows`` into ``snapshot`` (being built: not yet seen by any page), with
    their popularity unless ``lifts`` is false (the caller refreshes every card's)."""
    if not rows:
        return
    popularity: dict[int, float] = {}
    if lifts:
        counts, providers = recent_counts(db, [(row["id"], row["provider_id"]) for row in rows])
        snapshot.providers.update(providers)
        popularity = popularity_lifts(counts, snapshot.providers)
    added: dict[Shelf, list[SortKey]] = {}
    for row in rows:
        candidate = column_candidate(
            row, _shared(row["interests"]), popularity=popularity.get(row["id"], 1.0)
        )
        scheduled = candidate.rules.scheduled
        first_seen = candidate.first_seen_ts  # one float for both, at a million cards
        assert first_seen is not None  # a stored card's
        listing = Listing(
            candidate, first_seen, _caps(row["kind"], row["payload"]) if scheduled else None
        )
        snapshot.listings[row["id"]] = listing
        for slug in candidate.interests:
            added.setdefault(listing.shelf(slug), []).append(listing.key)
    for shelf, keys in added.items():
        before = snapshot.by_slug.get(shelf)
        together = np.array(keys, dtype=np.int64)
        if before is not None:
            together = np.concatenate([before, together])
        snapshot.by_slug[shelf] = np.unique(together)[:depth]


def _shared(interests: tuple[str, ...]) -> tuple[str, ...]:
    """The process's one tuple of these interests, of interned slugs: a million cards
    carry a few thousand distinct sets, and a tuple and its strings per card were a
    fifth of the snapshot's memory."""
    return INTEREST_SETS.values[INTEREST_SETS.id(tuple(map(sys.intern, interests)))]


def _drop(snapshot: Snapshot, card_ids: list[int]) -> None:
    """Take ``card_ids`` out of ``snapshot`` (being built: not yet seen by any page)."""
    removed: dict[Shelf, list[SortKey]] = {}
    for card_id in card_ids:
        listing = snapshot.listings.pop(card_id, None)
        if listing is not None:
            for slug in listing.candidate.interests:
                removed.setdefault(listing.shelf(slug), []).append(listing.key)
    for shelf, keys in removed.items():
        before = snapshot.by_slug[shelf]
        snapshot.by_slug[shelf] = before[~np.isin(before, keys)]


def _refresh_popularity(db: Session, snapshot: Snapshot) -> None:
    """New popularity for every card of ``snapshot`` (being built), rebuilding only the
    candidates whose multiplier changed."""
    owners = [
        (card_id, listing.candidate.provider_id) for card_id, listing in snapshot.listings.items()
    ]
    lifts = popularity_lifts(*recent_counts(db, owners))
    for card_id, listing in list(snapshot.listings.items()):
        lift = lifts.get(card_id, 1.0)
        if lift == listing.candidate.popularity:
            continue
        updated = replace(listing, candidate=replace(listing.candidate, popularity=lift))
        snapshot.listings[card_id] = updated
