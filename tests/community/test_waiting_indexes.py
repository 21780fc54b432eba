"""The staff's queue finds held and flagged texts through partial indexes that hold only
those, on SQLite and PostgreSQL alike, instead of reading every text."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from app.community.screening import waiting_for_review
from app.models import Answer, Question, Suggestion


@pytest.mark.parametrize("model", [Question, Answer, Suggestion])
def test_the_queues_lookups_use_the_partial_index(db, model):
    table = model.__tablename__
    oldest = (
        select(model)
        .where(waiting_for_review(model))
        .order_by(col(model.created_at), col(model.id))
        .limit(50)
    )
    count = select(func.count()).select_from(model).where(waiting_for_review(model))
    dialect = db.get_bind().dialect.name
    for query in (oldest, count):
        compiled = str(query.compile(db.get_bind(), compile_kwargs={"literal_binds": True}))
        if dialect == "sqlite":
            rows = db.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
            plan = " ".join(str(row[-1]) for row in rows)
        else:  # on a table this small a sequential scan is cheaper: is the index usable?
            db.connection().exec_driver_sql("SET enable_seqscan = off")
            rows = db.connection().exec_driver_sql(f"EXPLAIN {compiled}").all()
            plan = " ".join(str(row[0]) for row in rows)
        assert f"ix_{table}_waiting" in plan, plan
