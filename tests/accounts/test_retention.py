"""Retention: raw events and finished notifications go after the configured days, by the
worker's job, raw events only once every rollup counted them; the popularity counts keep
their window and partners' results theirs; /privacy says so with the numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from app import worker
from app.accounts.retention import PreparedPages, Pruned, prune_personal_data
from app.models import (
    AccountThrottle,
    CardPopularity,
    Event,
    Notification,
    PreparedFeed,
    State,
)
from app.partners.rollup import roll_up_results
from app.ranking.rollup import roll_up


def roll_up_both(db, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """What the worker's two rollup jobs do every five minutes."""
    roll_up(db, now)
    roll_up_results(db, now)


def event(user_id: int, card: int, provider: int, days: float, kind: str = "impression"):  # type: ignore[no-untyped-def]
    return Event(
        user_id=user_id,
        card_id=card,
        provider_id=provider,
        kind=kind,
        created_at=datetime.now(UTC) - timedelta(days=days),
    )


def note(user_id: int, n: int, state: str, days: float) -> Notification:
    moment = datetime.now(UTC) - timedelta(days=days)
    return Notification(
        user_id=user_id,
        channel="push",
        category="news",
        subject=f"s{n}",
        mode="instant",
        state=state,
        due_at=moment,
        created_at=moment,
    )


def prune(world, now: datetime) -> Pruned:  # type: ignore[no-untyped-def]
    """The worker's retention job with 180 days for events and 90 for notifications."""
    return prune_personal_data(
        world.db,
        now,
        event_days=180,
        notification_days=90,
        prepared=PreparedPages.configured(world.app.config),
    )


def counts(world) -> dict[str, int]:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    return {
        "events": world.db.exec(select(func.count()).select_from(Event)).one(),
        "notifications": world.db.exec(select(func.count()).select_from(Notification)).one(),
    }


def test_old_events_and_finished_notifications_go_after_their_days(world):
    provider = world.provider()
    (card,) = world.cards(provider, 1)
    user_id = world.consumer()
    for days in (200, 181, 179, 10, 0.1):
        world.db.add(event(user_id, card, provider.id, days))
        world.db.add(event(user_id, card, provider.id, days, "open"))
    for n, (state, days) in enumerate(
        [
            (State.SENT, 100),
            (State.FAILED, 91),
            (State.DIGESTED, 95),
            (State.SKIPPED, 120),
            (State.SENT, 89),
            (State.WAITING, 100),
            (State.PENDING, 100),
        ]
    ):
        world.db.add(note(user_id, n, state, days))
    world.db.add(AccountThrottle(key="reset-ip:1", created_at=datetime.now(UTC) - timedelta(2)))
    world.db.commit()
    now = datetime.now(UTC)
    roll_up_both(world.db, now)
    popularity = world.db.exec(select(CardPopularity)).one().model_dump()
    pruned = prune(world, now)
    assert (pruned.events, pruned.notifications) == (4, 4)
    assert counts(world) == {"events": 6, "notifications": 3}
    kept = world.db.exec(select(Notification.state).order_by(Notification.id)).all()
    assert kept == [State.SENT, State.WAITING, State.PENDING]
    assert world.db.exec(select(AccountThrottle)).all() == []
    # the popularity counts keep their window, whatever went from the log
    roll_up(world.db, now)
    world.db.expire_all()
    assert world.db.exec(select(CardPopularity)).one().model_dump() == popularity


def test_events_a_rollup_has_not_counted_yet_wait_for_it(world):
    provider = world.provider()
    (card,) = world.cards(provider, 1)
    user_id = world.consumer()
    world.db.add(event(user_id, card, provider.id, 200))
    world.db.commit()
    now = datetime.now(UTC)
    assert prune(world, now).events == 0
    roll_up(world.db, now)  # popularity has passed it, the results have not counted it yet
    assert prune(world, now).events == 0
    roll_up_results(world.db, now)
    assert prune(world, now).events == 1


def test_first_pages_ranked_ahead_go_once_no_visit_can_use_them(world):
    """A plan is served while younger than 15 minutes, and prepared for shoppers who
    opened their feed within 3 days (the defaults): older plans go, and so does all the
    worker kept about a shopper who stopped coming."""
    now = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    (card,) = world.cards(world.provider(), 1)
    plan = {"format": 1, "complete": True, "cards": [[card, 1.0, []]], "affinities": {}}
    people = {
        who: world.consumer(f"{who}@example.com", follows=()) for who in ("fresh", "stale", "away")
    }
    never = world.consumer("never@example.com", follows=("shoes",))  # changed interests only
    for who, visited, prepared in (
        ("fresh", timedelta(hours=1), timedelta(minutes=14)),
        ("stale", timedelta(days=2), timedelta(minutes=16)),
        ("away", timedelta(days=3, seconds=1), timedelta(days=3)),
    ):
        world.db.add(
            PreparedFeed(
                user_id=people[who],
                visited_at=now - visited,
                prepared_at=now - prepared,
                plan=plan,
                prepared_changes=0,
            )
        )
    world.db.commit()
    assert world.db.get(PreparedFeed, never) is not None

    assert prune(world, now).prepared_pages == 3  # two shoppers' rows, one stale plan
    world.db.expire_all()
    assert world.db.get(PreparedFeed, people["fresh"]).plan == plan
    stale = world.db.get(PreparedFeed, people["stale"])
    assert (stale.plan, stale.prepared_at) == (None, None)
    assert stale.visited_at == now - timedelta(days=2)  # still a visitor: prepared again
    assert world.db.get(PreparedFeed, people["away"]) is None
    assert world.db.get(PreparedFeed, never) is None
    assert prune(world, now).prepared_pages == 0


def test_the_worker_job_uses_the_configured_days(world, make_app, database_url, monkeypatch):
    monkeypatch.setenv("PLAZA_EVENT_RETENTION_DAYS", "30")
    monkeypatch.setenv("PLAZA_NOTIFICATION_RETENTION_DAYS", "7")
    app = make_app(database_url)
    assert app.config["EVENT_RETENTION_DAYS"] == 30
    provider = world.provider()
    (card,) = world.cards(provider, 1)
    user_id = world.consumer()
    world.db.add(event(user_id, card, provider.id, 31))
    world.db.add(event(user_id, card, provider.id, 29))
    world.db.add(note(user_id, 1, State.SENT, 8))
    world.db.commit()
    roll_up_both(world.db, datetime.now(UTC))
    scheduler = worker.build_scheduler(app)
    assert scheduler.get_job("prune_old_personal_data") is not None
    worker.prune_old_personal_data()
    assert counts(world) == {"events": 1, "notifications": 0}


def test_the_privacy_page_says_what_is_kept_with_the_configured_numbers(
    make_app, database_url, monkeypatch
):
    monkeypatch.setenv("PLAZA_EVENT_RETENTION_DAYS", "120")
    monkeypatch.setenv("PLAZA_NOTIFICATION_RETENTION_DAYS", "45")
    monkeypatch.setenv("PLAZA_RESULTS_RETENTION_DAYS", "500")
    client = make_app(database_url).test_client()
    page = client.get("/privacy")
    assert page.status_code == 200
    text = " ".join(page.get_data(as_text=True).split())
    assert "<strong>How long:</strong> 120 days, then deleted." in text
    assert "45 days after they were sent" in text
    assert "500 days for shops' results" in text
    assert "Password-reset links work for 1 hour" in text
    assert "shown within 15 minutes or not at all" in text
    assert "until you have not opened it for 3 days" in text
    assert "style=" not in text and "<script>" not in text
    # linked from every page's footer and from sign-up
    assert 'href="/privacy"' in client.get("/login").get_data(as_text=True)
    signup = client.get("/signup").get_data(as_text=True)
    assert signup.count('href="/privacy"') == 2
