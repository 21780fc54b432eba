"""Sessions end when they should: remember-me is opt-in, and after a logout neither a
copy of the session cookie nor the remember-me cookie alone signs anyone in."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.conftest import PASSWORD, csrf_token

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
