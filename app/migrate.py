"""Schema migrations through Alembic, run by ``plaza db upgrade`` and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine

from app.search.index import is_index_table


def models_only(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name``: the models' tables are compared with the database's,
    not the search index, which has no model (it is a different thing per database)."""
    return not (type_ == "table" and is_index_table(name))


MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to ``revision``. On SQLite, with foreign keys off while the migrations run:
    SQLite changes a column by copying its table and dropping the old one, and dropping
    ``user`` with foreign keys on deletes, by cascade, every row that points at it
    (survey answers, events, saved cards). The migrations must then not leave a row
    pointing nowhere that was not so before."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:  # outside a transaction: SQLite ignores it inside one
            enforced = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                before = _dangling(connection) if sqlite else 0
                upgrade_within(connection, revision)
                if sqlite and _dangling(connection) > before:
                    raise RuntimeError("the migration left rows pointing at deleted ones")
        finally:
            if sqlite:
                connection.exec_driver_sql(f"PRAGMA foreign_keys={1 if enforced else 0}")
                connection.commit()


def upgrade_within(connection: Connection, revision: str = "head") -> None:
    """Migrate to ``revision`` inside the transaction ``connection`` is in, which the
    caller commits or rolls back: on PostgreSQL, whose schema changes are transactional,
    a failure after it (``plaza db copy``) takes the migration back with everything else."""
    config = alembic_config(connection.engine)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def _dangling(connection: Connection) -> int:
    return len(connection.exec_driver_sql("PRAGMA foreign_key_check").all())


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
