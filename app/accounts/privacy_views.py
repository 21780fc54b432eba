"""``/privacy``: what Plaza keeps about a person, why, and for how long, in plain words
and with this deployment's own numbers (the settings, and the constants the code keeps)."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue

from app.accounts.links import VALID_FOR
from app.accounts.retention import LINK_KEEP
from app.ingest.retention import MAX_AGE
from app.models import TokenPurpose
from app.ranking.candidates import EVENT_HORIZON
from app.ranking.rollup import WINDOW_DAYS

bp = Blueprint("pages", __name__)


@bp.get("/privacy")
def privacy() -> ResponseReturnValue:
    config = current_app.config
    numbers = {
        "event_days": config["EVENT_RETENTION_DAYS"],
        "notification_days": config["NOTIFICATION_RETENTION_DAYS"],
        "learning_days": EVENT_HORIZON.days,
        "popularity_days": WINDOW_DAYS,
        "results_days": config["RESULTS_RETENTION_DAYS"],
        "card_days": MAX_AGE.days,
        "session_days": config["PERMANENT_SESSION_LIFETIME"].days,
        "remember_days": config["REMEMBER_COOKIE_DURATION"].days,
        "reset_hours": int(VALID_FOR[TokenPurpose.RESET_PASSWORD].total_seconds() // 3600),
        "confirm_hours": int(VALID_FOR[TokenPurpose.CONFIRM_EMAIL].total_seconds() // 3600),
        "link_days": LINK_KEEP.days,
        "prepared_minutes": config["PREPARED_FEED_MAX_AGE_MINUTES"],
        "prepared_days": config["PREPARED_FEED_ACTIVE_DAYS"],
    }
    return render_template("privacy.html", **numbers)
