"""Accounts: sign up, log in, log out, CSRF and throttling."""

from __future__ import annotations

from sqlmodel import select

from app.models import LoginAttempt, User


def test_signup_creates_an_argon2id_account_and_starts_onboarding(world, client, db):
    token = world.csrf("/signup")
    response = client.post(
        "/signup",
        data={"email": "New.Person@Example.com", "password": world.password, "csrf_token": token},
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/onboarding"
    user = db.exec(select(User)).one()
    assert user.email == "new.person@example.com"
    assert user.password_hash.startswith("$argon2id$")
    assert world.password not in user.password_hash
    assert client.get("/").headers["Location"] == "/onboarding"


def test_signup_refuses_a_short_password_and_keeps_nothing(world, client, db):
    token = world.csrf("/signup")
    response = client.post(
        "/signup", data={"email": "a@example.com", "password": "short", "csrf_token": token}
    )
    assert response.status_code == 400
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert db.exec(select(User)).all() == []


def test_duplicate_signup_is_a_clear_conflict(world):
    world.consumer("taken@example.com")
    token = world.csrf("/signup")
    response = world.client.post(
        "/signup",
        data={"email": "TAKEN@example.com", "password": world.password, "csrf_token": token},
    )
    assert response.status_code == 409
    assert "already exists" in response.get_data(as_text=True)
    assert len(world.db.exec(select(User)).all()) == 1


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


def test_repeated_failures_lock_the_account_out_for_a_while(world):
    world.consumer()
    token = world.csrf()
    bad = {"email": "shopper@example.com", "password": "wrong password!", "csrf_token": token}
    for _ in range(world.app.config["LOGIN_MAX_FAILURES"]):
        assert world.client.post("/login", data=bad).status_code == 401
    good = {**bad, "password": world.password}
    response = world.client.post("/login", data=good)
    assert response.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    failures = world.db.exec(select(LoginAttempt).where(LoginAttempt.succeeded == False)).all()  # noqa: E712
    assert len(failures) == world.app.config["LOGIN_MAX_FAILURES"]


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
