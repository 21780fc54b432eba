"""Notification pages: settings, the centre and its badge, push subscriptions,
one-click unsubscribe and the service worker.

Every form works without JavaScript (a POST that redirects back); with htmx
the settings save as they change and answer with a visible "Saved", and the
centre updates in place, refreshing the bell badge out of band.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app import db
from app.extensions import csrf
from app.models import User, stored_id
from app.models.notifications import Notification, PushSubscription
from app.notifications import inbox, preferences, subscriptions
from app.notifications.catalog import FREQUENCY_LABELS, Category, Channel, Frequency
from app.notifications.compose import digest_heading, digest_parts, digest_sections
from app.notifications.config import notify_config
from app.notifications.policy import DIGEST_CATEGORY
from app.notifications.timing import PAUSES, format_clock, timezone_groups, zone
from app.notifications.unsubscribe import read_token
from app.notifications.vapid import push_key
from app.ranking.candidates import shown_cards
from app.shopper.display import card_views
from app.web import top_bar
from app.web.app_shell import service_worker_script
from app.web.converters import parse_id
from app.web.htmx import fragment_or_back, is_htmx, redirect_back, render_page_or_fragment

bp = Blueprint("notifications", __name__)


@bp.record_once
def _bell_count(state: BlueprintSetupState) -> None:
    """The bell's number, read with the top bar's others when a page draws it."""
    top_bar.register(state.app, "unread", lambda user_id, _now: inbox.unread_count_query(user_id))


@bp.app_context_processor
def _lazy_state() -> dict[str, Any]:
    """Whether the zone is known, queried only when a page asks."""

    def timezone_unknown() -> bool:
        """Whether a page should ask the browser for the consumer's zone."""
        if not current_user.is_authenticated:
            return False
        settings = preferences.settings_for(db.session(), current_user.id)
        return settings.timezone is None and not settings.timezone_chosen

    return {"timezone_unknown": timezone_unknown}


def _now() -> datetime:
    return datetime.now(UTC)


# --- Settings ------------------------------------------------------------------------


def _offered() -> tuple[Channel, ...]:
    """The channels this server can deliver on (the page offers no others)."""
    email = notify_config(current_app).smtp_url is not None
    return preferences.offered_channels(email=email, push=push_key(current_app) is not None)


def _rows_context(devices: list[PushSubscription], **extra: Any) -> dict[str, Any]:
    """What the category rows need to be drawn, on the page or redrawn after a save.
    Push choices show at once for an account with a push device (elsewhere the page's
    script shows them where the browser can take push)."""
    return {
        "how_often": [(f, FREQUENCY_LABELS[f]) for f in Frequency if f != Frequency.OFF],
        "frequencies": [(f, FREQUENCY_LABELS[f]) for f in Frequency],
        "has_push_devices": bool(devices),
        **extra,
    }


def _settings_context(**extra: Any) -> dict[str, Any]:
    session = db.session()
    settings = preferences.settings_for(session, current_user.id)
    offered = _offered()
    push = _push_context()
    return {
        "settings": settings,
        "rows": preferences.category_rows(session, current_user.id, offered),
        "timezone_groups": timezone_groups(_now()),
        # Unchecked quiet hours still offer the usual times, ready to switch on.
        "quiet_start": format_clock(_or(settings.quiet_start, preferences.DEFAULT_QUIET[0])),
        "quiet_end": format_clock(_or(settings.quiet_end, preferences.DEFAULT_QUIET[1])),
        "pauses": [(key, label) for key, (_, label) in PAUSES.items()],
        "paused": settings.paused_until is not None and settings.paused_until > _now(),
        "local": lambda moment: moment.astimezone(zone(settings.timezone)),
        "email_available": Channel.EMAIL in offered,
        "push_offered": Channel.PUSH in offered,
        **_rows_context(push["devices"]),
        **push,
        **extra,
    }


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _push_context() -> dict[str, Any]:
    return {
        "vapid_key": push_key(current_app),
        "devices": subscriptions.devices(db.session(), current_user.id),
    }


@bp.get("/settings/notifications")
@login_required
def settings() -> str:
    return render_template("notifications/settings.html", **_settings_context())


@bp.post("/settings/notifications")
@login_required
def save_settings() -> ResponseReturnValue:
    """Save what the form sent: one control's fields (htmx, which gets the control's
    status and its row redrawn) or the whole form (without JavaScript)."""
    session = db.session()
    offered = _offered()
    try:
        form = preferences.parse_form(request.form)
    except preferences.InvalidSettings as exc:
        if is_htmx():
            return _varies(render_template("notifications/_status.html", error=exc.message), 422)
        context = _settings_context(error=exc.message, error_field=exc.field)
        return _varies(render_template("notifications/settings.html", **context), 422)
    before = preferences.settings_for(session, current_user.id).timezone
    now = _now()
    preferences.save(
        session, current_user.id, form, now, notify_config(current_app).digest_hour, offered
    )
    session.commit()
    changed = form.timezone is not preferences.KEEP and form.timezone != before
    detail = f"Time zone: {form.timezone}." if changed and form.timezone else ""
    if is_htmx():
        rows = preferences.category_rows(
            session, current_user.id, offered, [c for c in Category if c in form.categories()]
        )
        context = _rows_context(
            subscriptions.devices(session, current_user.id),
            rows=rows,
            saved=True,
            detail=detail,
            timezone_changed=form.timezone is not preferences.KEEP,
            settings=preferences.settings_for(session, current_user.id),
        )
        return _varies(render_template("notifications/_saved.html", **context))
    flash(f"Notification settings saved. {detail}".strip(), "success")
    return _varies(redirect(url_for("notifications.settings"), code=303))


def _varies(body: ResponseReturnValue, status: int | None = None) -> Response:
    """A response that differs for htmx and for a plain browser, and says so to caches."""
    response = make_response(body) if status is None else make_response(body, status)
    response.vary.add("HX-Request")
    return response


@bp.post("/settings/notifications/timezone")
@login_required
def detect_timezone() -> ResponseReturnValue:
    """The zone a page's script read from the browser, for an account whose zone Plaza
    does not know yet (sign-up sends it with the form; this is for everyone else)."""
    data = request.get_json(silent=True)
    name = data.get("timezone") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name:
        return _json_error('Send the time zone as JSON, like {"timezone": "Europe/Paris"}.')
    session = db.session()
    try:
        stored = preferences.detect_timezone(
            session, current_user.id, name, _now(), notify_config(current_app).digest_hour
        )
    except preferences.InvalidSettings as exc:
        return _json_error(exc.message)
    session.commit()
    timezone = preferences.settings_for(session, current_user.id).timezone
    return jsonify(status="detected" if stored else "kept", timezone=timezone)


@bp.post("/settings/notifications/pause")
@login_required
def pause() -> ResponseReturnValue:
    choice = request.form.get("for", "")
    if choice != "resume" and choice not in PAUSES:
        abort(400, description="Choose to pause for 1 hour, 1 day or 1 week, or to resume.")
    now = _now()
    until = None if choice == "resume" else now + PAUSES[choice][0]
    session = db.session()
    preferences.set_pause(
        session, current_user.id, until, now, notify_config(current_app).digest_hour
    )
    session.commit()
    return fragment_or_back(
        lambda: render_template("notifications/_pause.html", **_settings_context())
    )


@bp.post("/settings/notifications/email")
@login_required
def email_on() -> ResponseReturnValue:
    session = db.session()
    preferences.set_email_enabled(
        session, current_user.id, True, _now(), notify_config(current_app).digest_hour
    )
    session.commit()
    flash("Email is back on, as your settings below say.", "success")
    return redirect(url_for("notifications.settings"), code=303)


# --- Push subscriptions ----------------------------------------------------------------


@bp.get("/settings/notifications/push")
@login_required
def push_section() -> ResponseReturnValue:
    if push_key(current_app) is None:
        abort(404, description="Push notifications are not set up on this Plaza server.")
    return render_page_or_fragment(
        "notifications/settings.html", "notifications/_push.html", **_settings_context()
    )


def _json_error(message: str, status: int = 400) -> ResponseReturnValue:
    response = jsonify(status="error", detail=message)
    response.status_code = status
    return response


@bp.post("/notifications/push/subscriptions")
@login_required
def subscribe() -> ResponseReturnValue:
    data = request.get_json(silent=True)
    if data is None:
        return _json_error("Send the subscription as JSON (Content-Type: application/json).")
    try:
        info = subscriptions.parse_subscription(data)
    except subscriptions.InvalidSubscription as exc:
        return _json_error(str(exc))
    session = db.session()
    sub = subscriptions.save_subscription(
        session, current_user.id, info, request.user_agent.string, _now()
    )
    session.commit()
    return jsonify(status="subscribed", id=sub.id)


@bp.post("/notifications/push/subscriptions/remove")
@login_required
def unsubscribe_push() -> ResponseReturnValue:
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint") if isinstance(data, dict) else None
    if not isinstance(endpoint, str) or not endpoint:
        return _json_error("Send the endpoint of the subscription to remove, as JSON.")
    session = db.session()
    removed = subscriptions.remove_subscription(session, current_user.id, endpoint)
    session.commit()
    return jsonify(status="removed" if removed else "unknown")


@bp.post("/settings/notifications/devices/<id:subscription_id>/remove")
@login_required
def remove_device(subscription_id: int) -> ResponseReturnValue:
    session = db.session()
    subscriptions.remove_device(session, current_user.id, subscription_id)
    session.commit()
    return fragment_or_back(
        lambda: render_template("notifications/_push.html", **_settings_context())
    )


@bp.get("/sw.js")
def service_worker() -> ResponseReturnValue:
    """The service worker, served from the root so that its scope is the whole site,
    with the app shell's URLs in front of it (``app/web/app_shell.py``)."""
    response = Response(service_worker_script(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.add_etag()
    return response.make_conditional(request)


# --- The centre --------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def centre() -> ResponseReturnValue:
    before = parse_id(request.args.get("before"))
    result = inbox.page(db.session(), current_user.id, before)
    return render_page_or_fragment(
        "notifications/centre.html", "notifications/_inbox_page.html", page=result
    )


@bp.get("/notifications/bell")
@login_required
def bell() -> ResponseReturnValue:
    response = make_response(render_template("notifications/_bell.html"))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/notifications/<id:notification_id>/read")
@login_required
def read_one(notification_id: int) -> ResponseReturnValue:
    session = db.session()
    inbox.mark_read(session, current_user.id, notification_id, _now())
    session.commit()
    if not is_htmx():
        return redirect_back()
    entry = inbox.entry(session, current_user.id, notification_id)
    if entry is None:
        abort(404, description="This notification is no longer available.")
    return render_template("notifications/_entry.html", entry=entry, oob=True)


@bp.post("/notifications/read-all")
@login_required
def read_all() -> ResponseReturnValue:
    session = db.session()
    inbox.mark_all_read(session, current_user.id, _now())
    session.commit()
    return redirect(url_for("notifications.centre"), code=303)


@bp.get("/notifications/<id:notification_id>/open", endpoint="open")
@login_required
def open_notification(notification_id: int) -> ResponseReturnValue:
    """Where a notification leads (from the centre, a push or an email), marking it read."""
    session = db.session()
    row = inbox.find(session, current_user.id, notification_id)
    if row is None:
        abort(404, description="There is no such notification.")
    inbox.mark_subject_read(session, current_user.id, row, _now())
    session.commit()
    if row.category == DIGEST_CATEGORY:
        return redirect(url_for("notifications.digest", notification_id=row.id), code=303)
    if row.card_id is not None:
        return redirect(url_for("cards.open_card", card_id=row.card_id), code=303)
    return redirect(_local_path(str(row.content.get("path") or "")), code=303)


def _local_path(path: str) -> str:
    """A message's link, only if it stays on this site (no //host or /\\host tricks)."""
    parts = urlsplit(path)
    local = path.startswith("/") and not path.startswith(("//", "/\\"))
    return path if local and not parts.scheme and not parts.netloc else "/"


@bp.get("/notifications/<id:notification_id>")
@login_required
def digest(notification_id: int) -> str:
    session = db.session()
    row = inbox.find(session, current_user.id, notification_id)
    if row is None or row.category != DIGEST_CATEGORY:
        abort(404, description="There is no such digest.")
    shown = []
    for part in digest_parts(row):
        listed = [session.get(Notification, i) for i in part.item_ids]
        card_ids = [r.card_id for r in listed if r is not None and r.card_id]
        showable = shown_cards(session, card_ids, _now())
        cards = [showable[i] for i in card_ids if i in showable]
        views = card_views(session, [(card, None) for card in cards], current_user.id)
        if views:
            shown.append((part.mode, views))
    modes = [mode for mode, _ in shown] or [row.mode]
    titles = [section.title for section in digest_sections([(m, [], 0) for m, _ in shown])]
    return render_template(
        "notifications/digest.html",
        row=row,
        heading=digest_heading(modes),
        sections=list(zip(titles, [views for _, views in shown], strict=True)),
    )


# --- One-click unsubscribe (no login) ----------------------------------------------------


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str) -> ResponseReturnValue:
    """GET asks (link scanners must not unsubscribe anyone); POST does it, also as the
    RFC 8058 one-click POST a mail client sends, which carries no cookie or CSRF token:
    the signed token in the address is the authority here."""
    session = db.session()
    user_id = read_token(current_app.config["SECRET_KEY"], token)
    user = session.get(User, user_id) if user_id is not None else None
    if user is None:
        abort(
            400,
            description="This unsubscribe link is not valid. Open Plaza's "
            "notification settings to change your emails.",
        )
    done = None
    if request.method == "POST":
        enabled = request.form.get("action") == "resubscribe"
        preferences.set_email_enabled(
            session, stored_id(user), enabled, _now(), notify_config(current_app).digest_hour
        )
        session.commit()
        done = "resubscribed" if enabled else "unsubscribed"
    return render_template("notifications/unsubscribe.html", user=user, token=token, done=done)
