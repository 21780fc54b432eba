"""A visit's first page prepared ahead by the worker: served without ranking, the same
page a ranking at the plan's moment gives, never once the shopper changed their
interests, never twice, never stale, and never with a card that is gone or that the
shopper turned away since."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import Session, select

from app import worker
from app.catalog_store import catalog
from app.models import Card, InterestState, PreparedFeed, Provider, ProviderStatus
from app.ranking.candidates import build_page
from app.ranking.prepared import (
    claim_due,
    prepare,
    prepare_due,
    prepared_plan,
    record_visit,
    visit_row,
)
from app.shopper.interests import set_interest_state
from app.taxonomy_store import taxonomy
from tests.conftest import csrf_token
from tests.shopper.test_feed import card_ids, next_url
from tests.statements import statements

HX = {"HX-Request": "true"}
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def a_visitor(world) -> tuple[int, dict[str, list[int]]]:  # type: ignore[no-untyped-def]
    """A shopper with a long feed from two providers, who opened it once (so the worker
    counts them as a visitor)."""
    user_id = world.consumer(follows=("shoes",))
    cards = {
        "North": world.cards(world.provider("North"), 50, interests=("shoes/running",)),
        "South": world.cards(world.provider("South"), 50, interests=("shoes/hiking",)),
    }
    world.login()
    assert world.client.get("/").status_code == 200
    return user_id, cards


def run_job(app) -> None:  # type: ignore[no-untyped-def]
    """The worker's job, as its scheduler runs it."""
    worker.build_scheduler(app)
    worker.prepare_first_pages()


def one_run(db: Session, now: datetime, *, batch: int) -> list[int]:
    """One run of the job at ``now`` with the default settings, in an app context."""
    return prepare_due(
        db,
        taxonomy(),
        catalog(),
        now=now,
        active=timedelta(days=3),
        max_age=timedelta(minutes=15),
        every=timedelta(minutes=1),
        batch=batch,
        page_size=20,
        candidate_limit=1500,
    )


def the_row(world, user_id: int) -> PreparedFeed:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    row = world.db.get(PreparedFeed, user_id)
    assert row is not None
    return row


def first_page(world) -> tuple[list[int], bool, str]:  # type: ignore[no-untyped-def]
    """A new visit's first page: its cards, whether it was ranked on the request (read
    the cards' interests for the shopper's history), and its HTML."""
    with statements(world.app) as seen:
        html = world.client.get("/").get_data(as_text=True)
    return card_ids(html), seen["SELECT", "card_interest"] > 0, html


def test_a_prepared_first_page_is_the_page_a_ranking_at_its_moment_gives(world, app):
    with time_machine.travel(START, tick=False):
        user_id, _ = a_visitor(world)
    prepared_at = START + timedelta(minutes=1)
    with time_machine.travel(prepared_at, tick=False):
        run_job(app)
        with app.app_context():  # what a live ranking at this moment shows
            live = build_page(
                world.db,
                user_id,
                taxonomy(),
                catalog(),
                as_of=prepared_at,
                now=prepared_at,
                feed_session="live",
                page_size=20,
                candidate_limit=1500,
            )
        expected = [r.candidate.card_id for r in live.ranked]
    assert the_row(world, user_id).prepared_at == prepared_at
    with time_machine.travel(prepared_at + timedelta(minutes=5), tick=False):
        shown, ranked, _ = first_page(world)
    assert len(shown) == 20
    assert shown == expected  # the same cards, in the same order
    assert not ranked  # taken from the plan: no history read, nothing ranked
    assert the_row(world, user_id).consumed_at == prepared_at + timedelta(minutes=5)


def test_a_whole_visit_from_a_prepared_plan_serves_every_card_once(world, app):
    _, cards = a_visitor(world)
    run_job(app)
    shown, ranked, html = first_page(world)
    assert not ranked
    url = next_url(html)
    while url:
        html = world.client.get(url, headers=HX).get_data(as_text=True)
        shown += card_ids(html)
        url = next_url(html)
    assert sorted(shown) == sorted(cards["North"] + cards["South"])  # each once, none lost


def planned_first_page(world, user_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    """The cards of the first page the worker prepared for the shopper's next visit."""
    plan = the_row(world, user_id).plan
    assert plan is not None
    return [card[0] for card in plan["cards"][:20]]


def test_what_the_shopper_turned_away_after_preparation_never_appears(world, app):
    user_id, cards = a_visitor(world)
    run_job(app)
    token = csrf_token(world.client, "/settings/notifications")  # a page that is not the feed
    planned = planned_first_page(world, user_id)
    # Before the next visit, a card of it is dismissed and a provider of it hidden.
    dismissed = next(card for card in planned if card in cards["North"])
    hidden = next(card for card in planned if card in cards["South"])
    for action, card in (("dismiss", dismissed), ("hide-provider", hidden)):
        response = world.client.post(f"/cards/{card}/{action}", data={"csrf_token": token})
        assert response.status_code in (200, 303)
    shown, ranked, _ = first_page(world)
    assert not ranked  # still the prepared plan, with the shopper's choices applied
    assert len(shown) == 20
    assert dismissed not in shown
    assert not set(shown) & set(cards["South"])


def test_an_interest_muted_after_preparation_never_appears(world, app):
    _, cards = a_visitor(world)
    run_job(app)
    response = world.client.post(
        f"/cards/{cards['North'][0]}/not-interested",
        data={
            "interest": "shoes/running",
            "csrf_token": csrf_token(world.client, "/settings/notifications"),
        },
    )
    assert response.status_code in (200, 303)
    shown, _, _ = first_page(world)
    assert shown and not set(shown) & set(cards["North"])


def test_following_an_interest_sets_the_prepared_page_aside(world, app):
    user_id, _ = a_visitor(world)
    kitchen = world.cards(world.provider("Kettle"), 5, interests=("home/kitchen",), age_hours=0.1)
    run_job(app)
    followed = world.client.post(
        "/interests/home/kitchen/follow",
        data={"csrf_token": csrf_token(world.client, "/settings/notifications")},
    )
    assert followed.status_code in (200, 303)
    shown, ranked, _ = first_page(world)
    assert ranked  # the plan knew nothing of the new interest: ranked on the request
    assert set(kitchen) & set(shown)
    # The worker prepares the shopper's next visit again, with the new interest.
    run_job(app)
    with app.app_context():
        max_age = timedelta(minutes=15)
        prepared = prepared_plan(
            world.db, visit_row(world.db, user_id), catalog(), now=datetime.now(UTC),
            max_age=max_age,
        )  # fmt: skip
    assert prepared is not None


def test_a_change_of_interests_while_the_worker_ranks_sets_its_page_aside(world, app):
    user_id, _ = a_visitor(world)
    now = datetime.now(UTC)
    with app.app_context():
        claimed = claim_due(
            world.db, now, active=timedelta(days=3), renew_after=timedelta(minutes=13), limit=5
        )
        assert list(claimed) == [user_id]
        # The shopper follows an interest after the claim, before the plan is stored (and
        # with a clock a little behind the worker's).
        set_interest_state(world.db, user_id, "home/kitchen", InterestState.FOLLOW)
        world.db.commit()
        assert prepare(
            world.db, claimed, taxonomy(), catalog(), now=now, page_size=20, candidate_limit=1500
        ) == [user_id]
        later = now + timedelta(minutes=1)
        max_age = timedelta(minutes=15)
        assert (
            prepared_plan(
                world.db, visit_row(world.db, user_id), catalog(), now=later, max_age=max_age
            )
            is None
        )
        # It is due again, and the next run's plan is used.
        assert one_run(world.db, later, batch=5) == [user_id]
        assert prepared_plan(
            world.db, visit_row(world.db, user_id), catalog(), now=later, max_age=max_age
        )


def test_a_prepared_page_is_served_once(world, app):
    user_id, _ = a_visitor(world)
    run_job(app)
    _, first_ranked, _ = first_page(world)
    _, second_ranked, _ = first_page(world)
    assert (first_ranked, second_ranked) == (False, True)
    # Two visits starting together read the same plan: only the first may use it.
    run_job(app)
    with app.app_context():
        now = datetime.now(UTC)
        max_age = timedelta(minutes=15)
        with (
            Session(app.extensions["plaza.engine"]) as one,
            Session(app.extensions["plaza.engine"]) as other,
        ):
            a = prepared_plan(one, visit_row(one, user_id), catalog(), now=now, max_age=max_age)
            b = prepared_plan(other, visit_row(other, user_id), catalog(), now=now, max_age=max_age)
            assert a is not None and b is not None
            assert record_visit(one, user_id, a, now)
            one.commit()
            assert not record_visit(other, user_id, b, now)
            other.commit()


def test_a_stale_prepared_page_is_not_used(world, app):
    with time_machine.travel(START, tick=False):
        a_visitor(world)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        run_job(app)
    with time_machine.travel(START + timedelta(minutes=15, seconds=59), tick=False):
        _, ranked, _ = first_page(world)
    assert not ranked  # just under 15 minutes old: still used
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        run_job(app)
    with time_machine.travel(START + timedelta(minutes=17), tick=False):
        _, ranked, _ = first_page(world)
    assert ranked  # 15 minutes old: ranked on the request


def test_a_card_removed_or_suspended_after_preparation_is_not_shown(world, app):
    user_id, cards = a_visitor(world)
    run_job(app)
    planned = planned_first_page(world, user_id)
    removed = next(card for card in planned if card in cards["North"])
    card = world.db.get(Card, removed)
    card.removed_at = datetime.now(UTC)
    south = world.db.exec(select(Provider).where(Provider.name == "South")).one()
    south.status = ProviderStatus.SUSPENDED
    world.db.commit()
    shown, _, _ = first_page(world)
    assert len(shown) == 20
    assert removed not in shown
    assert not set(shown) & set(cards["South"])


def test_only_recent_visitors_get_a_first_page_prepared(world, app):
    with time_machine.travel(START - timedelta(days=4), tick=False):
        long_ago, _ = a_visitor(world)
    with time_machine.travel(START, tick=False):
        never = world.consumer("new@example.com")
        world.login("new@example.com", app.test_client())  # signed in, never opened the feed
        recent = world.consumer("recent@example.com")
        browser = app.test_client()
        world.login("recent@example.com", browser)
        assert browser.get("/").status_code == 200
        with app.app_context():
            prepared = one_run(world.db, START, batch=10)
    assert prepared == [recent]
    assert the_row(world, never).plan is None
    assert the_row(world, long_ago).plan is None


def test_two_workers_at_once_prepare_each_shopper_once(world, app):
    shoppers = []
    for n in range(8):
        shoppers.append(world.consumer(f"s{n}@example.com"))
    world.cards(world.provider("North"), 30, interests=("shoes/running",))
    for n in range(8):
        browser = app.test_client()
        world.login(f"s{n}@example.com", browser)
        assert browser.get("/").status_code == 200
    prepared: list[list[int]] = [[], []]
    now = datetime.now(UTC)

    def run(n: int) -> None:
        with app.app_context(), Session(app.extensions["plaza.engine"]) as db:
            while done := one_run(db, now, batch=2):
                prepared[n] += done

    workers = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(60)
    together = prepared[0] + prepared[1]
    assert sorted(together) == sorted(shoppers)  # every shopper, each once
    world.db.expire_all()
    rows = world.db.exec(select(PreparedFeed)).all()
    assert all(row.plan and row.prepared_at == now for row in rows)
