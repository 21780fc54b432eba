"""What counting responses and naming requests cost a request: metrics and request ids.

    .venv/bin/python bench/request_overhead.py [--healthz 5000] [--feed 150] [--rounds 5]
                                               [--cards 300] [--calls 200000] [--json]

Set-up (not timed): a fresh SQLite file with one shop of ``--cards`` running-shoe cards
(stored through the ingest path) and a shopper who follows running shoes, signed in
through Flask's test client.

What is timed (wall clock, in this process, through the test client, after a warm-up):
``GET /healthz`` ``--healthz`` times and the shopper's first feed page ``--feed`` times,
with Plaza's per-request hooks (the status-class counter of
``app.web.metrics_views``, the request id of ``app.web.request_ids``) and without them
(taken off the app), in ``--rounds`` alternating rounds; the medians per request and
their difference. The feed page's own histogram observation stays in both, so it is
also timed alone: one call of each recording function, in this process and in
prometheus_client's multi-process mode (what ``plaza serve`` uses: a memory-mapped
file), ``--calls`` times each, in microseconds a call.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlmodel import Session  # noqa: E402

from app import create_app  # noqa: E402
from app.accounts.users import create_user  # noqa: E402
from app.db import make_engine  # noqa: E402
from app.ingest.store import store_drafts  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import InterestState, Organization, Provider  # noqa: E402
from app.shopper.interests import set_interest_state  # noqa: E402
from app.taxonomy_store import taxonomy  # noqa: E402
from app.web import metrics_views, request_ids  # noqa: E402
from cards.spec import CardDraft  # noqa: E402

EMAIL, PASSWORD = "shopper@example.com", "correct horse battery staple"
RUNNING_SHOES = "shoes/athletic-shoes/running-shoes"

RECORDING = """
import sys, timeit
from app.metrics import recorded
n = int(sys.argv[1])
print(timeit.timeit(lambda: recorded.response(200), number=n) / n * 1e6,
      timeit.timeit(lambda: recorded.feed_page(first=True, planned=False, seconds=0.02),
                    number=n) / n * 1e6)
"""


def shop_and_shopper(app: Flask, cards: int) -> None:
    now = datetime.now(UTC)
    with app.app_context(), Session(app.extensions["plaza.engine"]) as db:
        org = Organization(slug="bench", name="Bench shoes")
        db.add(org)
        db.flush()
        shop = Provider(organization_id=org.id, kind="product_feed", name="Shoes")
        db.add(shop)
        user = create_user(db, EMAIL, PASSWORD)
        set_interest_state(db, user.id, RUNNING_SHOES, InterestState.FOLLOW)
        user.onboarded_at = now
        db.commit()
        drafts = [
            CardDraft(external_id=f"shoe-{n}", title=f"Trail shoe {n}",
                      url=f"https://shop.example/{n}", interests=[RUNNING_SHOES],
                      payload={"price": "90.00", "currency": "EUR"},
                      published_at=now - timedelta(minutes=n))
            for n in range(cards)
        ]  # fmt: skip
        store_drafts(db, shop, drafts, taxonomy(), now)
        db.commit()


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no login form"
    client.post("/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token[1]})
    return client


def per_request_ms(get: Callable[[], Any], times: int) -> float:
    started = time.perf_counter()
    for _ in range(times):
        get()
    return (time.perf_counter() - started) / times * 1000


class Hooks:
    """Plaza's per-request metric and request-id hooks, which can be taken off the app."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.places = (
            (app.before_request_funcs, request_ids._begin),
            (app.after_request_funcs, request_ids._echo),
            (app.after_request_funcs, metrics_views._count),
            (app.teardown_request_funcs, request_ids._end),
        )

    def off(self) -> None:
        for funcs, hook in self.places:
            funcs[None].remove(hook)

    def on(self) -> None:
        for funcs, hook in self.places:
            funcs[None].append(hook)


def side_by_side(hooks: Hooks, get: Callable[[], Any], times: int, rounds: int) -> dict[str, float]:
    get()  # warm-up
    with_hooks, without = [], []
    for _ in range(rounds):
        with_hooks.append(per_request_ms(get, times))
        hooks.off()
        without.append(per_request_ms(get, times))
        hooks.on()
    on, off = statistics.median(with_hooks), statistics.median(without)
    return {
        "with_hooks_ms": round(on, 4),
        "without_hooks_ms": round(off, 4),
        "overhead_us": round((on - off) * 1000, 1),
        "overhead_percent": round((on - off) / off * 100, 2),
    }


def recording_us(multiprocess: bool, calls: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="plaza-metrics-") as folder:
        env = dict(os.environ)
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if multiprocess:
            env["PROMETHEUS_MULTIPROC_DIR"] = folder
        out = subprocess.run([sys.executable, "-c", RECORDING, str(calls)], env=env, cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout  # fmt: skip
    response, feed = (float(v) for v in out.split())
    return {"response_counter_us": round(response, 2), "feed_histogram_us": round(feed, 2)}


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="plaza-bench-") as folder:
        url = f"sqlite:///{folder}/bench.sqlite3"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        app = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "ARGON2_TIME_COST": 1,
                          "ARGON2_MEMORY_COST": 1024})  # fmt: skip
        app.instance_path = folder
        shop_and_shopper(app, args.cards)
        client = signed_in(app)
        hooks = Hooks(app)
        healthz = side_by_side(hooks, lambda: client.get("/healthz"), args.healthz, args.rounds)
        feed = side_by_side(hooks, lambda: client.get("/"), args.feed, args.rounds)
        app.extensions["plaza.engine"].dispose()
    return {
        "healthz": healthz,
        "feed_first_page": feed,
        "recording_in_process": recording_us(multiprocess=False, calls=args.calls),
        "recording_multiprocess": recording_us(multiprocess=True, calls=args.calls),
    }


def report(figures: dict[str, Any]) -> str:
    lines = []
    for name in ("healthz", "feed_first_page"):
        f = figures[name]
        lines.append(
            f"{name:<16} {f['with_hooks_ms']:.3f} ms with the hooks, "
            f"{f['without_hooks_ms']:.3f} ms without: {f['overhead_us']:+.1f} µs "
            f"({f['overhead_percent']:+.2f}%)"
        )
    for mode in ("in_process", "multiprocess"):
        r = figures[f"recording_{mode}"]
        lines.append(
            f"recording, {mode:<12} response counter {r['response_counter_us']:.2f} µs, "
            f"feed histogram {r['feed_histogram_us']:.2f} µs"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--healthz", type=int, default=5000, help="/healthz requests a round")
    parser.add_argument("--feed", type=int, default=150, help="feed pages a round")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds")
    parser.add_argument("--cards", type=int, default=300, help="cards in the shop (300)")
    parser.add_argument("--calls", type=int, default=200_000, help="calls of each recording")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if min(args.healthz, args.feed, args.rounds, args.cards, args.calls) < 1:
        parser.error("every number must be at least 1")
    figures = benchmark(args)
    print(json.dumps(figures) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
