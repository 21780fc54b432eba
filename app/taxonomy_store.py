"""The taxonomy the running app uses: the shipped one, unless a test gives another."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from cards.taxonomy import Taxonomy, default_taxonomy


def init_app(app: Flask, override: Taxonomy | None = None) -> None:
    app.extensions["plaza.taxonomy"] = override or default_taxonomy()


def taxonomy() -> Taxonomy:
    return cast(Taxonomy, current_app.extensions["plaza.taxonomy"])
