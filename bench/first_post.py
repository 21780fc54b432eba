"""How long the first community post in a fresh server process takes: with the screening
classifier loaded as the process starts (``PLAZA_SCREENING_WARM_UP``, which ``plaza
serve`` sets), against loaded by that first post.

    .venv/bin/python bench/first_post.py [--runs 3] [--wait 0] [--database-url URL] [--json]

Set-up (not timed): a fresh SQLite database (or the throw-away one given) with the demo
(``plaza db upgrade``, ``plaza demo``). Each run is a new Python process that builds the
app as a server process does (the catalog warm-up on, as ``plaza serve`` has it), signs
a shopper of its own in, opens a card's questions, waits ``--wait`` seconds (a server is
seldom posted to the moment it starts), and then times its first question and the one
after it, through the whole app (Flask's test client, no network). Runs alternate
between the classifier's warm-up off (loaded by the first post) and on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import database  # noqa: E402

SECRET = "first-post-bench-secret"
PASSWORD = "first-post-bench-password"  # made-up shoppers of a throw-away database
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def one_process(email: str, wait: float) -> dict[str, float]:
    """In a fresh process: build the app, sign in, open a thread, wait, post twice."""
    from sqlmodel import Session, col, select

    from app import create_app
    from app.models import Card

    started = time.perf_counter()
    app = create_app()
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    form = {"email": email, "password": PASSWORD, "csrf_token": _token(login)}
    if client.post("/login", data=form).status_code != 303:
        raise RuntimeError(f"signing in {email} failed")
    with Session(app.extensions["plaza.engine"]) as db:
        card_ids = db.exec(select(Card.id).order_by(col(Card.id))).all()
    for card_id in card_ids:  # the first card with a thread (one of an organisation's)
        thread = client.get(f"/cards/{card_id}/questions")
        if thread.status_code == 200:
            break
    else:
        raise RuntimeError("no card with a questions page: is the demo loaded?")
    token = _token(thread.get_data(as_text=True))
    time.sleep(wait)
    posted_at = time.perf_counter() - started
    figures = {"posted_after_s": round(posted_at, 2)}
    for name, title in (("first_ms", "Does it run true to size?"), ("second_ms", "Wide fit?")):
        before = time.perf_counter()
        answer = client.post(
            f"/cards/{card_id}/questions",
            data={"title": title, "body": "", "csrf_token": token},
        )
        figures[name] = round((time.perf_counter() - before) * 1000, 1)
        if answer.status_code != 303:
            raise RuntimeError(f"posting answered {answer.status_code}")
    return figures


def _token(page: str) -> str:
    found = TOKEN.search(page)
    if found is None:
        raise RuntimeError("no CSRF token on the page")
    return found[1]


def _plaza(env: dict[str, str], *command: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "app.cli", *command],
        env=env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip


def benchmark(args: argparse.Namespace, url: str) -> dict[str, Any]:
    env = {**os.environ, "PLAZA_DATABASE_URL": url, "PLAZA_SECRET_KEY": SECRET,
           "PLAZA_ENV_NAME": "development", "PYTHONPATH": str(ROOT),
           "PLAZA_CATALOG_WARM_UP": "true"}  # fmt: skip
    _plaza(env, "db", "upgrade")
    _plaza(env, "demo")
    runs: dict[str, list[dict[str, float]]] = {"loaded_at_first_post": [], "warmed_up": []}
    for n in range(args.runs):
        for arm, warm in (("loaded_at_first_post", "false"), ("warmed_up", "true")):
            # A shopper of its own each time: an account posts at most 10 times in 10 minutes.
            email = f"first-post-{n}-{warm}@example.com"
            _plaza(env, "users", "create", "--email", email, "--password", PASSWORD)
            child = subprocess.run(
                [sys.executable, __file__, "--child", email, "--wait", str(args.wait)],
                env={**env, "PLAZA_SCREENING_WARM_UP": warm},
                cwd=ROOT, capture_output=True, text=True,
            )  # fmt: skip
            if child.returncode != 0:
                raise RuntimeError(f"a measuring process failed:\n{child.stderr}")
            runs[arm].append(json.loads(child.stdout.splitlines()[-1]))
    return {
        "runs": args.runs,
        "wait_s": args.wait,
        **{
            f"{arm}_{figure}": statistics.median(run[figure] for run in measured)
            for arm, measured in runs.items()
            for figure in ("first_ms", "second_ms", "posted_after_s")
        },
        "all": runs,
    }


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"first post in a fresh process (median of {figures['runs']}, posted "
        f"{figures['wait_s']} s after sign-in):"
    ]
    for arm, words in (("loaded_at_first_post", "classifier loaded by the first post"),
                       ("warmed_up", "classifier loaded as the process starts")):  # fmt: skip
        lines.append(
            f"  {words:<38} first {figures[f'{arm}_first_ms']:8.1f} ms   second "
            f"{figures[f'{arm}_second_ms']:6.1f} ms   (posted "
            f"{figures[f'{arm}_posted_after_s']:.2f} s after the app was built)"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="processes of each kind")
    parser.add_argument("--wait", type=float, default=0.0, help="seconds before the first post")
    parser.add_argument("--child", metavar="EMAIL", help=argparse.SUPPRESS)
    database.add_options(parser)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_process(args.child, args.wait)))
        return 0
    return database.run(args, lambda url: benchmark(args, url), report)


if __name__ == "__main__":
    sys.exit(main())
