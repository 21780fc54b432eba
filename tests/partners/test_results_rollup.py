"""Partners' results from the results rollup plus the events since its mark: the same
figures as counting every event, before, between and after the worker's runs, with any
number of workers, across the upgrade that created it, and after old days are forgotten."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from alembic import command
from sqlalchemy import func, insert
from sqlmodel import select

from app import event_rollup
from app.db import make_engine
from app.migrate import alembic_config, upgrade
from app.models import Card, CardResultsDay, Event, RollupProgress
from app.partners import stats
from app.partners.changes import delete_provider
from app.partners.rollup import roll_up_results
from tests.ranking.test_popularity_counts import race

# A Friday shortly before midnight (UTC): two of the days below end within minutes.
START = datetime(2026, 10, 2, 23, 40, tzinfo=UTC)
COUNTED = {"impression": "impressions", "open": "opens", "save": "saves", "dismiss": "dismisses"}
KINDS = ["impression", "impression", "impression", "open", "save", "dismiss", "not_interested"]


def add_events(db, user_id: int, card_ids: list[int], kinds: list[str], when: datetime) -> None:  # type: ignore[no-untyped-def]
    """One event of each kind on each card, written at ``when`` (as the feed writes them:
    at the moment they happen)."""
    provider_of = dict(db.exec(select(Card.id, Card.provider_id)).all())
    db.execute(
        insert(Event),
        [{"user_id": user_id, "card_id": card, "provider_id": provider_of[card], "kind": kind,
          "detail": {}, "created_at": when}
         for card in card_ids for kind in kinds],
    )  # fmt: skip
    db.commit()


def shown(db, provider_ids: list[int], period: stats.DateRange) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every figure the results pages, CSV and API show for these providers."""
    db.expire_all()
    cards = db.exec(select(Card.id).where(Card.provider_id.in_(provider_ids))).all()
    return {
        "daily": [(d.day, d.as_dict()) for d in stats.daily(db, provider_ids, period)],
        "providers": {p: c.as_dict()
                      for p, c in stats.per_provider(db, provider_ids, period).items()},
        "cards": {p: [(c.card_id, c.title, c.as_dict()) for c in stats.per_card(db, p, period)]
                  for p in provider_ids},
        "card_days": {card: [(d.day, d.as_dict())
                             for d in stats.daily(db, provider_ids, period, card)]
                      for card in cards},
    }  # fmt: skip


def counted_from_events(db, provider_ids: list[int], period: stats.DateRange) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The same figures, counted here from every event (what the results must equal)."""
    db.expire_all()
    rows = db.exec(
        select(Event.provider_id, Event.card_id, Event.kind, Event.created_at).where(
            Event.provider_id.in_(provider_ids), Event.kind.in_(list(COUNTED))
        )
    ).all()
    titles = dict(db.exec(select(Card.id, Card.title)).all())
    days, by_provider, by_card, card_days = Counter(), Counter(), Counter(), Counter()
    for provider, card, kind, at in rows:
        day = at.astimezone(UTC).date()
        if period.start <= day <= period.end:
            days[(day, COUNTED[kind])] += 1
            by_provider[(provider, COUNTED[kind])] += 1
            by_card[(provider, card, COUNTED[kind])] += 1
            card_days[(card, day, COUNTED[kind])] += 1

    def counts(found: Counter, *key: Any) -> dict[str, Any]:
        values = {metric: found[(*key, metric)] for metric in COUNTED.values()}
        rate = values["opens"] / values["impressions"] if values["impressions"] else None
        return {**values, "open_rate": None if rate is None else round(rate, 4)}

    cards = db.exec(select(Card.id, Card.provider_id).where(Card.provider_id.in_(provider_ids)))
    per_card = {p: [] for p in provider_ids}
    for provider, card in sorted({(p, c) for p, c, _ in by_card}):
        per_card[provider].append((card, titles.get(card, ""), counts(by_card, provider, card)))
    for listed in per_card.values():
        listed.sort(key=lambda c: (-c[2]["impressions"], -c[2]["opens"], c[0]))
    return {
        "daily": [(day, counts(days, day)) for day in period.days],
        "providers": {p: counts(by_provider, p) for p in provider_ids},
        "cards": per_card,
        "card_days": {card: [(day, counts(card_days, card, day)) for day in period.days]
                      for card, _ in cards},
    }  # fmt: skip


def results_mark(db) -> int:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(
        select(RollupProgress.last_event_id).where(RollupProgress.name == "results")
    ).one()


def test_results_are_exact_before_between_and_after_rollups(world, monkeypatch):
    """Whenever the worker runs (or has run halfway), every figure the results show, per
    day, provider and card, equals a count of the events, and never counts one twice."""
    shopper = world.consumer()
    other = world.consumer("other@example.com")
    with time_machine.travel(START, tick=True) as clock:
        north, south = world.provider("North"), world.provider("South")
        north_cards, south_cards = world.cards(north, 3), world.cards(south, 2)
        providers = [north.id, south.id]
        period = stats.DateRange(START.date() - timedelta(days=2), START.date() + timedelta(days=2))

        def exact() -> dict[str, Any]:
            figures = shown(world.db, providers, period)
            assert figures == counted_from_events(world.db, providers, period)
            return figures

        add_events(world.db, shopper, north_cards, KINDS, datetime.now(UTC))
        add_events(world.db, other, south_cards[:1], KINDS, datetime.now(UTC))
        before = exact()  # nothing rolled up: all from the events
        assert before["providers"][north.id]["impressions"] == 9
        assert before["providers"][north.id]["saves"] == 3

        assert roll_up_results(world.db, datetime.now(UTC)).counted == 4 * 6
        assert exact() == before  # all from the rollup

        clock.shift(timedelta(minutes=30))  # past midnight: a new UTC day
        add_events(world.db, other, north_cards + south_cards, KINDS, datetime.now(UTC))
        between = exact()  # the rollup's days plus the events since its mark
        assert [d["impressions"] for _, d in between["daily"]] == [0, 0, 12, 15, 0]

        # A run that stops at an event still being written elsewhere (its mark mid-way).
        newest = world.db.exec(select(func.max(Event.id))).one()
        monkeypatch.setattr(event_rollup, "_newest_settled_event", lambda db: newest - 9)
        roll_up_results(world.db, datetime.now(UTC), batch=4)
        assert results_mark(world.db) == newest - 9
        assert exact() == between
        monkeypatch.undo()

        roll_up_results(world.db, datetime.now(UTC))
        assert results_mark(world.db) == newest
        assert exact() == between
        assert roll_up_results(world.db, datetime.now(UTC)).counted == 0
        assert exact() == between


def test_several_workers_count_each_event_once_while_events_keep_coming(
    world, database_url, tmp_path
):
    shopper = world.consumer()
    north, south = world.provider("North"), world.provider("South")
    ids = world.cards(north, 10) + world.cards(south, 10)
    add_events(
        world.db, shopper, ids, ["impression", "open", "save", "dismiss"] * 2, datetime.now(UTC)
    )
    inserted, counted = race(
        world, database_url, tmp_path, "app.partners.rollup:roll_up_results", shopper
    )
    assert counted == 160 + inserted  # no batch counted twice, none lost
    assert roll_up_results(world.db, datetime.now(UTC)).counted == 0
    world.db.expire_all()
    summed = world.db.exec(
        select(func.sum(CardResultsDay.impressions) + func.sum(CardResultsDay.opens)
               + func.sum(CardResultsDay.saves) + func.sum(CardResultsDay.dismisses))
    ).one()  # fmt: skip
    assert summed == 160 + inserted
    today = datetime.now(UTC).date()
    period = stats.DateRange(today - timedelta(days=1), today)
    assert shown(world.db, [north.id, south.id], period) == counted_from_events(
        world.db, [north.id, south.id], period
    )


def test_days_older_than_the_results_keep_are_forgotten_once(world):
    shopper = world.consumer()
    provider = world.provider("North")
    card_ids = world.cards(provider, 2)
    with time_machine.travel(START, tick=True) as clock:
        add_events(world.db, shopper, card_ids, ["impression", "open"], datetime.now(UTC))
        roll_up_results(world.db, datetime.now(UTC), keep_days=5)
        clock.shift(timedelta(days=4))
        add_events(world.db, shopper, card_ids[:1], ["impression"], datetime.now(UTC))
        assert roll_up_results(world.db, datetime.now(UTC), keep_days=5).forgotten == 0
        clock.shift(timedelta(days=1))  # the first day is now six days ago
        report = roll_up_results(world.db, datetime.now(UTC), keep_days=5)
        assert (report.forgotten, report.kept_since) == (2, START.date() + timedelta(days=1))
        assert roll_up_results(world.db, datetime.now(UTC), keep_days=5).forgotten == 0
        period = stats.DateRange(START.date(), START.date() + timedelta(days=5))
        daily = {d.day: d.impressions for d in stats.daily(world.db, [provider.id], period)}
        assert daily[START.date()] == 0 and daily[START.date() + timedelta(days=4)] == 1


def test_the_upgrade_counts_the_events_already_there_and_changes_no_figure(world, database_url):
    """Migration 0014 fills the table from the events the popularity rollup had passed;
    the results read the rest from the events, so every figure stays what it was."""
    # Before the downgrade: onboarding and organisations write to later tables and columns.
    shopper = world.consumer()
    north, south = world.provider("North"), world.provider("South")
    north_cards, south_cards = world.cards(north, 3), world.cards(south, 2)
    world.db.commit()  # no transaction of the test's left open: the downgrade drops tables
    engine = make_engine(database_url)
    command.downgrade(alembic_config(engine), "0013")
    now = datetime.now(UTC)
    for days in (300, 40, 1, 0):
        add_events(world.db, shopper, north_cards + south_cards[: days % 2 + 1], KINDS,
                   now - timedelta(days=days, minutes=days))  # fmt: skip
    events = sorted(world.db.exec(select(Event.id)).all())
    mark = events[len(events) // 2]  # half were rolled up for popularity, half were not
    world.db.add(RollupProgress(name="popularity", last_event_id=mark))
    world.db.commit()
    providers = [north.id, south.id]
    today = now.date()
    periods = [stats.DateRange(today - timedelta(days=365), today),
               stats.DateRange(today - timedelta(days=2), today)]  # fmt: skip
    expected = [counted_from_events(world.db, providers, period) for period in periods]

    upgrade(engine)
    engine.dispose()
    assert results_mark(world.db) == mark
    backfilled = world.db.exec(select(func.sum(CardResultsDay.impressions))).one()
    assert backfilled == sum(
        1 for e in world.db.exec(select(Event).where(Event.id <= mark)) if e.kind == "impression"
    )
    assert [shown(world.db, providers, period) for period in periods] == expected
    roll_up_results(world.db, now)
    assert [shown(world.db, providers, period) for period in periods] == expected


def test_a_provider_deleted_takes_its_results_along(world):
    shopper = world.consumer()
    provider = world.provider("North")
    add_events(world.db, shopper, world.cards(provider, 2), ["impression"], datetime.now(UTC))
    roll_up_results(world.db, datetime.now(UTC))
    assert world.db.exec(select(func.count()).select_from(CardResultsDay)).one() == 2
    delete_provider(world.db, provider)
    world.db.commit()
    assert world.db.exec(select(func.count()).select_from(CardResultsDay)).one() == 0


def test_the_worker_and_operators_keep_the_results(app, world, runner):
    from app.worker import build_scheduler, roll_up_partner_results

    shopper = world.consumer()
    provider = world.provider("North")
    card_ids = world.cards(provider, 2)
    add_events(
        world.db, shopper, card_ids, ["impression", "open", "hide_provider"], datetime.now(UTC)
    )
    scheduler = build_scheduler(app)
    assert scheduler.get_job("roll_up_partner_results") is not None
    roll_up_partner_results()
    assert results_mark(world.db) == world.db.exec(select(func.max(Event.id))).one()
    assert world.db.exec(select(func.sum(CardResultsDay.opens))).one() == 2

    add_events(world.db, shopper, card_ids[:1], ["save"], datetime.now(UTC))
    first = runner.invoke(args=["results", "rollup"])
    assert first.exit_code == 0, first.output
    assert "Counted 1 events into the results" in first.output
    kept_since = datetime.now(UTC).date() - timedelta(days=app.config["RESULTS_RETENTION_DAYS"] - 1)
    assert f"Results keep the days since {kept_since}" in first.output
    assert "Counted 0 events" in runner.invoke(args=["results", "rollup"]).output
