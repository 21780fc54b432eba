"""Per-token rate limits with fixed windows counted in the database.

Each request adds one to its token's row for the current window with a single
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, which is atomic
on PostgreSQL and SQLite alike, so the limit holds across any number of web
processes without a shared cache. A token's older windows are deleted when it
opens a new one, which keeps the table at about one row per active token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, delete

from app.db import dialect_insert
from app.models.partners import ApiRateWindow


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    reset_seconds: int  # until the current window ends


def count_request(
    db: Session, token_id: int, now: datetime, *, limit: int, window_seconds: int
) -> RateDecision:
    """Count one request of ``token_id`` and say whether it is within the limit (commits)."""
    moment = now.timestamp()
    bucket = int(moment // window_seconds)
    insert = dialect_insert(db)(ApiRateWindow)
    statement = (
        insert.values(token_id=token_id, bucket=bucket, count=1)
        .on_conflict_do_update(
            index_elements=["token_id", "bucket"],
            set_={"count": col(ApiRateWindow.count) + 1},
        )
        .returning(col(ApiRateWindow.count))
    )
    count = db.execute(statement).scalar_one()
    if count == 1:
        db.execute(
            delete(ApiRateWindow).where(
                col(ApiRateWindow.token_id) == token_id, col(ApiRateWindow.bucket) < bucket
            )
        )
    db.commit()
    reset = max(1, math.ceil((bucket + 1) * window_seconds - moment))
    return RateDecision(count <= limit, reset)
