"""Taking due rows with a lease, so that several workers never take the same one.

Refreshing providers (:mod:`app.ingest.due`), delivering the outboxes
(:mod:`app.notifications.outbox`) and ranking first pages ahead (:mod:`app.ranking.prepared`)
all claim work the same way: find due rows, then take each by a compare-and-set that
sets its lease (the update applies only while the row is still due, and a leased row is
not due), and commit. On PostgreSQL the due rows are also locked with ``FOR UPDATE SKIP
LOCKED`` as they are found, so workers do not even wait on each other; SQLite has no row
locks, so its read ends before the writes (a row another worker took meanwhile fails the
compare-and-set and is simply not ours).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, inspect, update
from sqlmodel import Session, SQLModel, select


def claim_due(
    db: Session,
    model: type[SQLModel],
    due: Sequence[ColumnElement[bool]],
    *,
    order_by: Any,
    limit: int,
    lease: Mapping[str, Any],
    returning: Sequence[Any] = (),
    rounds: int = 1,
) -> list[tuple[Any, ...]]:
    """Take up to ``limit`` rows of ``model`` that are ``due``, first by ``order_by``, by
    setting ``lease`` on them (which must make them not due); commits. Returns the rows
    taken: their primary key, then the ``returning`` columns as the claim left them.

    With more than one round, rows another worker took first are made up for by looking
    again, up to ``rounds`` times, while some were found."""
    (key,) = inspect(model).primary_key
    claimed: list[tuple[Any, ...]] = []
    tried: list[Any] = []
    for _ in range(rounds):
        found = db.exec(
            select(key)
            .where(*due, *([key.not_in(tried)] if tried else []))
            .order_by(order_by)
            .limit(limit - len(claimed))
            .with_for_update(skip_locked=True)
        ).all()
        if not found:
            break
        if db.get_bind().dialect.name == "sqlite":
            db.commit()
        tried += found
        taken = db.execute(
            update(model)
            .where(key.in_(found), *due)
            .values(**lease)
            .returning(key, *returning)
            .execution_options(synchronize_session=False)
        )
        claimed += [tuple(row) for row in taken]
        db.commit()
        if len(claimed) >= limit:
            break
    db.commit()  # the read that found nothing ends too
    return claimed
