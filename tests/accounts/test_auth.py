"""Accounts: sign up, log in, log out, CSRF and throttling."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlmodel import select

from app.models import LoginAttempt, User
from tests.signups import sign_up


def test_signup_creates_an_argon2id_account_and_starts_onboarding(world, client, db, mailbox):
    response = sign_up(client, mailbox, "New.Person@Example.com", world.password)
    assert response.status_code == 303
    assert response.headers["Location"] == "/onboarding"
    user = db.exec(select(User)).one()
    assert user.email == "new.person@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert world.password not in user.password_hash
    assert client.get("/").headers["Location"] == "/onboarding"


def test_signup_refuses_a_short_password_and_keeps_nothing(world, client, db, mailbox):
    response = sign_up(client, mailbox, "a@example.com", "short")
    assert response.status_code == 400
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert db.exec(select(User)).all() == []


def test_missing_csrf_token_is_refused_and_changes_nothing(world, client, db):
    response = client.post("/signup", data={"email": "a@example.com", "password": world.password})
    assert response.status_code == 400
    assert db.exec(select(User)).all() == []


def test_wrong_password_is_refused_with_a_message(world):
    world.consumer()
    token = world.csrf()
    response = world.client.post(
        "/login",
        data={"email": "shopper@example.com", "password": "not the password", "csrf_token": token},
    )
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert world.client.get("/saved").status_code == 302  # still logged out


def test_login_and_logout(world):
    world.consumer()
    token = world.login()
    assert world.client.get("/saved").status_code == 200
    assert world.client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert world.client.get("/saved").status_code == 302


def test_session_cookie_is_httponly_and_lax(world):
    world.consumer()
    token = world.csrf()
    response = world.client.post(
        "/login",
        data={"email": "shopper@example.com", "password": world.password, "csrf_token": token},
    )
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie
    assert "SameSite=Lax" in session_cookie


def test_repeated_failures_slow_attempts_down_without_locking_the_owner_out(world):
    world.consumer()
    token = world.csrf()
    bad = {"email": "shopper@example.com", "password": "wrong password!", "csrf_token": token}
    good = {**bad, "password": world.password}
    start = datetime.now(UTC)
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(world.app.config["LOGIN_MAX_FAILURES"]):
            assert world.client.post("/login", data=bad).status_code == 401
        waits = []
        for _ in range(4):
            response = world.client.post("/login", data=good)
            assert response.status_code == 429
            assert "Too many failed attempts. Try again in" in response.get_data(as_text=True)
            waits.append(int(response.headers["Retry-After"]))
            clock.shift(waits[-1])
            assert world.client.post("/login", data=bad).status_code == 401
        assert waits == [1, 2, 4, 8]  # twice as long after each failure
        clock.shift(16)
        assert world.client.post("/login", data=good).status_code == 303  # never locked out
    failures = world.db.exec(select(LoginAttempt).where(LoginAttempt.succeeded == False)).all()  # noqa: E712
    assert len(failures) == world.app.config["LOGIN_MAX_FAILURES"] + 4


def login_from(world, client, email, password, ip):
    token = world.csrf(client=client)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_strangers_on_one_address_do_not_lock_out_a_known_device(world):
    """Attacker finding: behind a proxy every user shares one address, and 30 failed
    logins from it locked out another user who had the right password."""
    # The clock stands still: on a busy machine the attempts could outlast the slow-down.
    with time_machine.travel(datetime.now(UTC), tick=False):
        world.consumer()
        owner = world.app.test_client()
        assert (
            login_from(world, owner, "shopper@example.com", world.password, "10.0.0.1").status_code
            == 303
        )
        owner.post("/logout", data={"csrf_token": world.csrf("/settings/notifications", owner)})
        stranger = world.app.test_client()
        for n in range(world.app.config["LOGIN_MAX_FAILURES_PER_IP"] + 5):
            login_from(world, stranger, f"guess{n}@example.com", "wrong password!", "10.0.0.1")
            login_from(world, stranger, "shopper@example.com", "wrong password!", "10.0.0.1")
        # A new browser on the shared address is slowed down, not shut out for the window.
        newcomer = login_from(world, world.app.test_client(), "shopper@example.com", world.password,
                              "10.0.0.1")  # fmt: skip
        assert newcomer.status_code == 429
        assert int(newcomer.headers["Retry-After"]) <= world.app.config["LOGIN_WINDOW_SECONDS"]
        # The browser that signed in before goes straight in with the right password.
        again = login_from(world, owner, "shopper@example.com", world.password, "10.0.0.1")
        assert again.status_code == 303


def test_a_wrong_password_from_a_known_device_forgets_the_device(world):
    with time_machine.travel(datetime.now(UTC), tick=False):  # within the slow-down
        world.consumer()
        owner = world.app.test_client()
        login_from(world, owner, "shopper@example.com", world.password, "10.0.0.1")
        owner.post("/logout", data={"csrf_token": world.csrf("/settings/notifications", owner)})
        for _ in range(world.app.config["LOGIN_MAX_FAILURES"]):
            login_from(
                world, world.app.test_client(), "shopper@example.com", "nope nope!", "10.9.9.9"
            )
        wrong = login_from(world, owner, "shopper@example.com", "nope nope!", "10.0.0.1")
        assert wrong.status_code == 401
        assert any(
            c.startswith("plaza_device=;") for c in wrong.headers.getlist("Set-Cookie")
        )  # the next guess from this browser is slowed down like anyone's
        assert (
            login_from(world, owner, "shopper@example.com", world.password, "10.0.0.1").status_code
            == 429
        )


def test_a_device_cookie_is_for_one_account(world):
    world.consumer()
    world.consumer("other@example.com")
    browser = world.app.test_client()
    login_from(world, browser, "other@example.com", world.password, "10.0.0.1")
    browser.post("/logout", data={"csrf_token": world.csrf("/settings/notifications", browser)})
    for _ in range(world.app.config["LOGIN_MAX_FAILURES"]):
        login_from(world, world.app.test_client(), "shopper@example.com", "nope nope!", "10.9.9.9")
    refused = login_from(world, browser, "shopper@example.com", world.password, "10.0.0.1")
    assert refused.status_code == 429


def test_a_login_starts_a_new_session(world):
    world.consumer()
    token = world.csrf()
    with world.client.session_transaction() as before:
        before["planted"] = "by whoever had the browser"
        old_token = before["csrf_token"]
    response = world.client.post(
        "/login",
        data={"email": "shopper@example.com", "password": world.password, "csrf_token": token},
    )
    assert response.status_code == 303
    with world.client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") != old_token
        assert after["_user_id"]


def test_old_login_attempts_are_pruned_by_the_worker(world, app):
    from datetime import timedelta

    from app import worker

    now = datetime.now(UTC)
    world.db.add_all(
        [
            LoginAttempt(email="a@example.com", ip="1", created_at=now - timedelta(days=45)),
            LoginAttempt(email="b@example.com", ip="1", created_at=now - timedelta(days=2)),
        ]
    )
    world.db.commit()
    worker.build_scheduler(app)
    worker.prune_login_attempts()
    world.db.expire_all()
    assert [a.email for a in world.db.exec(select(LoginAttempt))] == ["b@example.com"]


def test_login_never_redirects_to_another_site(world):
    world.consumer()
    # A browser ignores the tab and newline, and reads the backslash as a slash:
    # each of these would land on //evil.example.
    for hostile in (
        "//evil.example/steal",
        "https://evil.example/",
        "/\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
    ):
        client = world.app.test_client()
        token = world.csrf(client=client)
        response = client.post(
            "/login",
            query_string={"next": hostile},
            data={"email": "shopper@example.com", "password": world.password, "csrf_token": token},
        )
        assert response.status_code == 303 and response.headers["Location"] == "/", hostile


def test_login_returns_to_the_page_it_came_from(world):
    world.consumer()
    token = world.csrf()
    response = world.client.post(
        "/login?next=/saved",
        data={"email": "shopper@example.com", "password": world.password, "csrf_token": token},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/saved"


def test_a_signed_in_shopper_following_a_sign_in_link_goes_where_it_points(world):
    """A link sent to /login?next=... (an invitation, a digest) must not drop someone who
    is already signed in on the home page; a hostile next still goes nowhere else."""
    world.consumer()
    world.login()
    response = world.client.get("/login?next=/saved")
    assert response.status_code == 302 and response.headers["Location"] == "/saved"
    response = world.client.get("/login", query_string={"next": "//evil.example/steal"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
