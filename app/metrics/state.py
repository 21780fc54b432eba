"""Gauges read from the database when Prometheus scrapes: how deep the outboxes are and
how far behind the event-log rollups run.

They describe the worker's backlog, yet are read by the web process: the database is
what web and worker share wherever they run (two machines on Fly.io), and a gauge
kept by a worker process would vanish with it. Each is one indexed query.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.event_rollup import COUNTERS
from app.models import AccountMail, Event, Notification, RollupProgress, State

WAITING_TO_GO = (State.PENDING, State.SENDING)  # due or being sent; not those held for digests


class DatabaseState(Collector):
    """The outboxes' depths and the rollups' lag in ``db`` at ``now``."""

    def __init__(self, db: Session, now: datetime) -> None:
        self.db = db
        self.now = now

    def collect(self) -> Iterator[Metric]:
        yield self._depth(
            "plaza_notification_outbox", "Notifications due or being sent", Notification
        )
        yield self._depth(
            "plaza_account_mail_outbox", "Account emails due or being sent", AccountMail
        )
        lag = GaugeMetricFamily(
            "plaza_rollup_lag_seconds",
            "Age of the oldest event a rollup (popularity, results) has not counted yet; 0 "
            "when it is up to date",
            labels=["rollup"],
        )
        for name in COUNTERS:
            lag.add_metric([name], self._lag(name))
        yield lag

    def _depth(
        self, name: str, documentation: str, table: type[Notification] | type[AccountMail]
    ) -> GaugeMetricFamily:
        counts = dict(
            self.db.exec(
                select(table.state, func.count())
                .where(col(table.state).in_(WAITING_TO_GO))
                .group_by(table.state)
            ).all()
        )
        gauge = GaugeMetricFamily(name, documentation, labels=["state"])
        for state in WAITING_TO_GO:
            gauge.add_metric([state.value], counts.get(state, 0))
        return gauge

    def _lag(self, rollup: str) -> float:
        mark = self.db.exec(
            select(RollupProgress.last_event_id).where(RollupProgress.name == rollup)
        ).first()
        oldest = self.db.exec(
            select(Event.created_at)
            .where(col(Event.id) > (mark or 0))
            .order_by(col(Event.id))
            .limit(1)
        ).first()
        return max((self.now - oldest).total_seconds(), 0.0) if oldest else 0.0
