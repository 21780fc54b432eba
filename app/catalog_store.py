"""The running process's catalog snapshot (:mod:`app.ranking.catalog`) and the feed
visits it ranked ahead (:mod:`app.ranking.plans`): one of each per app, shared by its
request threads."""

from __future__ import annotations

from typing import cast

from flask import Flask, current_app
from sqlalchemy import Engine

from app.ranking.catalog import Catalog
from app.ranking.plans import FeedPlans
from cards.taxonomy import Taxonomy


def init_app(app: Flask) -> None:
    taxonomy = cast(Taxonomy, app.extensions["plaza.taxonomy"])
    catalog = app.extensions["plaza.catalog"] = Catalog(interest.slug for interest in taxonomy)
    app.extensions["plaza.feed_plans"] = FeedPlans()
    if app.config["CATALOG_WARM_UP"]:
        # A million cards take seconds to read: a server process does it as it starts,
        # and a feed page that comes meanwhile waits for it (other pages do not).
        catalog.warm_up(cast(Engine, app.extensions["plaza.engine"]))


def catalog() -> Catalog:
    return cast(Catalog, current_app.extensions["plaza.catalog"])


def feed_plans() -> FeedPlans:
    return cast(FeedPlans, current_app.extensions["plaza.feed_plans"])
