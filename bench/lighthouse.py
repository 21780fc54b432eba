"""Lighthouse's four scores for Plaza's main pages, as a phone sees them.

    .venv/bin/python bench/lighthouse.py [--pages feed,saved,...] [--runs 3]
                                         [--reports DIR] [--json]

Set-up (not scored): Lighthouse, pinned in ``bench/lighthouse/package.json`` and
``package-lock.json``, is installed from the npm registry into
``bench/lighthouse/node_modules/`` (not committed) when it is missing; a fresh SQLite
database in a temporary folder gets the migrations and ``plaza demo``; Plaza is started
as production runs it (``plaza serve --no-worker``) on a free loopback port. Pages
that need an account are scored signed in: the demo shopper (or the demo retailer, for
the portal) signs in through ``/login`` as a browser would, and Lighthouse sends that
session cookie with every request (``--extra-headers``).

Each page is scored by ``--runs`` runs (3) of Lighthouse's default (mobile: a
mid-range phone, throttled network and CPU) with Debian's Chromium
(``CHROME_PATH=/usr/bin/chromium``), one run at a time; the run with the median
performance score stands for the page, as Lighthouse's own advice on variance has it
(on a machine shared with other work, a single run's blocking time varies several
times over). Printed: performance, accessibility, best practices and SEO per page,
from 0 to 1, and what kept a page under 1 (the audits that failed); ``--reports DIR``
keeps every run's full Lighthouse report there. ``--json`` prints all
figures as one JSON object: per page its scores, the failed audits, and the metrics
(first/largest contentful paint, total blocking time, cumulative layout shift, speed
index, in ms or unitless).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.feed_load import Server  # noqa: E402

LIGHTHOUSE_DIR = ROOT / "bench" / "lighthouse"
LIGHTHOUSE = LIGHTHOUSE_DIR / "node_modules" / ".bin" / "lighthouse"
CHROME = "/usr/bin/chromium"
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking "
    "--disable-component-update --disable-sync --no-first-run"
)
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
METRICS = (
    "first-contentful-paint",
    "largest-contentful-paint",
    "total-blocking-time",
    "cumulative-layout-shift",
    "speed-index",
)
# Lighthouse now and then loses a run's trace on a busy machine (NO_NAVSTART): once more.
ATTEMPTS = 2
DEMO_PASSWORD = "plaza-demo-pass"
SHOPPER = "demo@example.com"
RETAILER = "retailer@example.com"


@dataclass(frozen=True)
class Page:
    name: str
    path: str
    account: str | None  # whose session Lighthouse sends; None: signed out


PAGES = (
    Page("landing", "/", None),
    Page("login", "/login", None),
    Page("feed", "/", SHOPPER),
    Page("saved", "/saved", SHOPPER),
    Page("interests", "/interests", SHOPPER),
    Page("notification settings", "/settings/notifications", SHOPPER),
    Page("portal dashboard", "/portal/northwind/", RETAILER),
)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    names = [page.name for page in PAGES]
    parser.add_argument(
        "--pages",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=names,
        help=f"comma-separated, of: {', '.join(names)} (default: all)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per page; the median stands")
    parser.add_argument("--reports", type=Path, help="a folder to keep each run's report in")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    unknown = [name for name in args.pages if name not in names]
    if unknown:
        parser.error(f"unknown page {', '.join(unknown)}: one of {', '.join(names)}")
    return args


def install_lighthouse() -> None:
    """``npm ci`` from the committed lock file, once: the same Lighthouse every time."""
    if LIGHTHOUSE.exists():
        return
    if shutil.which("npm") is None:
        raise RuntimeError("npm is needed to install Lighthouse (Node.js 18.16 or later)")
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=LIGHTHOUSE_DIR, check=True,
    )  # fmt: skip


def summary(report: dict[str, Any]) -> dict[str, Any]:
    """What a Lighthouse JSON report says about a page, in a few figures."""
    categories = report["categories"]
    audits = report["audits"]
    failed = sorted(
        {
            ref["id"]
            for name in CATEGORIES
            for ref in categories[name]["auditRefs"]
            if ref.get("weight", 0) > 0
            and audits[ref["id"]].get("score") is not None
            and audits[ref["id"]]["score"] < 1
            and audits[ref["id"]].get("scoreDisplayMode") == "binary"
        }
    )
    return {
        "scores": {name: categories[name]["score"] for name in CATEGORIES},
        "failed_audits": failed,
        "metrics": {
            name: round(audits[name]["numericValue"], 3)
            for name in METRICS
            if audits.get(name, {}).get("numericValue") is not None
        },
        "final_url": report.get("finalDisplayedUrl") or report.get("finalUrl"),
    }


def run_lighthouse(url: str, cookie: str | None, output: Path) -> dict[str, Any]:
    """One Lighthouse run on ``url``; its full report is left at ``output``."""
    command = [
        str(LIGHTHOUSE), url,
        "--output=json", f"--output-path={output}", "--quiet",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]  # fmt: skip
    if cookie:
        command.append(f"--extra-headers={json.dumps({'Cookie': cookie})}")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", CHROME)}
    for _ in range(ATTEMPTS):
        output.unlink(missing_ok=True)
        done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=output.parent)
        if done.returncode == 0 and output.exists():
            return summary(json.loads(output.read_text()))
    raise RuntimeError(f"Lighthouse failed {ATTEMPTS} times on {url}:\n{done.stderr[-2000:]}")


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run whose performance score is the median (the lower middle one of an even
    number), with every run's performance score beside it."""
    ordered = sorted(runs, key=lambda run: run["scores"]["performance"] or 0)
    chosen = ordered[(len(ordered) - 1) // 2]
    return {**chosen, "performance_runs": [run["scores"]["performance"] for run in runs]}


def benchmark(args: argparse.Namespace) -> dict[str, Any]:
    install_lighthouse()
    with tempfile.TemporaryDirectory(prefix="plaza-lighthouse-") as folder:
        workdir = Path(folder)
        url = f"sqlite:///{workdir}/plaza.sqlite3"
        env = {**os.environ, "PLAZA_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        for command in (("db", "upgrade"), ("demo",)):
            subprocess.run(
                [sys.executable, "-m", "app.cli", *command],
                env=env, cwd=ROOT, check=True, capture_output=True,
            )  # fmt: skip
        server = Server(url, workdir)
        try:
            cookies: dict[str, str] = {}
            pages: dict[str, Any] = {}
            for page in PAGES:
                if page.name not in args.pages:
                    continue
                cookie = None
                if page.account is not None:
                    if page.account not in cookies:
                        cookies[page.account] = server.sign_in(page.account, DEMO_PASSWORD)
                    cookie = cookies[page.account]
                address = f"http://127.0.0.1:{server.port}{page.path}"
                folder = args.reports or workdir
                folder.mkdir(parents=True, exist_ok=True)
                slug = page.name.replace(" ", "-")
                runs = [
                    run_lighthouse(address, cookie, folder / f"{slug}-{n + 1}.json")
                    for n in range(args.runs)
                ]
                pages[page.name] = {"path": page.path, "account": page.account,
                                    **median_run(runs)}  # fmt: skip
        finally:
            server.stop()
    version = json.loads((LIGHTHOUSE_DIR / "package.json").read_text())["dependencies"]
    return {"lighthouse": version["lighthouse"], "form_factor": "mobile", "runs": args.runs,
            "pages": pages}  # fmt: skip


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"Lighthouse {figures['lighthouse']}, {figures['form_factor']}, the median of "
        f"{figures['runs']} runs a page:",
        f"  {'page':<24}{'perf':>6}{'a11y':>6}{'best':>6}{'seo':>6}  failed audits",
    ]
    for name, page in figures["pages"].items():
        scores = "".join(
            f"{'-' if page['scores'][c] is None else format(page['scores'][c], '.2f'):>6}"
            for c in CATEGORIES
        )
        lines.append(f"  {name:<24}{scores}  {', '.join(page['failed_audits']) or '-'}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    figures = benchmark(args)
    print(json.dumps(figures) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
