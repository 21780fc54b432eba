"""The counters and histograms processes record as things happen, and the one-line
functions that record them.

Every metric has labels, so none has a value until it is first recorded: ``plaza
serve`` can still switch this process to multi-process mode (:mod:`.exposition`)
before its server processes are forked. Recording costs a dictionary look-up and an
addition (a write to a memory-mapped file in multi-process mode): a few microseconds.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Histogram, disable_created_metrics

# A ``_created`` time stamp beside every counter doubles the scrape for nothing Plaza
# uses (and multi-process mode has none anyway).
disable_created_metrics()  # type: ignore[no-untyped-call]

FEED_SECONDS = Histogram(
    "plaza_feed_page_seconds",
    "Time to serve a feed page; its _count is the pages served. page: first (a visit's) "
    "or next; source: plan (ranked ahead, by the worker or with an earlier page) or ranked "
    "(while the shopper waited)",
    ["page", "source"],
    buckets=(0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0),
)
RESPONSES = Counter(
    "plaza_http_responses", "HTTP responses by status class (2xx, 3xx, 4xx, 5xx)", ["status"]
)
REFRESHES = Counter(
    "plaza_provider_refreshes",
    "Provider refreshes by outcome (ok, not_modified, failed) and, when failed, reason "
    "(source, unknown_kind, invalid_settings, internal)",
    ["outcome", "reason"],
)
DELIVERIES = Counter(
    "plaza_notification_deliveries",
    "What became of the notifications a worker took from the outbox (sent, retry, failed, "
    "skipped, held, digest, lost_lease)",
    ["outcome"],
)


def feed_page(*, first: bool, planned: bool, seconds: float) -> None:
    FEED_SECONDS.labels("first" if first else "next", "plan" if planned else "ranked").observe(
        seconds
    )


def response(status: int) -> None:
    RESPONSES.labels(f"{status // 100}xx").inc()


def refresh(outcome: str, reason: str = "") -> None:
    REFRESHES.labels(outcome, reason).inc()


def deliveries(tally: Mapping[str, int]) -> None:
    for outcome, count in tally.items():
        DELIVERIES.labels(outcome).inc(count)
