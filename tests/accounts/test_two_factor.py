"""Two-factor authentication: set up with a QR code, asked at login after the password,
recovery codes that work once, wrong codes rate limited, required for staff where the
deployment says so."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pyotp
import time_machine
from sqlmodel import select

from app.accounts.passwords import hash_password
from app.models import RecoveryCode, Role, User
from tests.accounts.test_sessions import REMEMBER, browser_with, cookie, signed_in
from tests.conftest import PASSWORD, csrf_token


def me(world, email: str = "shopper@example.com") -> User:  # type: ignore[no-untyped-def]
    world.db.expire_all()
    return world.db.exec(select(User).where(User.email == email)).one()


def set_up(world, client=None) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Turn two-factor on through the pages; the secret and the recovery codes shown."""
    client = client or world.client
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7]+)</code>', page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/account/two-factor",
        data={
            "setup-code": pyotp.TOTP(secret).now(),
            "csrf_token": csrf_token(client, "/account/two-factor"),
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.get_data(as_text=True))
    return secret, codes


def password_step(client, email: str = "shopper@example.com", remember: bool = False):  # type: ignore[no-untyped-def]
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def code_step(client, code: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/login/two-factor",
        data={"code": code, "csrf_token": csrf_token(client, "/login")},
    )


def later(seconds: int = 60):  # type: ignore[no-untyped-def]
    """A moment in a later TOTP step, so a new code is not a replay of the last one."""
    return time_machine.travel(datetime.now(UTC) + timedelta(seconds=seconds), tick=True)


def test_set_up_with_a_qr_code_then_login_asks_for_the_code(world, app):
    world.consumer()
    world.login()
    page = world.client.get("/account/two-factor").get_data(as_text=True)
    assert '<img class="qr" src="/account/two-factor/qr.svg"' in page
    assert "style=" not in page and "<script>" not in page.split("</head>")[1]
    qr = world.client.get("/account/two-factor/qr.svg")
    assert qr.mimetype == "image/svg+xml" and qr.headers["Cache-Control"] == "no-store"
    root = ElementTree.fromstring(qr.get_data(as_text=True))
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert b"script" not in qr.data and b"style" not in qr.data
    secret, codes = set_up(world)
    assert len(codes) == 10 and len(set(codes)) == 10
    user = me(world)
    assert user.totp_enabled_at is not None
    stored = [r.code_hash for r in world.db.exec(select(RecoveryCode)).all()]
    assert len(stored) == 10 and not any(c.replace("-", "") in stored for c in codes)
    assert world.client.get("/account/two-factor/qr.svg").status_code == 404  # never again
    assert "10 recovery codes left" in world.client.get("/account").get_data(as_text=True)

    fresh = app.test_client()
    response = password_step(fresh, remember=True)
    assert response.status_code == 303 and response.headers["Location"] == "/login/two-factor"
    assert not signed_in(fresh)  # the password alone signs no one in
    assert cookie(fresh, REMEMBER) is None
    with later():
        wrong = code_step(fresh, "000000")
        assert wrong.status_code == 401
        assert "That code is not right" in wrong.get_data(as_text=True)
        assert not signed_in(fresh)
        right = code_step(fresh, pyotp.TOTP(secret).now())
        assert right.status_code == 303
        assert signed_in(fresh)
        assert cookie(fresh, REMEMBER) is not None  # the choice made at the password step


def test_a_code_works_once(world, app):
    world.consumer()
    world.login()
    secret, _ = set_up(world)
    with later():
        code = pyotp.TOTP(secret).now()
        first, second = app.test_client(), app.test_client()
        password_step(first)
        assert code_step(first, code).status_code == 303
        password_step(second)
        assert code_step(second, code).status_code == 401
        assert not signed_in(second)


def test_a_recovery_code_signs_in_once(world, app):
    world.consumer()
    world.login()
    _, codes = set_up(world)
    client = app.test_client()
    password_step(client)
    response = code_step(client, codes[0].upper().replace("-", " "))
    assert response.status_code == 303
    assert "You used a recovery code; 9 left." in client.get("/").get_data(as_text=True)
    assert signed_in(client)
    other = app.test_client()
    password_step(other)
    assert code_step(other, codes[0]).status_code == 401
    assert not signed_in(other)


def test_wrong_codes_are_rate_limited_even_the_right_one_then(world, app):
    world.consumer()
    world.login()
    secret, _ = set_up(world)
    client = app.test_client()
    password_step(client)
    with later():
        for _ in range(5):
            assert code_step(client, "123456").status_code == 401
        limited = code_step(client, pyotp.TOTP(secret).now())
        assert limited.status_code == 401
        assert "Too many wrong codes" in limited.get_data(as_text=True)
        assert not signed_in(client)
    with later(16 * 60):
        password_step(client)
        assert code_step(client, pyotp.TOTP(secret).now()).status_code == 303


def test_the_second_step_expires_and_cannot_be_skipped(world, app):
    world.consumer()
    world.login()
    secret, _ = set_up(world)
    client = app.test_client()
    password_step(client)
    assert client.get("/saved").status_code == 302  # no page before the code
    with later(11 * 60):
        response = code_step(client, pyotp.TOTP(secret).now())
        assert response.status_code == 303 and response.headers["Location"] == "/login"
        assert not signed_in(client)
    stranger = app.test_client()
    assert code_step(stranger, pyotp.TOTP(secret).now()).headers["Location"] == "/login"


def test_turning_it_on_ends_other_sessions_and_off_needs_password_and_code(world, app):
    world.consumer()
    phone = app.test_client()
    password_step(phone, remember=True)
    phone_remember = cookie(phone, REMEMBER)
    token = world.login()
    secret, _ = set_up(world)
    assert signed_in(world.client)
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, **{REMEMBER: phone_remember}))
    with later():
        wrong = world.client.post(
            "/account/two-factor/off",
            data={
                "off-password": "not my password",
                "off-code": pyotp.TOTP(secret).now(),
                "csrf_token": token,
            },
        )
        assert wrong.status_code == 403
        assert me(world).totp_enabled_at is not None
        off = world.client.post(
            "/account/two-factor/off",
            data={
                "off-password": PASSWORD,
                "off-code": pyotp.TOTP(secret).now(),
                "csrf_token": token,
            },
        )
        assert off.status_code == 303
    user = me(world)
    assert user.totp_enabled_at is None and user.totp_secret is None
    assert world.db.exec(select(RecoveryCode)).all() == []
    assert password_step(app.test_client()).headers["Location"] == "/"


def test_deletion_asks_for_the_second_factor(world):
    world.consumer()
    world.login()
    secret, _ = set_up(world)
    token = csrf_token(world.client, "/account/delete")
    assert 'name="code"' in world.client.get("/account/delete").get_data(as_text=True)
    with later():
        refused = world.client.post(
            "/account/delete", data={"password": PASSWORD, "code": "000000", "csrf_token": token}
        )
        assert refused.status_code == 403
        assert "Nothing was deleted." in refused.get_data(as_text=True)
        assert me(world).id
        done = world.client.post(
            "/account/delete",
            data={"password": PASSWORD, "code": pyotp.TOTP(secret).now(), "csrf_token": token},
        )
        assert done.status_code == 303
    world.db.expire_all()
    assert world.db.exec(select(User)).all() == []


def staff(world) -> None:  # type: ignore[no-untyped-def]
    with world.app.app_context():
        world.db.add(
            User(email="staff@example.com", password_hash=hash_password(PASSWORD), role=Role.STAFF)
        )
        world.db.commit()


def test_staff_are_sent_to_set_it_up_where_required(world, app):
    staff(world)
    app.config["STAFF_TWO_FACTOR"] = True
    world.login("staff@example.com")
    for path in ("/", "/portal/", "/account", "/saved"):
        response = world.client.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"] == "/account/two-factor"
    assert world.client.get("/account/two-factor").status_code == 200
    assert world.client.get("/privacy").status_code == 200
    secret, _ = set_up(world)
    assert world.client.get("/portal/orgs").status_code == 200
    with later():
        refused = world.client.post(
            "/account/two-factor/off",
            data={
                "off-password": PASSWORD,
                "off-code": pyotp.TOTP(secret).now(),
                "csrf_token": csrf_token(world.client, "/account"),
            },
        )
        assert refused.status_code == 403
        assert "Staff accounts keep two-factor" in refused.get_data(as_text=True)


def test_staff_may_go_without_it_where_not_required(world, app):
    staff(world)
    world.login("staff@example.com")
    assert world.client.get("/account").status_code == 200
    # a consumer is never sent there, required or not
    world.consumer()
    app.config["STAFF_TWO_FACTOR"] = True
    client = app.test_client()
    world.login(client=client)
    assert client.get("/account").status_code == 200


def test_new_recovery_codes_replace_the_old_ones(world):
    world.consumer()
    token = world.login()
    secret, old = set_up(world)
    with later():
        response = world.client.post(
            "/account/two-factor/recovery-codes",
            data={"codes-code": pyotp.TOTP(secret).now(), "csrf_token": token},
        )
    assert response.status_code == 200
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    client = world.app.test_client()
    password_step(client)
    assert code_step(client, old[0]).status_code == 401
    assert code_step(client, new[0]).status_code == 303


def test_the_second_factor_comes_after_the_throttled_password_and_starts_a_fresh_session(
    world, app
):
    """The password step is throttled as any login (a browser that signed in before goes
    through); the second step then starts a fresh session, marks the browser as known,
    and remembers it only as asked."""
    world.consumer()
    world.login()
    secret, _ = set_up(world)
    known = app.test_client()
    with later():
        password_step(known)
        before = cookie(known, "session")
        assert code_step(known, pyotp.TOTP(secret).now()).status_code == 303
        assert signed_in(known)
        assert cookie(known, "plaza_device") is not None
        assert cookie(known, "session") != before  # a fresh session
        assert cookie(known, REMEMBER) is None  # not asked to remember
        known.post("/logout", data={"csrf_token": csrf_token(known, "/account")})
        assert not signed_in(known)
        app.config["LOGIN_MAX_FAILURES"] = 1
        stranger = app.test_client()
        for _ in range(2):  # a guesser's failures slow the email down
            stranger.post(
                "/login",
                data={
                    "email": "shopper@example.com",
                    "password": "not the password",
                    "csrf_token": csrf_token(stranger),
                },
            )
        assert password_step(app.test_client()).status_code == 429  # a new browser waits
        again = password_step(known)  # the known one goes through, to the second step
        assert again.status_code == 303 and again.headers["Location"] == "/login/two-factor"
        assert not signed_in(known)
        with later(120):
            assert code_step(known, pyotp.TOTP(secret).now()).status_code == 303
            assert signed_in(known)
