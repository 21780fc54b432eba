"""The migrations and the models describe the same schema, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401
from app.migrate import models_only


def test_migrations_match_the_models(app):
    engine = app.extensions["plaza.engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_name": models_only},
        )
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_readyz_reports_an_unreachable_database():
    from app import create_app

    broken = create_app(
        {"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite:////nonexistent/dir/db"}
    )
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


def test_upgrading_a_sqlite_database_keeps_every_row_that_points_at_its_accounts(tmp_path):
    """SQLite changes a column by copying the table and dropping the old one: with
    foreign keys on, dropping ``user`` deleted, by cascade, everything of its accounts."""
    from sqlalchemy import text

    from app.db import make_engine
    from app.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path}/plaza.db")  # foreign keys on, as Plaza runs
    upgrade(engine, "0009")
    tables = ("user", "organization", "provider", "card", "card_state", "event")
    with engine.begin() as db:
        for statement in (
            "INSERT INTO user (id, email, password_hash, role, display_name, active, created_at)"
            " VALUES (1, 'a@example.com', '!', 'consumer', '', 1, '2026-01-01')",
            "INSERT INTO organization (id, slug, name, kind, created_at)"
            " VALUES (1, 'acme', 'Acme', 'retailer', '2026-01-01')",
            "INSERT INTO provider (id, organization_id, kind, name, config, interests, status,"
            " interval_seconds, consecutive_errors, card_count, created_at) VALUES"
            " (1, 1, 'product_feed', 'Shop', '{}', '[]', 'active', 3600, 0, 1, '2026-01-01')",
            "INSERT INTO card (id, provider_id, kind, external_id, title, summary, payload,"
            " published_at, first_seen_at, updated_at) VALUES (1, 1, 'product_feed', 'x',"
            " 'X', '', '{}', '2026-01-01', '2026-01-01', '2026-01-01')",
            "INSERT INTO card_state (user_id, card_id, saved_at) VALUES (1, 1, '2026-01-02')",
            "INSERT INTO event (user_id, card_id, provider_id, kind, detail, created_at)"
            " VALUES (1, 1, 1, 'save', '{}', '2026-01-02')",
        ):
            db.execute(text(statement))
    upgrade(engine)
    with engine.connect() as db:
        counts = {t: db.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
        enforced = db.execute(text("PRAGMA foreign_keys")).scalar()
    engine.dispose()
    assert counts == dict.fromkeys(tables, 1)
    assert enforced == 1  # the connection enforces them again


def test_organisations_whose_every_provider_was_suspended_are_suspended_after_the_upgrade(
    tmp_path,
):
    """Until 0018, suspending an organisation suspended its providers and nothing else: such
    an organisation has no page and cannot be followed after the upgrade, while one with a
    provider still running, or with none yet, keeps its page."""
    from sqlalchemy import text

    from app.db import make_engine
    from app.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path}/plaza.db")
    upgrade(engine, "0015")
    with engine.begin() as db:
        for org_id, slug in ((1, "gone"), (2, "mixed"), (3, "new")):
            db.execute(
                text(
                    "INSERT INTO organization (id, slug, name, kind, created_at)"
                    " VALUES (:id, :slug, :slug, 'retailer', '2026-01-01')"
                ),
                {"id": org_id, "slug": slug},
            )
        for provider_id, org_id, status in ((1, 1, "suspended"), (2, 2, "suspended"),
                                            (3, 2, "active")):  # fmt: skip
            db.execute(
                text(
                    "INSERT INTO provider (id, organization_id, kind, name, config, interests,"
                    " status, interval_seconds, consecutive_errors, card_count, created_at)"
                    " VALUES (:id, :org, 'product_feed', 'Shop', '{}', '[]', :status, 3600, 0,"
                    " 0, '2026-01-01')"
                ),
                {"id": provider_id, "org": org_id, "status": status},
            )
    upgrade(engine)
    with engine.connect() as db:
        rows = db.execute(
            text("SELECT slug, suspended_at IS NOT NULL, description, social_links"
                 " FROM organization ORDER BY id")
        ).all()  # fmt: skip
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("gone", 1, "", "[]"),
        ("mixed", 0, "", "[]"),
        ("new", 0, "", "[]"),
    ]


def test_the_newest_migrations_step_down_and_up_again_to_the_models_schema(database_url):
    """Every downgrade since the prepared first pages (0015) runs, and upgrading again
    ends where the models are: a release can be rolled back and forward."""
    from alembic import command
    from sqlalchemy import inspect

    from app.db import make_engine
    from app.migrate import alembic_config, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "0015")
    tables = set(inspect(engine).get_table_names())
    assert not {"feed_preference", "provider_refresh", "partner_follow"} & tables
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": models_only}
        )
        assert compare_metadata(context, SQLModel.metadata) == []
    engine.dispose()
