"""The migrations and the models describe the same schema, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import app.models  # noqa: F401


def test_migrations_match_the_models(app):
    engine = app.extensions["plaza.engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
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
