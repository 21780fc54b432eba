"""Plaza: a mobile-first, personalized home feed for shoppers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from app import catalog_store, db, taxonomy_store
from app.accounts import account_views, privacy_views
from app.accounts import views as accounts_views
from app.api import reference_views as api_reference_views
from app.api import views as api_views
from app.cli import register_commands
from app.community import partner_views, report_views, screening
from app.community import views as community_views
from app.config import load_config
from app.extensions import compress, csrf, htmx, login_manager
from app.notifications import views as notifications_views
from app.portal import (
    access_views,
    home_views,
    join_views,
    media_views,
    profile_views,
    provider_views,
    result_views,
)
from app.portal import (
    community_views as portal_community_views,
)
from app.shopper import (
    action_views,
    feed_settings_views,
    feed_views,
    interest_views,
    search_views,
    share_views,
    why_views,
)
from app.staff import decision_views, editorial_views
from app.staff import views as staff_views
from app.web import (
    app_shell,
    errors,
    health,
    json_input,
    metrics_views,
    request_ids,
    security,
    shell_views,
    static,
    templating,
    uploads,
)
from app.web.converters import IdConverter

ROOT = Path(__file__).resolve().parent.parent
BLUEPRINTS = (
    accounts_views,
    account_views,
    feed_views,
    feed_settings_views,
    action_views,
    interest_views,
    search_views,
    share_views,
    health,
    metrics_views,
    privacy_views,
    shell_views,
    why_views,
    home_views,
    provider_views,
    result_views,
    profile_views,
    access_views,
    join_views,
    api_views,
    api_reference_views,
    notifications_views,
    report_views,
    staff_views,
    decision_views,
    editorial_views,
    community_views,
    portal_community_views,
    partner_views,
    media_views,
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory: configuration, extensions, blueprints, commands, in that order."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)
    request_ids.init_app(app)
    metrics_views.init_app(app)
    json_input.init_app(app)
    # after_request functions run last-registered first: compression after everything,
    # static files' caching after Flask-Login has looked at the session.
    compress.init_app(app)
    static.init_app(app)
    security.init_app(app)
    db.init_app(app)
    taxonomy_store.init_app(app, (test_config or {}).get("TAXONOMY"))
    catalog_store.init_app(app)
    if app.config["SCREENING_WARM_UP"]:
        screening.warm_up()
    uploads.init_app(app)  # before the CSRF check reads a form
    csrf.init_app(app)
    htmx.init_app(app)
    login_manager.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    app_shell.init_app(app)
    app.url_map.converters["id"] = IdConverter  # every page's row ids: <id:card_id>
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
    csrf.exempt(api_views.bp)  # bearer tokens only, never the session cookie: app/api/guard.py
    register_commands(app)
    return app
