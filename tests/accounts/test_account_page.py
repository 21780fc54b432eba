"""The account page: name, address (confirmed by email), password, signing out
everywhere, and a forgotten password; each refusal changes nothing and leaks nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlmodel import select

from app.accounts.passwords import verify_password
from app.accounts.users import lookalike_user
from app.models import AccountToken, LoginAttempt, User
from tests.accounts.test_sessions import REMEMBER, browser_with, cookie, log_in, signed_in
from tests.conftest import PASSWORD

NEW_PASSWORD = "a brand new passphrase"


def user(db, email: str = "shopper@example.com") -> User:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).one()


def password_is(world, password: str) -> bool:  # type: ignore[no-untyped-def]
    with world.app.app_context():
        return verify_password(user(world.db).password_hash, password)


def ask_email_change(world, token: str, address: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return world.client.post(
        "/account/email",
        data={"email-new_email": address, "email-password": password, "csrf_token": token},
    )


def test_the_account_page_needs_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_change_display_name(world):
    world.consumer()
    token = world.login()
    page = world.client.get("/account").get_data(as_text=True)
    assert "shopper@example.com" in page
    response = world.client.post(
        "/account/name", data={"name-display_name": "  Ada \u202e Lovelace ", "csrf_token": token}
    )
    assert response.status_code == 303
    assert user(world.db).display_name == "Ada Lovelace"
    too_long = world.client.post(
        "/account/name", data={"name-display_name": "x" * 101, "csrf_token": token}
    )
    assert too_long.status_code == 400
    assert user(world.db).display_name == "Ada Lovelace"


def test_change_email_confirmed_by_a_link_with_a_notice_to_the_old_address(world, inbox):
    world.consumer()
    token = world.login()
    response = ask_email_change(world, token, "New@Example.com")
    assert response.status_code == 303
    assert user(world.db).email == "shopper@example.com"  # not until the link is followed
    notice = inbox.to("shopper@example.com")[0]
    assert "n***@example.com" in notice.get_content()
    confirmation = inbox.to("new@example.com")[0]
    link = inbox.link(confirmation, "/account/email/confirm/")
    stranger = world.app.test_client()  # a link preview: looking changes nothing
    assert "new@example.com" in opened(stranger, link).get_data(as_text=True)
    assert user(world.db).email == "shopper@example.com"
    answer = world.client.post(CONFIRM, data={"csrf_token": world.csrf(link)})
    assert answer.status_code == 303
    assert user(world.db, "new@example.com").id
    # nothing is kept under the old address (the login above was recorded under it)
    old_attempts = select(LoginAttempt).where(LoginAttempt.email == "shopper@example.com")
    assert world.db.exec(old_attempts).all() == []
    again = opened(world.client, link)
    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)


def test_change_email_to_an_address_in_use_tells_its_owner_not_the_asker(world, inbox):
    world.consumer()
    world.consumer("taken@example.com")
    token = world.login()
    response = ask_email_change(world, token, "taken@example.com")
    assert response.status_code == 303
    page = world.client.get("/account").get_data(as_text=True)
    assert "We sent a link to taken@example.com" in page  # as for a free address
    owner_mail = inbox.to("taken@example.com")[0].get_content()
    assert "already has a\r\nPlaza account" in owner_mail and "/confirm/" not in owner_mail
    assert world.db.exec(select(AccountToken)).all() == []
    assert user(world.db).email == "shopper@example.com"


def test_an_address_that_looks_like_another_accounts_is_not_offered(world, inbox):
    """Addresses compared as people read them: a Cyrillic "a" (U+0430) in place of a Latin one
    gets a notice, never a confirmation link; the account keeps its address."""
    world.consumer()
    world.consumer("alice@example.com")
    token = world.login()
    response = ask_email_change(world, token, "\u0430lice@example.com")
    assert response.status_code == 303
    notice = inbox.to("\u0430lice@example.com")[0]
    assert notice["Subject"] == "This address cannot be used on Plaza"
    assert "/confirm/" not in notice.get_content()
    assert world.db.exec(select(AccountToken)).all() == []


def test_a_confirmed_address_is_compared_by_its_new_look(world, inbox):
    world.consumer()
    token = world.login()
    ask_email_change(world, token, "bob@example.com")
    link = inbox.link(inbox.to("bob@example.com")[0], "/account/email/confirm/")
    world.client.post(CONFIRM, data={"csrf_token": world.csrf(link)})
    assert lookalike_user(world.db, "b\u043eb@example.com") == user(world.db, "bob@example.com")


def test_an_address_taken_before_the_link_is_followed_changes_nothing(world, inbox):
    world.consumer()
    token = world.login()
    ask_email_change(world, token, "later@example.com")
    link = inbox.link(inbox.to("later@example.com")[0], "/account/email/confirm/")
    world.consumer("later@example.com")
    opened(world.client, link)
    answer = world.client.post(CONFIRM, data={"csrf_token": token})
    assert answer.status_code == 400
    assert "now belongs to another Plaza account" in answer.get_data(as_text=True)
    assert user(world.db).email == "shopper@example.com"


def test_change_email_needs_the_current_password(world, inbox):
    world.consumer()
    token = world.login()
    response = ask_email_change(world, token, "new@example.com", "not my password")
    assert response.status_code == 403
    assert "That is not your current password." in response.get_data(as_text=True)
    assert inbox.settle() == 0
    assert world.db.exec(select(AccountToken)).all() == []


def test_an_expired_confirmation_link_changes_nothing(world, inbox):
    world.consumer()
    token = world.login()
    ask_email_change(world, token, "new@example.com")
    link = inbox.link(inbox.to("new@example.com")[0], "/account/email/confirm/")
    opened(world.client, link)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=25)):
        answer = world.client.post(CONFIRM, data={"csrf_token": token})
    assert answer.status_code == 400 and "expired" in answer.get_data(as_text=True)
    assert user(world.db).email == "shopper@example.com"
    forged = opened(world.client, "/account/email/confirm/made-up")
    assert forged.status_code == 400 and "not valid" in forged.get_data(as_text=True)


def test_change_password_ends_other_sessions_and_keeps_this_one(world, app, inbox):
    world.consumer()
    other = app.test_client()
    log_in(other, remember=True)
    other_session, other_remember = cookie(other, "session"), cookie(other, REMEMBER)
    token = log_in(world.client, remember=True)
    wrong = world.client.post(
        "/account/password",
        data={
            "password-current": "not my password",
            "password-new": NEW_PASSWORD,
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 403
    assert signed_in(other)
    response = world.client.post(
        "/account/password",
        data={"password-current": PASSWORD, "password-new": NEW_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
    assert password_is(world, NEW_PASSWORD)
    assert signed_in(world.client)
    assert signed_in(browser_with(app, **{REMEMBER: cookie(world.client, REMEMBER)}))
    assert not signed_in(other)
    assert not signed_in(browser_with(app, session=other_session))
    assert not signed_in(browser_with(app, **{REMEMBER: other_remember}))
    assert "was just changed" in inbox.to("shopper@example.com")[0].get_content()


def test_a_weak_new_password_is_refused(world):
    world.consumer()
    token = world.login()
    response = world.client.post(
        "/account/password",
        data={"password-current": PASSWORD, "password-new": "short", "csrf_token": token},
    )
    assert response.status_code == 400
    assert "at least 12 characters" in response.get_data(as_text=True)
    assert password_is(world, PASSWORD)


def test_sign_out_everywhere_ends_every_other_session(world, app):
    world.consumer()
    phone = app.test_client()
    log_in(phone, remember=True)
    phone_remember = cookie(phone, REMEMBER)
    token = log_in(world.client, remember=False)
    response = world.client.post("/account/sessions/end", data={"csrf_token": token})
    assert response.status_code == 303
    assert signed_in(world.client)
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, **{REMEMBER: phone_remember}))
    # without a CSRF token nothing happens
    log_in(phone, remember=False)
    assert world.client.post("/account/sessions/end").status_code == 400
    assert signed_in(phone)


RESET, CONFIRM = "/password/reset", "/account/email/confirm"  # the pages, without secrets


def opened(client, link: str):  # type: ignore[no-untyped-def]
    """Follow an emailed link as a browser does (it moves its secret out of the address)."""
    return client.get(link, follow_redirects=True)


def forgot(client, email: str):  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_token

    return client.post(
        "/password/forgot",
        data={"email": email, "csrf_token": csrf_token(client, "/password/forgot")},
    )


def test_forgot_password_answers_alike_for_any_address_and_mails_only_accounts(world, inbox):
    world.consumer()
    known = forgot(world.client, "Shopper@example.com")
    unknown = forgot(world.app.test_client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200

    def answer(response) -> str:  # type: ignore[no-untyped-def]
        text = response.get_data(as_text=True)
        return text.replace("shopper@example.com", "X").replace("nobody@example.com", "X")

    assert _main(answer(known)) == _main(answer(unknown))
    assert inbox.settle() == 1
    assert inbox.wait(1)[0]["To"] == "shopper@example.com"


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def test_reset_link_sets_a_new_password_once_and_ends_sessions(world, app, inbox):
    world.consumer()
    signed = app.test_client()
    log_in(signed, remember=True)
    forgot(world.client, "shopper@example.com")
    link = inbox.link(inbox.wait(1)[0], "/password/reset/")
    assert opened(world.client, link).status_code == 200
    token = world.csrf(link)
    weak = world.client.post(RESET, data={"new": "short", "csrf_token": token})
    assert weak.status_code == 400  # the link still works after a refused password
    response = world.client.post(RESET, data={"new": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert password_is(world, NEW_PASSWORD)
    assert not signed_in(signed)
    reused = opened(world.client, link)
    assert reused.status_code == 400 and "already used" in reused.get_data(as_text=True)
    assert password_is(world, NEW_PASSWORD)


def test_a_reset_link_expires_after_an_hour(world, inbox):
    world.consumer()
    forgot(world.client, "shopper@example.com")
    link = inbox.link(inbox.wait(1)[0], "/password/reset/")
    token = world.csrf(link)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61)):
        response = world.client.post(RESET, data={"new": NEW_PASSWORD, "csrf_token": token})
        assert "expired" in response.get_data(as_text=True)
        assert opened(world.client, link).status_code == 400
    assert response.status_code == 400
    assert password_is(world, PASSWORD)


def test_only_the_newest_reset_link_works(world, inbox):
    world.consumer()
    forgot(world.client, "shopper@example.com")
    forgot(world.client, "shopper@example.com")
    links = [inbox.link(m, "/password/reset/") for m in inbox.wait(2)]
    # (the two emails may arrive in either order)
    assert sorted(opened(world.client, link).status_code for link in links) == [200, 400]


def test_reset_emails_are_rate_limited_per_address(world, inbox):
    world.consumer()
    for _ in range(3):
        assert forgot(world.app.test_client(), "shopper@example.com").status_code == 200
    limited = forgot(world.app.test_client(), "shopper@example.com")
    assert limited.status_code == 429
    assert "try again in an hour" in limited.get_data(as_text=True)
    # an unknown address is limited alike, so the limit says nothing about accounts
    for _ in range(3):
        forgot(world.app.test_client(), "nobody@example.com")
    assert forgot(world.app.test_client(), "nobody@example.com").status_code == 429
    assert inbox.settle() == 3


def test_address_changes_are_rate_limited(world, inbox):
    world.consumer()
    token = world.login()
    for n in range(5):
        response = ask_email_change(world, token, f"new{n}@example.com")
        assert response.status_code == 303
    limited = ask_email_change(world, token, "new9@example.com")
    assert limited.status_code == 400
    assert "try again in an hour" in limited.get_data(as_text=True)
    inbox.to("new4@example.com")
    assert not [m for m in inbox.receiver.messages if m["To"] == "new9@example.com"]
