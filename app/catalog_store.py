"""The running process's catalog snapshot (:mod:`app.ranking.catalog`): one per app,
over the app's taxonomy, shared by its request threads."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app

from app.ranking.catalog import Catalog
from cards.taxonomy import Taxonomy


def init_app(app: Flask) -> None:
    taxonomy = cast(Taxonomy, app.extensions["plaza.taxonomy"])
    app.extensions["plaza.catalog"] = Catalog(interest.slug for interest in taxonomy)


def catalog() -> Catalog:
    return cast(Catalog, current_app.extensions["plaza.catalog"])
