"""Alembic environment: migrations run against the connection Plaza hands over
(``plaza db upgrade``), or against ``sqlalchemy.url`` when called by Alembic's CLI."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on SQLModel.metadata)
from app.db import make_engine
from app.migrate import models_only

config = context.config
target_metadata = SQLModel.metadata


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=models_only,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    with make_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
        run_migrations(conn)
        conn.commit()
