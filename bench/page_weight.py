"""What a phone downloads for the first feed page, and for /interests.

    .venv/bin/python bench/page_weight.py [--against REV] [--json]

Set-up (not measured): a fresh SQLite database in a temporary folder, migrated, with
``plaza demo`` loaded; the demo consumer (``demo@example.com``, who follows six
interests) signs in through ``/login`` as a browser would.

Measured, with the headers a browser sends (``Accept-Encoding: br, gzip``):

* the first feed page (``GET /``): its HTML as sent (compressed or not) and decoded;
* every stylesheet, script, icon and image the page references, fetched once each, as
  sent; images marked ``loading="lazy"`` are counted apart, since a phone fetches only
  those near the screen;
* what a second visit downloads: everything again except what came with
  ``Cache-Control: ... immutable`` (a browser does not even ask for those);
* ``GET /interests``: its HTML as sent and decoded.

Sizes are response bodies in bytes (headers left out). ``--against REV`` measures the
same things on git revision ``REV`` of this repository too (its files exported to a
temporary folder and run with this interpreter), for a before/after.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
BROWSER = {"Accept-Encoding": "br, gzip", "User-Agent": "plaza-page-weight"}
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "plaza-demo-pass"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HTMX = Path("static/vendor/htmx.min.js")  # installed by make, not committed


class References(HTMLParser):
    """The stylesheets, scripts, icons and images a page makes a browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[str, str] = {}  # url -> "css" | "js" | "icon" | "image" | "lazy image"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        rel = attr.get("rel", "").split()
        if tag == "link" and "stylesheet" in rel:
            self._add(attr.get("href"), "css")
        elif tag == "link" and "icon" in rel:
            self._add(attr.get("href"), "icon")
        elif tag == "script":
            self._add(attr.get("src"), "js")
        elif tag == "img":
            self._add(attr.get("src"), "lazy image" if attr.get("loading") == "lazy" else "image")

    def _add(self, url: str | None, what: str) -> None:
        if url and urlsplit(url).netloc == "":  # the page's own server only
            self.found.setdefault(url, what)


def decoded(body: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        import brotli  # flask-compress brings it

        return bytes(brotli.decompress(body))
    if encoding == "gzip":
        return gzip.decompress(body)
    return body


def measure(app_root: Path) -> dict[str, Any]:
    """Load the demo into the Plaza found at ``app_root`` and weigh its pages."""
    sys.path.insert(0, str(app_root))
    from app import create_app
    from app.db import make_engine
    from app.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="plaza-weight-") as folder:
        url = f"sqlite:///{folder}/plaza.sqlite3"
        upgrade(make_engine(url))
        app = create_app(
            {"SECRET_KEY": "page-weight-bench", "DATABASE_URL": url, "ARGON2_TIME_COST": 1,
             "ARGON2_MEMORY_COST": 1024}
        )  # fmt: skip
        loaded = app.test_cli_runner().invoke(args=["demo"])
        if loaded.exit_code != 0:
            raise SystemExit(f"plaza demo failed: {loaded.output}")
        client = app.test_client()
        login_page = client.get("/login", headers=BROWSER)
        match = TOKEN.search(decoded(login_page.data, login_page.content_encoding).decode())
        assert match, "no CSRF token on /login"
        signed_in = client.post(
            "/login",
            data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": match[1]},
            headers=BROWSER,
        )
        assert signed_in.status_code in (302, 303), f"login answered {signed_in.status_code}"

        def weigh(path: str) -> dict[str, Any]:
            response = client.get(path, headers=BROWSER)
            assert response.status_code == 200, f"{path} answered {response.status_code}"
            return {
                "url": path,
                "status": response.status_code,
                "encoding": response.content_encoding or "identity",
                "sent": len(response.data),
                "decoded": len(decoded(response.data, response.content_encoding)),
                "cache_control": response.headers.get("Cache-Control", ""),
                "body": response.data,
            }

        page = weigh("/")
        parser = References()
        parser.feed(decoded(page.pop("body"), None if page["encoding"] == "identity"
                            else page["encoding"]).decode())  # fmt: skip
        assets = []
        for asset_url, what in parser.found.items():
            asset = weigh(asset_url)
            del asset["body"]
            assets.append({"kind": what, **asset})
        interests = weigh("/interests")
        del interests["body"]
        app.extensions["plaza.engine"].dispose()

    def total(rows: list[dict[str, Any]], field: str = "sent") -> int:
        return sum(row[field] for row in rows)

    eager = [a for a in assets if a["kind"] != "lazy image"]
    lazy = [a for a in assets if a["kind"] == "lazy image"]
    refetched = [a for a in assets if "immutable" not in a["cache_control"]]
    return {
        "feed": page,
        "assets": assets,
        "feed_html_sent": page["sent"],
        "feed_html_decoded": page["decoded"],
        "assets_sent": total(eager),
        "assets_decoded": total(eager, "decoded"),
        "lazy_images": len(lazy),
        "lazy_images_sent": total(lazy),
        "first_visit_sent": page["sent"] + total(eager),
        "first_visit_with_every_image_sent": page["sent"] + total(assets),
        "second_visit_sent": page["sent"] + total(r for r in refetched if r in eager),
        "interests_sent": interests["sent"],
        "interests_decoded": interests["decoded"],
        "interests_encoding": interests["encoding"],
    }


def measure_revision(revision: str) -> dict[str, Any]:
    """``measure`` on the files of ``revision``, in a child process of this interpreter."""
    with tempfile.TemporaryDirectory(prefix="plaza-rev-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision], capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        if (ROOT / HTMX).exists():
            (Path(folder) / HTMX).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / HTMX, Path(folder) / HTMX)
        done = subprocess.run(
            [sys.executable, __file__, "--json", "--app-root", folder],
            capture_output=True, text=True, check=False, cwd=folder,
            env={**os.environ, "PYTHONSAFEPATH": "1"},
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"measuring {revision} failed:\n{done.stderr}")
        figures: dict[str, Any] = json.loads(done.stdout)["after"]
        figures["revision"] = revision
        return figures


def kb(size: int) -> str:
    return f"{size / 1000:.1f} KB"


def report(figures: dict[str, Any]) -> str:
    runs = [("before", figures["before"])] if "before" in figures else []
    runs.append(("now", figures["after"]))
    lines = ["Page weight of the demo consumer's pages (bodies as sent for br, gzip):"]
    for name, run in runs:
        label = f"{name} ({run['revision']})" if "revision" in run else name
        lines += [
            f"  {label}:",
            f"    first feed page HTML  {kb(run['feed_html_sent']):>9} sent"
            f" ({run['feed']['encoding']}), {kb(run['feed_html_decoded'])} decoded",
            f"    its CSS, JS, icons    {kb(run['assets_sent']):>9} sent,"
            f" {kb(run['assets_decoded'])} decoded",
            f"    first visit, total    {kb(run['first_visit_sent']):>9}"
            f" (+ {kb(run['lazy_images_sent'])} for all {run['lazy_images']} lazy images)",
            f"    second visit          {kb(run['second_visit_sent']):>9}",
            f"    /interests HTML       {kb(run['interests_sent']):>9} sent"
            f" ({run['interests_encoding']}), {kb(run['interests_decoded'])} decoded",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", metavar="REV", help="also measure this git revision")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--app-root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    figures = {"after": measure(args.app_root)}
    if args.against:
        figures["before"] = measure_revision(args.against)
    print(json.dumps(figures) if args.json else report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
