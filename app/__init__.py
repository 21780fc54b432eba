"""Plaza: a mobile-first, personalized home feed for shoppers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, in that order."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    from app.config import load_config

    load_config(app, test_config)

    from app import db, errors, taxonomy_store, templating
    from app.extensions import csrf, htmx, login_manager

    db.init_app(app)
    taxonomy_store.init_app(app, (test_config or {}).get("TAXONOMY"))
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)
    templating.init_app(app)

    from app import actions, auth, feed, health, interests, why

    for module in (auth, feed, actions, interests, health, why):
        app.register_blueprint(module.bp)

    from app.api import views as api
    from app.portal import access_views, home, join, provider_views, result_views

    for module in (home, provider_views, result_views, access_views, join):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # bearer tokens only, never the session cookie: see app/api/guard.py

    from app.notifications.routes import bp as notifications_bp

    app.register_blueprint(notifications_bp)

    from app.cli import register_commands

    register_commands(app)
    return app
