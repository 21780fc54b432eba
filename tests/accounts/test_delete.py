"""``/account/delete``: the account and its personal data go for good (not even in the
SQLite file's free pages or its write-ahead log, nor in the log), and partners' anonymous
counts stay exactly as they were."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel, select

from app import worker
from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.models import (
    Card,
    CardState,
    Event,
    LoginAttempt,
    NotificationSettings,
    PartnerFollow,
    PreparedFeed,
    ProviderBlock,
    PushSubscription,
    SurveyAnswer,
    User,
)
from app.partners import stats
from app.partners.rollup import roll_up_results
from app.partners.surveys import survey_results
from app.ranking.prepared import record_visit
from app.ranking.rollup import roll_up
from tests.accounts.test_retention import prune
from tests.conftest import PASSWORD, csrf_token

VICTIM = "leaving.person@example.com"
OLD_DAY = 200  # days ago: past raw events' retention (180 days), within the results'
QUESTIONS = [
    {
        "id": "where",
        "prompt": "Where do you run?",
        "type": "multiple",
        "choices": ["Road", "Trail"],
    },
    {"id": "why", "prompt": "Why?", "type": "text"},
]


def arrange(world) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Two shoppers who saw, opened, saved and dismissed a provider's cards and answered a
    survey; the first is the one who leaves."""
    provider = world.provider()
    cards = world.cards(provider, 4)
    config = {
        "title": "Running",
        "questions": QUESTIONS,
        "starts_at": "2026-01-01T00:00:00Z",
        "ends_at": "2030-01-01T00:00:00Z",
    }
    survey = world.provider("Runs", kind="survey", config=config)
    now = datetime.now(UTC)
    with world.app.app_context():
        refresh_provider(world.db, survey, context_for(world.app, survey, now), now)
    questions = {
        c.external_id: c.id
        for c in world.db.exec(select(Card).where(Card.provider_id == survey.id))
    }
    victim = world.consumer(VICTIM)
    stayer = world.consumer("stayer@example.com")
    for n, user_id in enumerate((victim, stayer)):
        for day in (OLD_DAY, 3, 1, 0):
            for card in cards:
                kinds = ["impression", "open"] if (card + day + n) % 2 else ["impression"]
                for kind in kinds:
                    world.db.add(
                        Event(
                            user_id=user_id,
                            card_id=card,
                            provider_id=provider.id,
                            kind=kind,
                            feed_session=f"s{n}{day}",
                            created_at=now - timedelta(days=day, minutes=card),
                        )
                    )
        for kind in ("save", "dismiss", "not_interested", "hide_provider"):
            world.db.add(
                Event(
                    user_id=user_id,
                    card_id=cards[0],
                    provider_id=provider.id,
                    kind=kind,
                    detail={"interest": "shoes"},
                )
            )
        world.db.add(CardState(user_id=user_id, card_id=cards[0], saved_at=now))
        world.db.add(ProviderBlock(user_id=user_id, provider_id=provider.id))
        world.db.add(PartnerFollow(user_id=user_id, organization_id=provider.organization_id))
        world.db.add(
            SurveyAnswer(
                user_id=user_id,
                card_id=questions["where"],
                answer={"choices": ["c1", "c2"][: n + 1], "text": None},
            )
        )
        world.db.add(
            SurveyAnswer(
                user_id=user_id,
                card_id=questions["why"],
                answer={"choices": [], "text": f"written by shopper {n}"},
            )
        )
        world.db.add(NotificationSettings(user_id=user_id, timezone="Europe/Paris"))
        world.db.add(
            PushSubscription(
                user_id=user_id,
                endpoint=f"https://push.example/{n}",
                endpoint_hash=f"{n:064d}",
                p256dh="k",
                auth="a",
            )
        )
    world.db.commit()
    roll_up(world.db, now)
    roll_up_results(world.db, now)
    # Events after the last rollup are counted later, with or without their account.
    world.db.add(
        Event(
            user_id=victim,
            card_id=cards[1],
            provider_id=provider.id,
            kind="impression",
            viewer_rate=0.2,
        )
    )
    world.db.commit()
    return {"provider": provider, "survey": survey, "victim": victim, "stayer": stayer}


def aggregates(world, arranged) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Everything partners and ranking count, as plain values."""
    db = world.db
    db.expire_all()
    provider, survey = arranged["provider"], arranged["survey"]
    today = datetime.now(UTC).date()
    period = stats.DateRange(today - timedelta(days=365), today)
    roll_up(db, datetime.now(UTC))
    roll_up_results(db, datetime.now(UTC))
    popularity = {
        table: sorted(tuple(row) for row in db.execute(text(f"SELECT * FROM {table}")).all())
        for table in (
            "card_popularity",
            "provider_popularity",
            "card_popularity_day",
            "card_results_day",
        )
    }
    return {
        "daily": [(d.day, d.as_dict()) for d in stats.daily(db, [provider.id], period)],
        "per_provider": {
            k: v.as_dict() for k, v in stats.per_provider(db, [provider.id], period).items()
        },
        "per_card": [(c.card_id, c.as_dict()) for c in stats.per_card(db, provider.id, period)],
        "survey": [
            (q.question_id, q.answers, [(c.id, c.count) for c in q.choices])
            for q in survey_results(db, survey)
        ],
        "popularity": popularity,
    }


def written(world, arranged) -> list[str]:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    return sorted(t.text for q in survey_results(world.db, arranged["survey"]) for t in q.texts)


def user_columns() -> list[tuple[str, str]]:
    """Every (table, column) that refers to an account."""
    return [
        (table.name, column.name)
        for table in SQLModel.metadata.sorted_tables
        for column in table.columns
        if any(fk.column.table.name == "user" for fk in column.foreign_keys)
        or (table.name == "user" and column.name == "id")
    ]


def rows_naming(world, user_id: int, email: str) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    with world.app.extensions["plaza.engine"].connect() as connection:
        for table, column in user_columns():
            count = connection.execute(
                text(f'SELECT count(*) FROM "{table}" WHERE "{column}" = :id'), {"id": user_id}
            ).scalar_one()
            if count:
                found.append(f"{table}.{column}: {count}")
        for table in SQLModel.metadata.sorted_tables:
            for row in connection.execute(table.select()).all():
                if email in repr(tuple(row)):
                    found.append(f"{table.name}: {email}")
    return found


def sqlite_files(world) -> list[Path]:  # type: ignore[no-untyped-def]
    path = Path(make_url(world.app.config["DATABASE_URL"]).database or "")
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def delete_me(client, password: str = PASSWORD, **fields: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/account/delete")
    return client.post(
        "/account/delete", data={"password": password, "csrf_token": token, **fields}
    )


def test_deletion_removes_the_account_for_good_and_keeps_every_count(world, caplog):
    arranged = arrange(world)
    victim = arranged["victim"]
    world.db.add(LoginAttempt(email=VICTIM, ip="192.0.2.7", succeeded=False))
    world.db.commit()
    world.login(VICTIM)
    # The victim opened their feed, so the worker ranked their next first page ahead.
    record_visit(world.db, victim, None, datetime.now(UTC))
    world.db.commit()
    worker.build_scheduler(world.app)
    worker.prepare_first_pages()
    before = aggregates(world, arranged)
    stayer = arranged["stayer"]
    stayer_events = world.db.exec(select(func.count()).where(Event.user_id == stayer)).one()
    assert written(world, arranged) == ["written by shopper 0", "written by shopper 1"]
    assert rows_naming(world, victim, VICTIM)  # the checks below can fail
    assert "prepared_feed.user_id: 1" in rows_naming(world, victim, VICTIM)
    assert world.db.get(PreparedFeed, victim).plan
    sqlite = world.app.config["DATABASE_URL"].startswith("sqlite")
    if sqlite:
        with world.app.extensions["plaza.engine"].connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        assert any(VICTIM.encode() in p.read_bytes() for p in sqlite_files(world))
    world.db.commit()  # no transaction of the test's holds the write-ahead log back

    page = world.client.get("/account/delete").get_data(as_text=True)
    assert "cannot be undone" in page
    with caplog.at_level(logging.DEBUG):
        response = delete_me(world.client, writing="remove")
    assert response.status_code == 303
    assert VICTIM not in caplog.text and "leaving.person" not in caplog.text

    assert rows_naming(world, victim, VICTIM) == []
    if sqlite:
        for path in sqlite_files(world):
            assert VICTIM.encode() not in path.read_bytes(), path.name
            assert b"leaving.person" not in path.read_bytes(), path.name
    assert aggregates(world, arranged) == before
    assert written(world, arranged) == ["written by shopper 1"]
    # the other shopper lost nothing
    assert world.db.exec(select(func.count()).where(Event.user_id == stayer)).one() == stayer_events
    assert world.db.get(User, stayer) is not None
    # and the one who left is signed out, for good
    assert world.client.get("/saved").status_code == 302
    assert (
        world.client.post(
            "/login",
            data={"email": VICTIM, "password": PASSWORD, "csrf_token": csrf_token(world.client)},
        ).status_code
        == 401
    )


def test_results_stay_the_same_for_days_inside_and_outside_raw_event_retention(world):
    """Days whose raw events were deleted after their retention are read from the results
    rollup alone, recent days from it and the events: an account deleted changes neither."""
    arranged = arrange(world)
    now = datetime.now(UTC)
    pruned = prune(world, now)
    assert pruned.events > 0
    old = (now - timedelta(days=OLD_DAY)).date()
    before = aggregates(world, arranged)
    old_day = dict(before["daily"])[old]
    assert old_day["impressions"] == 8 and old_day["opens"] > 0  # 4 cards, 2 shoppers
    assert dict(before["daily"])[now.date()]["impressions"] > 0

    world.login(VICTIM)
    assert delete_me(world.client, writing="remove").status_code == 303
    assert world.db.get(User, arranged["victim"]) is None
    assert aggregates(world, arranged) == before


def test_what_was_written_may_stay_anonymously(world):
    arranged = arrange(world)
    world.login(VICTIM)
    assert delete_me(world.client, writing="keep").status_code == 303
    assert written(world, arranged) == ["written by shopper 0", "written by shopper 1"]
    answers = world.db.exec(select(SurveyAnswer).where(SurveyAnswer.user_id.is_(None))).all()  # type: ignore[union-attr]
    assert len(answers) == 2


def test_a_wrong_password_deletes_nothing(world):
    arranged = arrange(world)
    world.login(VICTIM)
    before = aggregates(world, arranged)
    response = delete_me(world.client, password="not my password", writing="remove")
    assert response.status_code == 403
    assert "Nothing was deleted." in response.get_data(as_text=True)
    world.db.expire_all()
    assert world.db.get(User, arranged["victim"]) is not None
    assert aggregates(world, arranged) == before
    assert written(world, arranged) == ["written by shopper 0", "written by shopper 1"]
    assert world.client.get("/saved").status_code == 200


def test_deletion_needs_a_csrf_token_and_a_login(world, client):
    arranged = arrange(world)
    assert client.get("/account/delete").status_code == 302
    world.login(VICTIM)
    response = world.client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    world.db.expire_all()
    assert world.db.get(User, arranged["victim"]) is not None


def test_no_one_deletes_another_account(world):
    """The form names no account: whatever it is sent, it deletes the signed-in one."""
    arranged = arrange(world)
    world.login("stayer@example.com")
    response = delete_me(
        world.client, writing="remove", user_id=str(arranged["victim"]), email=VICTIM
    )
    assert response.status_code == 303
    world.db.expire_all()
    assert world.db.get(User, arranged["victim"]) is not None
    assert world.db.get(User, arranged["stayer"]) is None
    # with the victim's password but the stayer's session gone, nothing more happens
    other = world.app.test_client()
    assert other.post("/account/delete", data={"password": PASSWORD}).status_code in (302, 400)
    assert world.db.get(User, arranged["victim"]) is not None


def test_an_unusable_password_cannot_confirm_a_deletion(world):
    """Accounts nobody signs in to (the demo crowd) have no password that matches."""
    world.consumer()
    world.login()
    with world.app.app_context():
        unusable = world.db.exec(select(User)).one()
        unusable.password_hash = "!"
        world.db.commit()
    assert delete_me(world.client, password="!").status_code == 403
    world.db.expire_all()
    assert world.db.exec(select(User)).one().email == "shopper@example.com"
