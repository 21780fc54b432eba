"""``/settings/feed``: the shopper shapes their feed, and it follows at once.

Each change saves itself (htmx posts the form on ``change`` and a small "Saved" note
answers); without JavaScript the form has a Save button and the post returns to the
page. A form Plaza did not offer (an unknown kind or value) is a 400 that says what
was wrong, and nothing is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest

from app import db
from app.shopper import feed_settings
from app.web.htmx import fragment_or_back, is_htmx, render_page_or_fragment

bp = Blueprint("feed_settings", __name__)


@bp.get("/settings/feed")
@login_required
def settings() -> ResponseReturnValue:
    chosen = feed_settings.settings_for(db.session(), current_user.id)
    return render_page_or_fragment(
        "feed/settings.html",
        "feed/_settings_form.html",
        rows=feed_settings.kind_rows(),
        chosen=chosen,
        choice_labels=feed_settings.CHOICE_LABELS,
        density_labels=feed_settings.DENSITY_LABELS,
    )


@bp.post("/settings/feed")
@login_required
def save() -> ResponseReturnValue:
    try:
        chosen = feed_settings.parse_form(request.form)
    except feed_settings.InvalidFeedSettings as exc:
        raise BadRequest(exc.message) from exc
    session = db.session()
    feed_settings.save(session, current_user.id, chosen, datetime.now(UTC))
    session.commit()
    if not is_htmx():
        flash("Feed settings saved. Your feed follows them now.", "success")
    return fragment_or_back(lambda: render_template("feed/_settings_saved.html"))
