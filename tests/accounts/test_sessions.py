"""Sessions end when they should: remember-me is opt-in; each browser has its own
session, so a logout ends that browser's (neither a copy of its session cookie nor its
remember-me cookie signs anyone in afterwards) and leaves the others; the account page
lists the browsers and signs out any of them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import time_machine
from flask.testing import FlaskClient
from sqlalchemy import func
from sqlmodel import Session, select

from app import worker
from app.accounts.sessions import TOUCH_EVERY, user_for_cookie
from app.models import BrowserSession
from tests.conftest import PASSWORD, csrf_token
from tests.statements import recorded_sql

REMEMBER = "remember_token"


def log_in(client: FlaskClient, remember: bool, email: str = "shopper@example.com") -> str:
    token = csrf_token(client)
    data = {"email": email, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    # A login starts a new session, with a CSRF token of its own.
    return csrf_token(client, "/settings/notifications")


def cookie(client: FlaskClient, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found else None


def signed_in(client: FlaskClient) -> bool:
    response = client.get("/saved")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def browser_with(app, **cookies: str) -> FlaskClient:  # type: ignore[no-untyped-def]
    """A new browser holding only the given cookies (as a thief would replay them)."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


def test_remember_me_is_opt_in(world, app):
    world.consumer()
    plain = app.test_client()
    log_in(plain, remember=False)
    assert cookie(plain, REMEMBER) is None
    assert signed_in(plain)
    remembered = app.test_client()
    log_in(remembered, remember=True)
    assert cookie(remembered, REMEMBER) is not None
    # The remember-me cookie alone signs in a browser whose session cookie is gone.
    assert signed_in(browser_with(app, **{REMEMBER: cookie(remembered, REMEMBER)}))


def test_after_logout_neither_cookie_signs_in_again(world, app):
    world.consumer()
    client = app.test_client()
    token = log_in(client, remember=True)
    session_cookie, remember_cookie = cookie(client, "session"), cookie(client, REMEMBER)
    assert session_cookie and remember_cookie
    assert signed_in(browser_with(app, session=session_cookie))  # the copies work until then

    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert not signed_in(client)
    assert not signed_in(browser_with(app, session=session_cookie))
    assert not signed_in(browser_with(app, **{REMEMBER: remember_cookie}))
    assert not signed_in(browser_with(app, session=session_cookie, **{REMEMBER: remember_cookie}))


def test_logging_in_again_after_logout_works(world, app):
    world.consumer()
    client = app.test_client()
    token = log_in(client, remember=False)
    client.post("/logout", data={"csrf_token": token})
    log_in(client, remember=False)
    assert signed_in(client)


def test_a_cookie_naming_only_the_account_id_does_not_sign_in(world, app):
    """Cookies issued before sessions carried a token held only the id: they end."""
    user_id = world.consumer()
    client = app.test_client()
    log_in(client, remember=False)
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
    assert not signed_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:not-the-token"
    assert not signed_in(client)


def ua(client: FlaskClient, user_agent: str) -> FlaskClient:
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
)
LAPTOP = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Gecko/20100101 Firefox/133.0"


def test_logging_out_on_one_browser_leaves_the_other_signed_in(world, app):
    world.consumer()
    phone, laptop = app.test_client(), app.test_client()
    phone_token = log_in(phone, remember=True)
    log_in(laptop, remember=True)
    laptop_remember = cookie(laptop, REMEMBER)
    phone_session, phone_remember = cookie(phone, "session"), cookie(phone, REMEMBER)

    assert phone.post("/logout", data={"csrf_token": phone_token}).status_code == 303
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, session=phone_session))
    assert not signed_in(browser_with(app, **{REMEMBER: phone_remember}))
    assert signed_in(laptop)
    assert signed_in(browser_with(app, **{REMEMBER: laptop_remember}))


def test_sign_out_everywhere_ends_the_other_browser_not_this_one(world, app):
    world.consumer()
    phone, laptop = app.test_client(), app.test_client()
    log_in(phone, remember=True)
    phone_remember = cookie(phone, REMEMBER)
    token = log_in(laptop, remember=True)
    assert laptop.post("/account/sessions/end", data={"csrf_token": token}).status_code == 303
    assert signed_in(laptop)
    assert signed_in(browser_with(app, **{REMEMBER: cookie(laptop, REMEMBER)}))
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, **{REMEMBER: phone_remember}))


def test_the_account_page_lists_each_browser_and_signs_out_one(world, app):
    world.consumer()
    phone = ua(app.test_client(), PHONE)
    log_in(phone, remember=True)
    laptop = ua(app.test_client(), LAPTOP)
    token = log_in(laptop, remember=False)

    page = laptop.get("/account").get_data(as_text=True)
    devices = page[page.index('id="sessions-heading"') :]
    assert "Firefox on macOS <strong>· This device</strong>" in devices
    assert "Chrome on Android" in devices and "kept signed in" in devices
    assert "from 127.0.0.0/24" in devices  # the network, not the precise address
    (phone_end,) = re.findall(r'action="(/account/sessions/\d+/end)"', devices)

    assert laptop.post(phone_end, data={"csrf_token": token}).status_code == 303
    assert not signed_in(phone)
    assert signed_in(laptop)
    again = laptop.post(phone_end, data={"csrf_token": token})
    assert again.status_code == 404
    assert "already signed out" in again.get_data(as_text=True)


def test_no_one_signs_out_another_accounts_browser(world, app):
    victim_account = world.consumer()
    world.consumer("other@example.com")
    victim = ua(app.test_client(), PHONE)
    log_in(victim, remember=False)
    attacker = app.test_client()
    token = log_in(attacker, remember=False, email="other@example.com")
    victim_id = world.db.exec(
        select(BrowserSession.id).where(BrowserSession.user_id == victim_account)
    ).one()
    refused = attacker.post(f"/account/sessions/{victim_id}/end", data={"csrf_token": token})
    assert refused.status_code == 404
    assert signed_in(victim)


def test_a_session_ends_when_it_expires_and_the_worker_prunes_it(world, app):
    world.consumer()
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=1)  # unused that long
    start = datetime(2031, 3, 1, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        plain, kept = app.test_client(), app.test_client()
        log_in(plain, remember=False)
        log_in(kept, remember=True)
        kept_remember = cookie(kept, REMEMBER)
        clock.move_to(start + app.config["PERMANENT_SESSION_LIFETIME"] + timedelta(minutes=1))
        assert not signed_in(plain)
        assert signed_in(kept)
        clock.move_to(start + app.config["REMEMBER_COOKIE_DURATION"] * 3)
        assert not signed_in(browser_with(app, **{REMEMBER: kept_remember}))
        assert world.db.exec(select(func.count()).select_from(BrowserSession)).one() == 2
        worker.build_scheduler(app)
        worker.prune_old_personal_data()
        assert world.db.exec(select(func.count()).select_from(BrowserSession)).one() == 0


def test_last_seen_is_written_every_few_minutes_not_at_every_request(world, app):
    """Reading a session costs no write; the page shows roughly when a browser was last
    used, and a browser in use stays signed in."""
    world.consumer()
    start = datetime(2031, 3, 1, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        log_in(world.client, remember=False)

        def last_seen() -> datetime:
            world.db.expire_all()
            return world.db.exec(select(BrowserSession.last_seen_at)).one()

        clock.move_to(start + TOUCH_EVERY - timedelta(seconds=1))
        assert signed_in(world.client)
        assert last_seen() == start
        clock.move_to(start + TOUCH_EVERY)
        assert signed_in(world.client)
        assert last_seen() == start + TOUCH_EVERY
        # a browser in use stays signed in for a lifetime after it was last seen
        world.db.expire_all()
        expires = world.db.exec(select(BrowserSession.expires_at)).one()
        assert expires == start + TOUCH_EVERY + app.config["PERMANENT_SESSION_LIFETIME"]


def test_a_signed_in_request_reads_its_session_with_one_query(world, app):
    """The session check on every signed-in request: one primary-key read, no write."""
    world.consumer()
    log_in(world.client, remember=False)
    with world.client.session_transaction() as saved:
        key = saved["_user_id"]
    engine = world.db.get_bind()
    with recorded_sql(engine) as statements, Session(engine) as fresh:
        assert user_for_cookie(fresh, key, datetime.now(UTC)) is not None
    assert len(statements) == 1, statements
    assert "WHERE browser_session.id =" in statements[0]
