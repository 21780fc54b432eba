"""Survey choices have stable ids (attacker finding: ids were positional, c1, c2, so an
edit that reversed two choices moved the answers already given)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text
from sqlmodel import select

from app.db import make_engine
from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.migrate import alembic_config, upgrade
from app.models import Card, SurveyAnswer
from app.partners.surveys import survey_results
from cards.survey import choice_id


def test_choice_ids_follow_the_words_not_the_position():
    full_width = "\uff32\uff2f\uff21\uff24"  # ROAD
    assert choice_id("Road") == choice_id(" road ") == choice_id(full_width)
    assert choice_id("Road") != choice_id("Trail")
    assert not choice_id("Road").startswith("c1")


def survey_config(choices):
    now = datetime.now(UTC)
    return {
        "title": "Runs",
        "questions": [{"id": "where", "prompt": "Where?", "type": "single", "choices": choices}],
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
    }


def test_reordering_choices_keeps_every_answer_on_its_choice(world):
    survey = world.provider("Poll", kind="survey", config=survey_config(["Road", "Trail"]))
    now = datetime.now(UTC)
    with world.app.app_context():
        assert refresh_provider(world.db, survey, context_for(world.app, survey, now), now).ok
    card = world.db.exec(select(Card).where(Card.provider_id == survey.id)).one()
    road = next(c["id"] for c in card.payload["choices"] if c["label"] == "Road")
    for n in range(3):
        user = world.consumer(f"s{n}@example.com")
        world.db.add(SurveyAnswer(user_id=user, card_id=card.id, answer={"choices": [road]}))
    world.db.commit()

    survey.config = survey_config(["Trail", "Road"])  # the partner reverses the two
    world.db.add(survey)
    world.db.commit()
    later = now + timedelta(minutes=1)
    with world.app.app_context():
        assert refresh_provider(world.db, survey, context_for(world.app, survey, later), later).ok
        world.db.expire_all()
        (question,) = survey_results(world.db, survey)
    assert [(c.label, c.count) for c in question.choices] == [("Trail", 0), ("Road", 3)]


def test_the_migration_rewrites_positional_ids_and_the_answers_given_to_them(database_url):
    engine = make_engine(database_url)
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    payload = {
        "question_id": "where",
        "type": "multiple",
        "choices": [{"id": "c1", "label": "Road"}, {"id": "c2", "label": "Trail"}],
    }
    with engine.begin() as db:
        db.execute(text("INSERT INTO organization (slug, name, kind, created_at) "
                        "VALUES ('acme', 'Acme', 'retailer', CURRENT_TIMESTAMP)"))  # fmt: skip
        db.execute(text(
            "INSERT INTO provider (organization_id, kind, name, config, interests, status, "
            "interval_seconds, consecutive_errors, card_count, created_at) VALUES "
            "(1, 'survey', 'Poll', '{}', '[]', 'active', 3600, 0, 1, CURRENT_TIMESTAMP)"
        ))  # fmt: skip
        db.execute(
            text(
                "INSERT INTO card (provider_id, kind, external_id, title, summary, payload, "
                "published_at, first_seen_at, updated_at) VALUES (1, 'survey', 'where', "
                "'Where?', '', :payload, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            {"payload": json.dumps(payload)},
        )
        db.execute(text(
            "INSERT INTO \"user\" (email, password_hash, role, display_name, active, created_at) "
            "VALUES ('a@example.com', '!', 'consumer', '', true, CURRENT_TIMESTAMP), "
            "('b@example.com', '!', 'consumer', '', true, CURRENT_TIMESTAMP)"
        ))  # fmt: skip
        db.execute(
            text(
                "INSERT INTO survey_answer (user_id, card_id, answer, created_at) VALUES "
                "(1, 1, :a, CURRENT_TIMESTAMP), (2, 1, :b, CURRENT_TIMESTAMP)"
            ),
            {"a": json.dumps({"choices": ["c2"], "text": None}),
             "b": json.dumps({"choices": ["c1", "c2"], "text": None})},
        )  # fmt: skip
    upgrade(engine)
    with engine.connect() as db:
        stored = db.execute(text("SELECT payload FROM card")).scalar_one()
        answers = db.execute(text("SELECT answer FROM survey_answer ORDER BY user_id")).scalars()
        stored = json.loads(stored) if isinstance(stored, str) else stored
        answers = [json.loads(a) if isinstance(a, str) else a for a in answers]
    engine.dispose()
    road, trail = choice_id("Road"), choice_id("Trail")
    assert [c["id"] for c in stored["choices"]] == [road, trail]
    assert [a["choices"] for a in answers] == [[trail], [road, trail]]
