"""``plaza demo``: complete, idempotent, and a crowd whose activity is not the demo consumer's.

Each test has the real demo data with the shipped taxonomy, as `make run` loads it
(loaded once a session and copied, or loaded by the test itself).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.demo.activity import SHOPPER_EMAIL, SHOPPERS
from app.demo.load import DEMO_CONSUMER_INTERESTS, DEMO_PASSWORD
from app.ingest.sources import SAMPLES_WRITTEN_ON, read_sample, shift_dates
from app.models import (
    Answer,
    AuditEntry,
    Card,
    CardInterest,
    CardState,
    ConsumerInterest,
    Event,
    EventKind,
    Organization,
    Provider,
    Question,
    Report,
    Suggestion,
    SuggestionVote,
    SurveyAnswer,
    User,
)
from app.models.popularity import CardPopularity
from app.ranking.affinity import lineage
from app.ranking.candidates import load_profile
from app.ranking.rank import candidate_slugs
from tests.conftest import shipped_app

DEMO_CONSUMER = "demo@example.com"
RETAILER = "retailer@example.com"
COUNTED = (Organization, User, Provider, Card, ConsumerInterest, Event, CardState, SurveyAnswer,
           Question, Answer, Suggestion, SuggestionVote, Report, AuditEntry)  # fmt: skip


@pytest.fixture
def demo_app(database_url):
    """The real taxonomy, as `make run` uses it, on a database without the demo."""
    with shipped_app(database_url) as app:
        yield app


@pytest.fixture
def demo(demo_database_url):
    """The bundled demo data loaded once (a copy of the session's: tests.conftest)."""
    with shipped_app(demo_database_url) as app:
        yield app


def _counts(app: Flask) -> dict[str, int]:
    with Session(app.extensions["plaza.engine"]) as db:
        return {
            model.__name__: db.exec(select(func.count()).select_from(model)).one()
            for model in COUNTED
        }


def _log_in(client: FlaskClient, email: str, password: str):  # type: ignore[no-untyped-def]
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def _csv(client: FlaskClient, path: str) -> list[dict[str, str]]:
    response = client.get(path)
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _about_a_follow(interests: list[str]) -> bool:
    return any(set(lineage(slug)) & set(DEMO_CONSUMER_INTERESTS) for slug in interests)


def test_demo_is_complete_and_idempotent(demo_app):
    runner = demo_app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "demo@example.com" in first.output and "plaza-demo-pass" in first.output
    assert f"created {SHOPPERS} demo shoppers with two weeks of activity" in first.output
    counts = _counts(demo_app)
    assert counts["Organization"] == 4 and counts["User"] == 3 + SHOPPERS  # and Plaza's own
    assert counts["Provider"] >= 10 and counts["Card"] >= 300
    assert counts["Event"] > 1000 and counts["SurveyAnswer"] > 0
    assert counts["Question"] == 12 + 1 and counts["Answer"] > 6  # and one held for staff
    assert counts["Suggestion"] == 12 + 1 and counts["SuggestionVote"] > 24  # one flagged
    with Session(demo_app.extensions["plaza.engine"]) as db:
        kinds = set(db.exec(select(Provider.kind)).all())
        failing = db.exec(select(Provider).where(Provider.last_error.is_not(None))).all()
        counted = db.exec(select(func.sum(CardPopularity.impressions + CardPopularity.opens))).one()
        shown_or_opened = db.exec(
            select(func.count()).where(col(Event.kind).in_(("impression", "open")))
        ).one()
    assert kinds == {
        "product_feed", "youtube", "pinterest", "promotion", "survey", "editorial", "community_post"
    }  # fmt: skip
    assert failing == []
    assert counted == shown_or_opened > 0  # popularity is live without waiting for the worker
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    assert "nothing added" in second.output
    assert _counts(demo_app) == counts


def test_demo_consumer_sees_a_full_feed(demo):
    client = demo.test_client()
    assert _log_in(client, DEMO_CONSUMER, DEMO_PASSWORD).status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert html.count('<article class="card') == 20
    assert len(set(re.findall(r'data-card-kind="(\w+)"', html))) >= 3


def test_demo_consumer_has_no_activity_of_its_own(demo):
    with Session(demo.extensions["plaza.engine"]) as db:
        consumer = db.exec(select(User).where(User.email == DEMO_CONSUMER)).one()
        assert db.exec(select(Event).where(Event.user_id == consumer.id)).all() == []
        assert db.exec(select(CardState).where(CardState.user_id == consumer.id)).all() == []
        assert db.exec(select(SurveyAnswer).where(SurveyAnswer.user_id == consumer.id)).all() == []
        follows = db.exec(
            select(ConsumerInterest.slug).where(ConsumerInterest.user_id == consumer.id)
        ).all()
        assert set(follows) == set(DEMO_CONSUMER_INTERESTS)
        # Yet the crowd's views and opens already tell popular cards from ignored ones.
        now = datetime.now(UTC)
        taxonomy = demo.extensions["plaza.taxonomy"]
        profile = load_profile(db, consumer.id, taxonomy=taxonomy, now=now)
        candidates = (
            demo.extensions["plaza.catalog"]
            .current(db, now)
            .candidates(
                candidate_slugs(profile, taxonomy), as_of=now, skip=(), limit=500, max_flights=200
            )
        )
    popularity = [listing.candidate.popularity for listing in candidates]
    assert max(popularity) >= 1.5 and min(popularity) <= 0.8


def test_demo_consumers_first_page_is_about_what_they_follow(demo):
    client = demo.test_client()
    _log_in(client, DEMO_CONSUMER, DEMO_PASSWORD)
    html = client.get("/").get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'<article class="card[^>]*data-card-id="(\d+)"', html)]
    with Session(demo.extensions["plaza.engine"]) as db:
        about = {
            card_id: _about_a_follow(
                db.exec(select(CardInterest.slug).where(CardInterest.card_id == card_id)).all()
            )
            for card_id in ids
        }
    assert len(ids) == 20
    assert all(about[card_id] for card_id in ids[:5])
    assert sum(about.values()) >= 15


def test_demo_shoppers_follow_interests_and_cannot_sign_in(demo):
    emails = [SHOPPER_EMAIL.format(n) for n in range(1, SHOPPERS + 1)]
    with Session(demo.extensions["plaza.engine"]) as db:
        shoppers = db.exec(select(User).where(col(User.email).in_(emails))).all()
        follows = dict(
            db.exec(
                select(ConsumerInterest.user_id, func.count()).group_by(ConsumerInterest.user_id)
            ).all()
        )
        openers = set(db.exec(select(Event.user_id).where(Event.kind == EventKind.OPEN)).all())
    assert len(shoppers) == SHOPPERS
    assert all(follows.get(s.id, 0) >= 2 for s in shoppers)
    assert len(openers & {s.id for s in shoppers}) >= SHOPPERS * 3 // 4
    client = demo.test_client()
    for password in (DEMO_PASSWORD, "!", "correct horse battery"):
        response = _log_in(client, emails[0], password)
        assert response.status_code == 401
        assert "Wrong email or password." in response.get_data(as_text=True)
    assert "/login" in client.get("/saved").headers["Location"]  # still signed out


def test_retailer_results_show_the_crowds_activity_and_answers(demo):
    client = demo.test_client()
    assert _log_in(client, RETAILER, DEMO_PASSWORD).status_code == 303
    days = _csv(client, "/portal/northwind/results/daily.csv")
    impressions = sum(int(day["impressions"]) for day in days)
    opens = sum(int(day["opens"]) for day in days)
    assert 0 < opens < impressions
    assert sum(int(day["impressions"]) > 0 for day in days) >= 14  # two weeks of it
    manifest = json.loads(read_sample("providers.json"))
    (spec,) = [p for p in manifest["providers"] if (p["org"], p["kind"]) == ("northwind", "survey")]
    with Session(demo.extensions["plaza.engine"]) as db:
        survey = db.exec(select(Provider).where(Provider.name == spec["name"])).one()
    rows = _csv(client, f"/portal/northwind/results/surveys/{survey.id}/answers.csv")
    chosen = {row["question_id"] for row in rows if row["choice"] and int(row["count"]) > 0}
    written = [row["text_answer"] for row in rows if row["text_answer"]]
    assert chosen == {q["id"] for q in spec["config"]["questions"] if q["type"] != "text"}
    assert written and set(written) <= {t for ts in spec["shopper_answers"].values() for t in ts}
    page = client.get(f"/portal/northwind/results/surveys/{survey.id}").get_data(as_text=True)
    assert written[0] in page


def test_dates_in_samples_move_in_the_style_they_were_written():
    sample = (
        b"<pubDate>Mon, 23 Nov 2026 09:00:00 +0000</pubDate><pubDate>Fri, 20 Nov 2026 "
        b'23:30:00 GMT</pubDate><updated>2026-11-22T10:15:00Z</updated>"publishedAt": '
        b'"2026-11-01T08:00:00.5+01:00"'
    )
    moved = shift_dates(sample, timedelta(days=400))
    assert moved == (
        b"<pubDate>Tue, 28 Dec 2027 09:00:00 +0000</pubDate><pubDate>Sat, 25 Dec 2027 "
        b'23:30:00 GMT</pubDate><updated>2027-12-27T10:15:00Z</updated>"publishedAt": '
        b'"2027-12-06T08:00:00.500000+01:00"'
    )
    assert shift_dates(sample, timedelta(0)) == sample


@pytest.mark.parametrize("days_later", [0, 400])
def test_the_demo_does_not_age(demo_app, days_later):
    """Loaded on the day its samples were written or a year on, the demo has the same
    recent items and the same running, ended and upcoming promotions."""
    loaded = datetime.combine(SAMPLES_WRITTEN_ON, time(9), UTC) + timedelta(days=days_later)
    with time_machine.travel(loaded, tick=False):
        result = demo_app.test_cli_runner().invoke(args=["demo"])
        assert result.exit_code == 0, result.output
    with Session(demo_app.extensions["plaza.engine"]) as db:
        cards = db.exec(select(Card).where(col(Card.removed_at).is_(None))).all()
    feed_items = [c for c in cards if c.kind in ("product_feed", "youtube", "pinterest")]
    ages = [loaded - c.published_at for c in feed_items]
    assert len(feed_items) >= 300
    assert all(timedelta(0) <= age <= timedelta(days=61) for age in ages)
    promotions = [c for c in cards if c.kind == "promotion"]
    running = [c for c in promotions if c.starts_at <= loaded < c.ends_at]
    upcoming = [c for c in promotions if loaded < c.starts_at]
    assert (len(promotions), len(running), len(upcoming)) == (3, 2, 1)


def test_staff_find_open_reports_waiting_in_the_demo(demo: Flask):
    with Session(demo.extensions["plaza.engine"]) as db:
        reports = db.exec(select(Report)).all()
        assert len(reports) >= 4
        assert {r.target_kind for r in reports} == {
            "card", "user", "question", "answer", "suggestion"
        }  # fmt: skip
        assert all(r.resolved_at is None for r in reports)
    client = demo.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login)[1]
    client.post("/login", data={"email": "staff@example.com", "password": DEMO_PASSWORD,
                                "csrf_token": token})  # fmt: skip
    queue = client.get("/staff").get_data(as_text=True)
    # Two reports of one card make one item; three reports about texts; two screened texts.
    assert queue.count('class="panel queue-item"') == 4 + 3 + 2
    assert "The price on the shop" in queue and "This is not what the size guide says." in queue
    assert "Why is this so expensive" in queue and "A refund without the receipt" in queue
    editorial = client.get("/staff/editorial").get_data(as_text=True)
    assert "Scheduled (1)" in editorial and "Running (1)" in editorial
    assert ">Trail season</a>" in editorial and ">Winter kitchen</a>" in editorial
    # A second run of the demo adds none.
    assert demo.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    with Session(demo.extensions["plaza.engine"]) as db:
        assert db.exec(select(func.count()).select_from(Report)).one() == len(reports)


def test_the_demo_community_is_lively(demo):
    """The retailer's inbox has questions and ideas; the demo consumer heard what
    became of ideas it voted for; the boards show every kind of status."""
    client = demo.test_client()
    assert _log_in(client, RETAILER, DEMO_PASSWORD).status_code == 303
    inbox = client.get("/portal/northwind/community/").get_data(as_text=True)
    assert "Waiting for an answer" in inbox and "Ideas, by votes" in inbox
    assert inbox.count('class="community__item"') >= 6
    shopper = demo.test_client()
    assert _log_in(shopper, DEMO_CONSUMER, DEMO_PASSWORD).status_code == 303
    centre = shopper.get("/notifications").get_data(as_text=True)
    assert re.search(r"is (available|planned)", centre), "the demo consumer is told"
    with Session(demo.extensions["plaza.engine"]) as db:
        stages = set(db.exec(select(Suggestion.stage)).all())
        pinned = db.exec(select(func.count()).where(col(Answer.organization_id).is_not(None))).one()
    assert len(stages) >= 4 and pinned >= 3
    board = shopper.get("/o/harbor/suggestions").get_data(as_text=True)
    assert board.count('class="community__item idea"') == 4
