"""The settings page: defaults that respect people, saving as you change (with htmx)
or with the Save button (without JavaScript), and bad input that changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.models.notifications import NotificationPreference, NotificationSettings
from app.notifications.catalog import Category, Channel, Frequency

HTMX = {"HX-Request": "true"}


def form(token: str, **changes: str) -> dict[str, str]:
    data = {
        "csrf_token": token,
        "timezone": "Europe/Paris",
        "quiet_enabled": "1",
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "push_daily_cap": "5",
    }
    return {**data, **changes}


def stored(db, user_id):
    db.expire_all()
    return db.get(NotificationSettings, user_id)


def test_settings_need_a_login(client):
    response = client.get("/settings/notifications")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_page_shows_respectful_defaults(world):
    world.consumer()
    world.login()
    world.app.config["SMTP_URL"] = "smtp://127.0.0.1:1"  # email set up (nothing is sent)
    html = world.client.get("/settings/notifications").get_data(as_text=True)
    assert 'name="products.in_app"' in html
    # In Plaza right away; email as a weekly digest; no push for promotions.
    assert _selected(html, "products.in_app") == "instant"
    assert _selected(html, "products.email") == "weekly"
    assert _selected(html, "promotions.push") == "off"
    assert _selected(html, "surveys.push") == "off"
    assert _selected(html, "surveys.often") == "instant"
    assert 'hx-trigger="change"' in html
    assert "data-timezone-field" in html
    assert "Turn on push here" in html
    # The account menu and the bell lead here and to the centre.
    assert 'href="/settings/notifications"' in html
    assert 'id="notification-bell"' in html


def _selected(html: str, name: str) -> str:
    start = html.index(f'name="{name}"')
    block = html[start : html.index("</select>", start)]
    return block.split(" selected")[0].rsplit('value="', 1)[1].split('"', 1)[0]


def test_saving_with_htmx_answers_saved_and_stores_only_what_differs(world, db):
    user = world.consumer()
    token = world.login()
    response = world.client.post(
        "/settings/notifications",
        data=form(token, **{"products.email": "daily", "videos.push": "off"}),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Saved." in response.get_data(as_text=True)
    assert "Time zone: Europe/Paris" in response.get_data(as_text=True)
    rows = db.exec(
        select(NotificationPreference).where(NotificationPreference.user_id == user)
    ).all()
    assert {(r.category, r.channel, r.frequency) for r in rows} == {
        (Category.PRODUCTS, Channel.EMAIL, Frequency.DAILY),
        (Category.VIDEOS, Channel.PUSH, Frequency.OFF),
    }
    settings = stored(db, user)
    assert (settings.timezone, settings.quiet_start, settings.quiet_end) == (
        "Europe/Paris",
        1320,
        420,
    )
    # The next digests are due at 08:00 in Paris.
    assert settings.daily_due_at.astimezone(ZoneInfo("Europe/Paris")).hour == 8


def test_saving_without_javascript_redirects_back_with_a_message(world, db):
    user = world.consumer()
    token = world.login()
    response = world.client.post(
        "/settings/notifications", data=form(token, quiet_enabled="", push_daily_cap="2")
    )
    assert response.status_code == 303
    page = world.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Notification settings saved." in page
    settings = stored(db, user)
    assert settings.quiet_start is None and settings.push_daily_cap == 2


def test_bad_input_is_explained_and_changes_nothing(world, db):
    user = world.consumer()
    token = world.login()
    world.client.post("/settings/notifications", data=form(token), headers=HTMX)
    cases = {
        "timezone": ("Mars/Olympus", "is not a time zone"),
        "quiet_end": ("22:00", "different start and end"),
        "quiet_start": ("25:00", "two times"),
        "push_daily_cap": ("0", "from 1 to 50"),
        "products.push": ("hourly", "not a frequency"),
    }
    for field, (value, message) in cases.items():
        response = world.client.post(
            "/settings/notifications",
            data=form(token, **{field: value, "products.email": "off"}),
            headers=HTMX,
        )
        assert response.status_code == 422, field
        assert message in response.get_data(as_text=True)
    no_js = world.client.post("/settings/notifications", data=form(token, timezone="Nowhere/Land"))
    assert no_js.status_code == 422
    assert "is not a time zone" in no_js.get_data(as_text=True)
    assert stored(db, user).timezone == "Europe/Paris"
    assert not db.exec(select(NotificationPreference)).all()


def test_quiet_hours_may_cross_midnight_or_not(world, db):
    user = world.consumer()
    token = world.login()
    for start, end in (("23:30", "06:15"), ("13:00", "14:00")):
        response = world.client.post(
            "/settings/notifications",
            data=form(token, quiet_start=start, quiet_end=end),
            headers=HTMX,
        )
        assert response.status_code == 200
    assert (stored(db, user).quiet_start, stored(db, user).quiet_end) == (780, 840)


def test_every_change_needs_the_csrf_token(world):
    world.consumer()
    world.login()
    for path in ("/settings/notifications", "/settings/notifications/pause"):
        assert world.client.post(path, data={"for": "1h"}).status_code == 400


def test_pause_for_a_while_and_resume(world, db):
    user = world.consumer()
    token = world.login()
    response = world.client.post(
        "/settings/notifications/pause", data={"csrf_token": token, "for": "1d"}, headers=HTMX
    )
    assert response.status_code == 200
    assert "Paused until" in response.get_data(as_text=True)
    paused = stored(db, user).paused_until
    assert abs(paused - (datetime.now(UTC) + timedelta(days=1))) < timedelta(minutes=1)
    assert stored(db, user).daily_due_at is not None
    world.client.post("/settings/notifications/pause", data={"csrf_token": token, "for": "resume"})
    assert stored(db, user).paused_until is None
    bad = world.client.post(
        "/settings/notifications/pause", data={"csrf_token": token, "for": "forever"}
    )
    assert bad.status_code == 400


def test_a_partial_post_changes_only_what_it_sends(world, db):
    """Attacker finding: a POST with one field answered "saved" and reset the time zone,
    quiet hours and every preference. Absent fields keep their values."""
    user = world.consumer()
    token = world.login()
    full = form(token, quiet_start="21:30", quiet_end="06:45", push_daily_cap="7")
    full["products.email"] = "off"
    assert world.client.post("/settings/notifications", data=full, headers=HTMX).status_code == 200
    before = stored(db, user)
    kept = (before.timezone, before.quiet_start, before.quiet_end, before.timezone_chosen)
    prefs = {(p.category, p.channel, p.frequency) for p in db.exec(select(NotificationPreference))}
    assert prefs == {("products", "email", "off")}

    for only in ({"push_daily_cap": "3"}, {"products.push": "off"}, {}):
        response = world.client.post(
            "/settings/notifications", data={"csrf_token": token, **only}, headers=HTMX
        )
        assert response.status_code == 200, only
    after = stored(db, user)
    assert (after.timezone, after.quiet_start, after.quiet_end, after.timezone_chosen) == kept
    assert after.push_daily_cap == 3
    now = {(p.category, p.channel, p.frequency) for p in db.exec(select(NotificationPreference))}
    assert now == prefs | {("products", "push", "off")}

    # The page's own form, with the quiet-hours box unticked, still turns them off.
    off = {k: v for k, v in form(token).items() if k != "quiet_enabled"}
    world.client.post("/settings/notifications", data=off, headers=HTMX)
    assert stored(db, user).quiet_start is None
