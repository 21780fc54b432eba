"""The consumer's time zone comes from their browser: with the sign-up form, or once on
the feed for accounts Plaza has none for. A zone they chose is never replaced, and a
zone Plaza does not know is refused without changing anything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.models import User
from app.models.notifications import NotificationSettings
from tests.conftest import account_mail_worker
from tests.signups import csrf_token, follow_link, link_in

SYDNEY = ZoneInfo("Australia/Sydney")
DETECT = "/settings/notifications/timezone"
REPORTER = "data-report-timezone"
HOSTILE = [
    "Mars/Olympus",
    "../../../etc/passwd",
    "Australia/Sydney\x00",
    "<script>alert(1)</script>",
    "Europe/" + "Paris" * 100,
    " Australia/Sydney",
]


def stored(db, user_id: int) -> NotificationSettings | None:
    db.expire_all()
    return db.get(NotificationSettings, user_id)


def sign_up(client, csrf: str, mailbox=None, **fields: str):  # type: ignore[no-untyped-def]
    """The sign-up form; with ``mailbox``, on through the emailed link to the password."""
    data = {"email": "new@example.com", **fields}
    first = client.post("/signup", data={"csrf_token": csrf, **data})
    if mailbox is None or first.status_code != 200:
        return first
    finish = follow_link(client, link_in(mailbox, "new@example.com"))
    password = {"password": "a long enough password", "csrf_token": csrf_token(client, finish)}
    return client.post(finish, data=password)


def detect(client, token: str, body: object):  # type: ignore[no-untyped-def]
    return client.post(DETECT, json=body, headers={"X-CSRFToken": token})


# --- Sign-up ---------------------------------------------------------------------------


def test_sign_up_stores_the_browsers_zone_with_digests_at_its_morning(world, db, mailbox):
    signup_page = world.client.get("/signup").get_data(as_text=True)
    assert 'name="timezone"' in signup_page and "data-browser-timezone" in signup_page
    response = sign_up(world.client, world.csrf("/signup"), mailbox, timezone="Australia/Sydney")
    assert response.status_code == 303
    user = db.exec(select(User).where(User.email == "new@example.com")).one()
    settings = stored(db, user.id)
    assert settings is not None
    assert (settings.timezone, settings.timezone_chosen) == ("Australia/Sydney", False)
    assert settings.daily_due_at.astimezone(SYDNEY).hour == 8
    # The settings page says where the zone came from.
    page = world.client.get("/settings/notifications").get_data(as_text=True)
    assert 'value="Australia/Sydney"' in page
    assert "Plaza took it from your browser" in page
    assert REPORTER not in page


def test_sign_up_without_javascript_keeps_utc_until_a_zone_is_known(world, db, mailbox):
    assert sign_up(world.client, world.csrf("/signup"), mailbox).status_code == 303
    user = db.exec(select(User).where(User.email == "new@example.com")).one()
    assert stored(db, user.id) is None  # UTC, as for every account Plaza knows no zone for
    page = world.client.get("/settings/notifications").get_data(as_text=True)
    assert "Until you set it, Plaza uses UTC." in page
    assert REPORTER in page  # with JavaScript, the settings page asks the browser


@pytest.mark.parametrize("zone", HOSTILE)
def test_sign_up_refuses_an_unknown_zone_and_creates_nothing(world, db, zone):
    response = sign_up(world.client, world.csrf("/signup"), timezone=zone)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Plaza does not know the time zone your browser reported" in page
    assert "<script>alert" not in page
    assert 'value="new@example.com"' in page  # what they typed is still there
    # The next try goes without the zone rather than being refused again.
    assert 'name="timezone" value=""' in page and "data-browser-timezone" not in page
    assert db.exec(select(User).where(User.email == "new@example.com")).first() is None
    assert db.exec(select(NotificationSettings)).all() == []


# --- Once, on the feed -----------------------------------------------------------------


def test_the_feed_detects_the_zone_once_and_keeps_it(world, db):
    user = world.consumer()
    token = world.login()
    assert REPORTER in world.client.get("/").get_data(as_text=True)
    response = detect(world.client, token, {"timezone": "Australia/Sydney"})
    assert response.status_code == 200
    assert response.json == {"status": "detected", "timezone": "Australia/Sydney"}
    assert stored(db, user).timezone == "Australia/Sydney"
    assert REPORTER not in world.client.get("/").get_data(as_text=True)
    # On holiday in Paris: the feed does not ask again, and a report changes nothing.
    again = detect(world.client, token, {"timezone": "Europe/Paris"})
    assert again.json == {"status": "kept", "timezone": "Australia/Sydney"}
    settings = stored(db, user)
    assert (settings.timezone, settings.timezone_chosen) == ("Australia/Sydney", False)


@pytest.mark.parametrize("chosen", ["Europe/Paris", ""])
def test_a_zone_chosen_in_settings_is_never_replaced(world, db, chosen):
    """Even an empty choice (UTC) stays: the consumer cleared the field on purpose."""
    user = world.consumer()
    token = world.login()
    saved = world.client.post(
        "/settings/notifications",
        data={"csrf_token": token, "timezone": chosen, "push_daily_cap": "5"},
    )
    assert saved.status_code == 303
    assert REPORTER not in world.client.get("/").get_data(as_text=True)
    assert REPORTER not in world.client.get("/settings/notifications").get_data(as_text=True)
    response = detect(world.client, token, {"timezone": "Australia/Sydney"})
    assert response.json == {"status": "kept", "timezone": chosen or None}
    settings = stored(db, user)
    assert (settings.timezone, settings.timezone_chosen) == (chosen or None, True)


def test_a_detected_zone_becomes_a_choice_once_the_settings_are_saved(world, db):
    user = world.consumer()
    token = world.login()
    detect(world.client, token, {"timezone": "Australia/Sydney"})
    world.client.post(
        "/settings/notifications",
        data={"csrf_token": token, "timezone": "Australia/Perth", "push_daily_cap": "5"},
    )
    settings = stored(db, user)
    assert (settings.timezone, settings.timezone_chosen) == ("Australia/Perth", True)
    page = world.client.get("/settings/notifications").get_data(as_text=True)
    assert "Plaza took it from your browser" not in page


@pytest.mark.parametrize(
    "body",
    [{"timezone": zone} for zone in HOSTILE]
    + [{"timezone": ""}, {"timezone": 10}, {"timezone": ["UTC"]}, {}, ["UTC"], "UTC", None],
)
def test_a_bad_report_is_refused_and_changes_nothing(world, db, body):
    user = world.consumer()
    token = world.login()
    response = detect(world.client, token, body)
    assert response.status_code == 400
    assert response.json["status"] == "error"
    assert "time zone" in response.json["detail"]
    assert stored(db, user) is None
    assert REPORTER in world.client.get("/").get_data(as_text=True)  # still asks


def test_a_report_needs_a_login_and_the_csrf_token(world, db):
    user = world.consumer()
    anonymous = world.app.test_client()
    signed_out = detect(anonymous, world.csrf("/login", anonymous), {"timezone": "UTC"})
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    world.login()
    no_token = world.client.post(DETECT, json={"timezone": "Australia/Sydney"})
    assert no_token.status_code == 400
    token = world.csrf("/")
    form = world.client.post(
        DETECT, data={"timezone": "Australia/Sydney"}, headers={"X-CSRFToken": token}
    )
    assert form.status_code == 400
    assert "JSON" in form.json["detail"]
    assert stored(db, user) is None


# --- Digests at the consumer's morning ----------------------------------------------------


def test_a_sydney_shopper_who_never_opened_settings_gets_the_digest_at_their_morning(
    world, notify, db
):
    client = world.client
    world.app.config["SMTP_URL"] = notify.mail.url
    with account_mail_worker(world.app):
        sign_up(client, world.csrf("/signup"), notify.mail, timezone="Australia/Sydney")
    user = db.exec(select(User.id).where(User.email == "new@example.com")).one()
    token = world.csrf("/onboarding")
    client.post("/interests/shoes/running/follow", data={"csrf_token": token})
    client.post("/onboarding", data={"csrf_token": token})
    notify.run()
    # Following running shoes, a card about all of shoes is a partial match: it waits.
    world.cards(world.provider(), 1, interests=("shoes",))
    notify.run()
    waiting = [r for r in notify.rows(user, channel="in_app") if r.state == "waiting"]
    assert [r.mode for r in waiting] == ["daily"]
    settings = stored(db, user)
    due = settings.daily_due_at
    assert due.astimezone(SYDNEY).hour == 8
    assert due.hour != 8  # not 8 am in UTC, which is evening in Sydney
    weekly = settings.weekly_due_at.astimezone(SYDNEY)
    assert (weekly.strftime("%A"), weekly.hour) == ("Monday", 8)
    assert notify.run(clock=lambda: due - timedelta(minutes=1)).get("digests", 0) == 0
    assert notify.run(clock=lambda: due + timedelta(minutes=1))["digests"] >= 1
    # One digest in Plaza at that morning (email has its own weekly one, which may meet it).
    (digest,) = [r for r in notify.rows(user, channel="in_app") if r.category == "digest"]
    assert digest.created_at == due + timedelta(minutes=1)
    next_due = stored(db, user).daily_due_at
    assert next_due.astimezone(SYDNEY).hour == 8 and next_due > due


def test_an_existing_account_moves_its_digest_to_local_morning_on_its_next_feed_visit(
    world, notify, db
):
    user = world.consumer(follows=("shoes/running",))
    notify.run()
    world.cards(world.provider(), 1)
    notify.run()  # the job gave them settings at UTC's morning
    assert stored(db, user).daily_due_at.hour == 8
    token = world.login()
    before = datetime.now(UTC)
    detect(world.client, token, {"timezone": "Australia/Sydney"})
    due = stored(db, user).daily_due_at
    assert due.astimezone(SYDNEY).hour == 8
    assert before < due <= before + timedelta(days=1)
