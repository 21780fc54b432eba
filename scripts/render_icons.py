"""Renders the app icons the web app manifest lists, from ``static/icon*.svg``.

    .venv/bin/python scripts/render_icons.py

Run once when an icon's SVG changes, and commit the PNGs: phones want PNG icons in
the manifest, and the SVGs are the source. Debian's Chromium (through Playwright, as
the browser tests drive it) draws them, so no image library is needed.
"""

from __future__ import annotations

import base64
from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parents[1] / "static"
ICONS = {"icon.svg": "icon", "icon-maskable.svg": "icon-maskable"}
SIZES = (192, 512)


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for source, stem in ICONS.items():
            data = base64.b64encode((STATIC / source).read_bytes()).decode()
            for size in SIZES:
                page = browser.new_page(viewport={"width": size, "height": size})
                page.set_content(
                    f'<body style="margin:0"><img src="data:image/svg+xml;base64,{data}"'
                    f' width="{size}" height="{size}" style="display:block"></body>'
                )
                page.screenshot(path=STATIC / f"{stem}-{size}.png", omit_background=True)
                page.close()
        browser.close()


if __name__ == "__main__":
    main()
