"""The popularity rollup: day totals equal to the events, counted once by any number of
workers, kept when a run dies, forgotten after the window, and read by the feed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import delete, insert
from sqlmodel import select

from app.ingest.retention import MAX_AGE, prune_cards
from app.models import Card, Event, EventKind, User
from app.models.popularity import RollupProgress
from app.ranking.candidates import build_page
from app.ranking.popularity import VIEWER_PRIOR_RATE, popularity_lifts, viewer_rate
from app.ranking.rollup import SCOPES, WINDOW_DAYS, recent_counts, roll_up

ROOT = Path(__file__).resolve().parents[2]
# Every test here runs on a clock that starts at NOW, a Wednesday noon (UTC days matter).
NOW = datetime(2026, 3, 11, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock():  # type: ignore[no-untyped-def]
    with time_machine.travel(NOW, tick=True):
        yield


def on_this_clock(script: str, *args: str) -> list[str]:
    """A ``python -c`` command line that runs ``script`` on the test's clock."""
    return [sys.executable, "-m", "tests.travel", datetime.now(UTC).isoformat(), "-c", script,
            *args]  # fmt: skip


def add_events(
    db, user_id: int, card_ids, kinds, *, days_ago: float = 0.0, rate: float | None = None
) -> None:
    """One event of each kind in ``kinds`` on each card, ``days_ago`` before NOW; ``rate``
    is the viewer's usual open rate, as the feed writes it on impressions."""
    provider_of = dict(db.exec(select(Card.id, Card.provider_id)).all())
    db.execute(
        insert(Event),
        [
            {"user_id": user_id, "card_id": card_id, "provider_id": provider_of[card_id],
             "kind": kind, "detail": {}, "created_at": NOW - timedelta(days=days_ago),
             "viewer_rate": rate if kind == "impression" else None}
            for card_id in card_ids
            for kind in kinds
        ],
    )  # fmt: skip
    db.commit()


def from_events(db, since: date | None = None) -> tuple[Counter, Counter]:
    """(card, day, kind) and (provider, day, kind) counts straight from the event log."""
    cards, providers = Counter(), Counter()
    rows = db.exec(
        select(Event.card_id, Event.provider_id, Event.kind, Event.created_at).where(
            Event.kind.in_((EventKind.IMPRESSION, EventKind.OPEN))
        )
    )
    for card_id, provider_id, kind, at in rows:
        day = at.astimezone(UTC).date()
        if since is None or day >= since:
            cards[(card_id, day, kind)] += 1
            providers[(provider_id, day, kind)] += 1
    return cards, providers


def from_rollup(db) -> tuple[Counter, Counter]:
    """The same counts, as the rollup's days hold them (zeros left out), once every
    window sum has been checked against its days."""
    db.expire_all()
    found = []
    for key, sums, days in SCOPES:
        by_day, by_owner, summed, expected = Counter(), Counter(), Counter(), Counter()
        for row in db.exec(select(days)):
            for kind, count in (("impression", row.impressions), ("open", row.opens)):
                by_day[(getattr(row, key), row.day, kind)] += count
                by_owner[(getattr(row, key), kind)] += count
            expected[getattr(row, key)] += row.expected_opens
        for row in db.exec(select(sums)):
            summed[(getattr(row, key), "impression")] += row.impressions
            summed[(getattr(row, key), "open")] += row.opens
            assert row.expected_opens == pytest.approx(expected[getattr(row, key)])
        assert summed == +by_owner, f"{sums.__tablename__} differs from its days"
        found.append(+by_day)
    return found[0], found[1]


def window_events(db) -> tuple[Counter, Counter]:
    return from_events(db, since=NOW.date() - timedelta(days=WINDOW_DAYS - 1))


def watermark(db) -> int:
    db.expire_all()
    return db.exec(
        select(RollupProgress.last_event_id).where(RollupProgress.name == "popularity")
    ).one()


def test_day_totals_equal_the_events_and_each_event_counts_once(world):
    shopper = world.consumer()
    other = world.consumer("other@example.com")
    north = world.cards(world.provider("North"), 4)
    south = world.cards(world.provider("South"), 3)
    add_events(world.db, shopper, north, ["impression", "impression", "open", "save"])
    add_events(world.db, other, north[:2] + south, ["impression", "open"], days_ago=3)
    add_events(world.db, other, south, ["impression", "dismiss"], days_ago=10.5)

    first = roll_up(world.db, NOW, batch=5)  # several batches
    assert first.counted == 4 * 3 + 5 * 2 + 3
    assert from_rollup(world.db) == window_events(world.db)
    assert len({day for (_, day, _) in from_rollup(world.db)[0]}) == 3

    add_events(world.db, shopper, south, ["open"])
    second = roll_up(world.db, NOW)
    assert second.counted == 3  # only what is new
    assert from_rollup(world.db) == window_events(world.db)
    assert roll_up(world.db, NOW).counted == 0
    assert second.watermark == watermark(world.db) == max(world.db.exec(select(Event.id)).all())


def test_the_feed_reads_recent_counts_of_candidates_and_all_of_their_providers_cards(world):
    shopper = world.consumer()
    north = world.cards(world.provider("North"), 3)
    add_events(world.db, shopper, north, ["impression", "impression", "open"], rate=0.3)
    add_events(world.db, shopper, north[:1], ["impression"])  # written before rates were
    roll_up(world.db, NOW)
    card = world.db.get(Card, north[0])
    counts, providers = recent_counts(world.db, [(north[0], card.provider_id)])
    assert [(c.card_id, c.impressions, c.opens) for c in counts] == [(north[0], 3, 1)]
    # All three cards, each impression expecting the opens of its viewer's usual rate,
    # and an impression with no rate written those of an average viewer.
    expected = pytest.approx(6 * 0.3 + VIEWER_PRIOR_RATE)
    assert providers == {card.provider_id: (7, 3, expected)}


CROWD_INSERTER = """
import json, random, sys, time
from datetime import UTC, datetime
from sqlalchemy import insert
from sqlmodel import Session
from app.db import make_engine
from app.models import Event

engine = make_engine(sys.argv[1])
user_id, cards, done = json.loads(sys.argv[2])
print("ready", flush=True)
sys.stdin.readline()
with Session(engine) as db:
    for n in range(40):
        rows = [{"user_id": user_id, "card_id": card, "provider_id": provider,
                 "kind": ("impression", "open")[(n + i) % 2], "detail": {},
                 "created_at": datetime.now(UTC)} for i, (card, provider) in enumerate(cards)]
        db.execute(insert(Event), rows)
        time.sleep(random.random() / 10)  # still writing: the other's later ids may commit first
        db.commit()
open(done, "w").close()
print(json.dumps(40 * len(cards)))
"""

# A worker that runs a rollup (``module:function``, popularity's or results') until the
# inserters are done.
ROLLING_WORKER = """
import importlib, json, os, sys
from datetime import UTC, datetime
from sqlmodel import Session
from app.db import make_engine

module, function = sys.argv[1].split(":")
roll_up = getattr(importlib.import_module(module), function)
engine = make_engine(sys.argv[2])
done = sys.argv[3:]
counted = 0
print("ready", flush=True)
sys.stdin.readline()
with Session(engine) as db:
    while True:
        last = all(map(os.path.exists, done))  # one more run once the inserts are over
        counted += roll_up(db, datetime.now(UTC), batch=50).counted
        if last:
            break
print(json.dumps(counted))
"""


def start_together(scripts: list[tuple[str, list[str]]]) -> list[subprocess.Popen]:
    processes = [
        subprocess.Popen(
            on_this_clock(script, *args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for script, args in scripts
    ]
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.stderr.read()
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    return processes


def finished(process: subprocess.Popen) -> int:
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    return json.loads(out)


def race(world, database_url: str, tmp_path, rollup: str, shopper: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Two inserters writing events of every card and two workers running ``rollup``
    (``module:function``) at once; returns (events inserted, events the workers counted)."""
    cards = [[c.id, c.provider_id] for c in world.db.exec(select(Card))]
    done = [str(tmp_path / f"inserter-{n}-done") for n in range(2)]
    *inserters, first, second = start_together(
        [(CROWD_INSERTER, [database_url, json.dumps([shopper, cards, path])]) for path in done]
        + [(ROLLING_WORKER, [rollup, database_url, *done])] * 2
    )
    inserted = sum(finished(inserter) for inserter in inserters)
    counted = [finished(first), finished(second)]
    if database_url.startswith("postgresql"):
        # Both really raced. SQLite lets one writer in at a time, and one worker may
        # then win every round: only the exact total is guaranteed there.
        assert all(counted), f"both workers must have counted some batches: {counted}"
    return inserted, sum(counted)


def test_two_workers_count_every_event_exactly_once_while_events_keep_coming(
    world, database_url, tmp_path
):
    shopper = world.consumer()
    ids = world.cards(world.provider("North"), 10) + world.cards(world.provider("South"), 10)
    add_events(world.db, shopper, ids, ["impression", "open", "save"] * 3)  # 120 to count
    inserted, counted = race(world, database_url, tmp_path, "app.ranking.rollup:roll_up", shopper)
    assert counted == 120 + inserted  # no batch counted twice, none lost
    assert from_rollup(world.db) == window_events(world.db)
    assert roll_up(world.db, NOW).counted == 0


DYING_WORKER = """
import os, signal, sys
from datetime import UTC, datetime
from sqlmodel import Session
import app.ranking.rollup as counts
from app.db import make_engine

written = counts._add
batches = []

def write_then_die_in_the_second_batch(db, table, *args):
    written(db, table, *args)
    if table is counts.ProviderPopularity:  # the batch's last write: all done but the commit
        batches.append(1)
        if len(batches) == 2:
            os.kill(os.getpid(), signal.SIGKILL)

counts._add = write_then_die_in_the_second_batch
with Session(make_engine(sys.argv[1])) as db:
    counts.roll_up(db, datetime.now(UTC), batch=int(sys.argv[2]))
"""


def test_a_run_killed_midway_loses_nothing_and_counts_nothing_twice(world, database_url):
    shopper = world.consumer()
    ids = world.cards(world.provider("North"), 6)
    add_events(world.db, shopper, ids, ["impression", "impression", "open"] * 5)  # 90 events
    batch = 40
    dying = subprocess.run(
        on_this_clock(DYING_WORKER, database_url, str(batch)),
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert dying.returncode == -9, dying.stderr

    # The first batch is in; of the second, neither its counts nor its watermark.
    assert watermark(world.db) == batch
    in_first_batch = len(world.db.exec(select(Event.id).where(Event.id <= batch)).all())
    cards, providers = from_rollup(world.db)
    assert sum(cards.values()) == sum(providers.values()) == in_first_batch > 0

    assert roll_up(world.db, NOW).counted == 90 - in_first_batch
    assert from_rollup(world.db) == window_events(world.db)


def test_days_before_the_window_are_neither_counted_nor_kept(world):
    shopper = world.consumer()
    ids = world.cards(world.provider("North"), 2)
    add_events(world.db, shopper, ids, ["impression", "open"], days_ago=WINDOW_DAYS + 5)
    add_events(world.db, shopper, ids, ["impression"], days_ago=2)
    assert roll_up(world.db, NOW).counted == 2  # the old ones are skipped
    cards, _ = from_rollup(world.db)
    assert {day for _, day, _ in cards} == {(NOW - timedelta(days=2)).date()}

    later = NOW + timedelta(days=WINDOW_DAYS - 1)
    report = roll_up(world.db, later)
    assert report.forgotten == 2 + 1  # two cards' day, and their provider's
    assert roll_up(world.db, later).forgotten == 0  # forgotten once
    assert from_rollup(world.db) == (Counter(), Counter())
    card = world.db.get(Card, ids[0])
    counts, providers = recent_counts(world.db, [(card.id, card.provider_id)])
    assert (counts[0].impressions, counts[0].opens, providers) == (0, 0, {})


def test_events_after_the_newest_ones_were_deleted_still_count(world):
    shopper = world.consumer()
    kept = world.cards(world.provider("North"), 2)
    (gone,) = world.cards(world.provider("South"), 1)
    add_events(world.db, shopper, kept, ["impression"])
    add_events(world.db, shopper, [gone], ["impression", "open"])  # the newest events
    roll_up(world.db, NOW)
    world.db.execute(delete(Card).where(Card.id == gone))  # takes its events along
    world.db.commit()
    add_events(world.db, shopper, kept, ["open"])  # must not reuse the deleted ids
    assert roll_up(world.db, NOW).counted == 2
    cards, _ = from_rollup(world.db)
    assert cards == window_events(world.db)[0]


def test_pruned_cards_take_their_counts_and_a_deleted_consumer_leaves_anonymous_sums(world):
    shopper = world.consumer()
    other = world.consumer("other@example.com")
    provider = world.provider("North")
    fresh = world.cards(provider, 2)
    stale = world.cards(provider, 1, start=9, age_hours=MAX_AGE.total_seconds() / 3600 + 24)
    add_events(world.db, shopper, fresh + stale, ["impression", "open"])
    add_events(world.db, other, fresh, ["impression"])
    roll_up(world.db, NOW)
    _, providers_before = from_rollup(world.db)

    assert prune_cards(world.db, NOW) == 1
    cards, providers = from_rollup(world.db)
    assert {card for card, _, _ in cards} == set(fresh)
    assert providers == providers_before  # the provider's recent past, without a card or a person

    world.db.delete(world.db.get(User, shopper))
    world.db.commit()
    assert world.db.exec(select(Event).where(Event.user_id == shopper)).all() == []
    assert from_rollup(world.db) == (cards, providers)
    assert roll_up(world.db, NOW).counted == 0


def first_of(world, user_id: int, ids: list[int], session: str) -> tuple[int, dict[int, float]]:
    """Which of ``ids`` a fresh feed page puts first, and every card's popularity."""
    now = datetime.now(UTC)
    page = build_page(
        world.db, user_id, world.app.extensions["plaza.taxonomy"],
        world.app.extensions["plaza.catalog"], as_of=now, now=now,
        feed_session=session, page_size=10, candidate_limit=100,
    )  # fmt: skip
    order = [r.candidate.card_id for r in page.ranked if r.candidate.card_id in ids]
    return order[0], {r.candidate.card_id: r.signals["popularity"] for r in page.ranked}


def test_after_a_rollup_a_card_opened_often_ranks_above_an_equal_one_opened_rarely(world):
    shopper = world.consumer()
    crowd = world.consumer("crowd@example.com")
    ignored, liked = world.cards(world.provider("North"), 2)  # ``ignored`` is the newer
    add_events(world.db, crowd, [ignored, liked], ["impression"] * 200)
    add_events(world.db, crowd, [liked], ["open"] * 60)
    add_events(world.db, crowd, [ignored], ["open"] * 2)

    first, popularity = first_of(world, shopper, [ignored, liked], "before")
    assert first == ignored and popularity[ignored] == popularity[liked] == 1.0

    roll_up(world.db, NOW)
    first, popularity = first_of(world, shopper, [ignored, liked], "after")
    assert first == liked
    assert popularity[liked] > 1.0 > popularity[ignored]


def test_an_open_from_a_shopper_who_rarely_opens_counts_for_more(world):
    keen = world.consumer()
    choosy = world.consumer("choosy@example.com")
    north = world.provider("North")
    for_keen, for_choosy, *others = world.cards(north, 42)
    everything, rest = others[:20], others[20:]
    add_events(world.db, keen, everything, ["impression", "open"], rate=viewer_rate(0, 0))
    add_events(world.db, choosy, rest, ["impression"], rate=viewer_rate(0, 0))
    # Then the feed knows their habits, and writes them on the next impressions.
    add_events(world.db, keen, [for_keen], ["impression", "open"], rate=viewer_rate(20, 20))
    add_events(world.db, choosy, [for_choosy], ["impression", "open"], rate=viewer_rate(0, 20))
    roll_up(world.db, NOW)
    counts, providers = recent_counts(
        world.db, [(card.id, card.provider_id) for card in world.db.exec(select(Card))]
    )
    lift = popularity_lifts(counts, providers)
    assert lift[for_choosy] > lift[for_keen]


def test_operators_can_run_the_rollup_from_the_command_line(world, runner):
    shopper = world.consumer()
    ids = world.cards(world.provider("North"), 3)
    add_events(world.db, shopper, ids, ["impression", "open", "save"])
    first = runner.invoke(args=["popularity", "rollup"])
    assert first.exit_code == 0, first.output
    assert "Counted 6 impressions and opens" in first.output
    assert f"since {NOW.date() - timedelta(days=WINDOW_DAYS - 1)}" in first.output
    assert from_rollup(world.db) == window_events(world.db)
    again = runner.invoke(args=["popularity", "rollup"])
    assert "Counted 0 impressions and opens" in again.output


def test_the_worker_keeps_the_rollup_with_a_job_of_its_own(app, world):
    from app.worker import build_scheduler, roll_up_popularity

    shopper = world.consumer()
    add_events(world.db, shopper, world.cards(world.provider("North"), 2), ["impression"])
    scheduler = build_scheduler(app)
    assert scheduler.get_job("roll_up_popularity") is not None
    roll_up_popularity()
    assert from_rollup(world.db) == window_events(world.db) != (Counter(), Counter())


def test_the_feed_writes_the_shoppers_usual_open_rate_on_each_impression(world):
    """The rollup counts what an impression would usually bring from what the feed
    knew of the viewer then: three opens in six impressions here."""
    shopper = world.consumer()
    north = world.provider("North")
    seen = world.cards(north, 6)
    world.cards(north, 4, start=10)
    now = datetime.now(UTC)
    world.db.execute(
        insert(Event),
        [{"user_id": shopper, "card_id": card_id, "provider_id": north.id, "kind": kind,
          "detail": {}, "created_at": now - timedelta(hours=2)}
         for n, card_id in enumerate(seen)
         for kind in (("impression", "open") if n % 2 else ("impression",))],
    )  # fmt: skip
    world.db.commit()
    world.login()
    assert world.client.get("/").status_code == 200
    shown = world.db.exec(
        select(Event.viewer_rate).where(Event.kind == "impression", Event.feed_session.is_not(None))
    ).all()
    assert shown and shown == pytest.approx([viewer_rate(3, 6)] * len(shown))


def test_impressions_today_toward_caps_are_exact_before_between_and_after_rollups(world):
    """Delivery caps read today's rollup row plus the impressions written since its mark:
    each impression counts once whenever the rollup runs, yesterday's never count, and a
    consumer's own count is theirs alone."""
    from app.ranking.rollup import delivered_today

    shopper = world.consumer()
    other = world.consumer("other@example.com")
    promo = world.provider("Promo", kind="promotion")
    quiet = world.provider("Quiet", kind="promotion")
    (card,) = world.cards(promo, 1)
    add_events(world.db, other, [card], ["impression"] * 3, days_ago=1)  # yesterday
    add_events(world.db, other, [card], ["impression", "impression", "open"])
    add_events(world.db, shopper, [card], ["impression"])

    def used() -> dict[int, tuple[int, int]]:
        return delivered_today(world.db, [promo.id, quiet.id], shopper, datetime.now(UTC))

    expected = {promo.id: (3, 1), quiet.id: (0, 0)}
    assert used() == expected  # nothing rolled up yet: all from the events
    roll_up(world.db, datetime.now(UTC))
    assert used() == expected  # all from today's row
    add_events(world.db, shopper, [card], ["impression"])
    assert used() == {promo.id: (4, 2), quiet.id: (0, 0)}  # the row plus one since
    roll_up(world.db, datetime.now(UTC))
    assert used() == {promo.id: (4, 2), quiet.id: (0, 0)}
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert used() == {promo.id: (0, 0), quiet.id: (0, 0)}  # a new day, a new count
