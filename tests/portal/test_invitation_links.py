"""An invitation link's secret is in an address once, as an emailed link's is
(tests/accounts/test_link_secrets.py): the link's first GET moves it into the session
and redirects to ``/portal/join``, and the emailed link that finishes a new member's
account does the same with both its secrets. After that first hop no address, redirect,
page or access-log line holds them, and a browser without the session gets nothing from
the secret-free addresses."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlmodel import select

from app.models import Role, User
from tests.portal.test_members import new_link
from tests.portal.test_membership import JOIN, state
from tests.signups import csrf_token, link_in

FINISH = "/portal/join/finish"
NO_LINK = "This page needs the invitation link"


def ask_to_join(client, email: str):  # type: ignore[no-untyped-def]
    """The join page's form, sent by a browser that opened the invitation link."""
    return client.post(JOIN, data={"csrf_token": csrf_token(client, JOIN), "email": email})


def first_hop(client, link: str, to: str) -> None:  # type: ignore[no-untyped-def]
    response = client.get(link)
    assert response.status_code == 303 and response.headers["Location"] == to
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_invitation_link_leaves_the_address_bar_and_the_log(
    app, client, db, partners, acme, mailbox, access_log
):
    link = new_link(partners, client)  # the member copies it from the Members page
    secret = link.rsplit("/", 1)[1]
    access_log.clear()
    newcomer = app.test_client()
    first_hop(newcomer, link, JOIN)
    page = newcomer.get(JOIN)
    assert page.status_code == 200 and "Join Acme Outfitters" in page.get_data(as_text=True)
    assert newcomer.get(JOIN).status_code == 200  # a reload works
    assert ask_to_join(newcomer, "new@acme.example").status_code == 200
    emailed = link_in(mailbox, "new@acme.example")
    token = emailed.rsplit("/", 1)[1]
    first_hop(newcomer, emailed, FINISH)
    assert newcomer.get(FINISH).status_code == 200
    password = {"csrf_token": csrf_token(newcomer, FINISH), "password": "a long enough password"}
    joined = newcomer.post(FINISH, data=password)
    assert joined.status_code == 303 and joined.headers["Location"] == "/portal/"
    assert newcomer.get("/portal/acme/").status_code == 200
    member = db.exec(select(User).where(User.email == "new@acme.example")).one()
    assert (member.role, member.organization_id) == (Role.RETAILER, acme.id)

    assert [e.path for e in access_log if secret in e.path] == [link, emailed]
    assert [e.path for e in access_log if token in e.path] == [emailed]
    for exchange in access_log:
        for value in (secret, token):
            assert value not in exchange.location, exchange.path
            assert value not in exchange.body, exchange.path


def test_the_join_pages_refuse_a_browser_without_the_link(app, client, db, partners, acme, world):
    link = new_link(partners, client)
    holder = app.test_client()
    holder.get(link)
    world.consumer("shopper@example.com")
    shopper = app.test_client()
    partners.login("shopper@example.com", client=shopper)
    before = state(db)
    for other in (app.test_client(), shopper):  # signed out, and signed in
        for response in (
            other.get(JOIN),
            ask_to_join(other, "shopper@example.com"),
            other.get(FINISH),
            other.post(FINISH, data={"csrf_token": csrf_token(other, JOIN), "password": "x" * 20}),
        ):
            assert response.status_code == 410 and NO_LINK in response.get_data(as_text=True)
    assert state(db) == before
    assert db.exec(select(User).where(User.email == "shopper@example.com")).one().role == (
        Role.CONSUMER
    )
    # The browser that opened the link still joins with it.
    assert "Join Acme Outfitters" in holder.get(JOIN).get_data(as_text=True)


def test_a_forged_or_mismatched_sign_up_link_changes_nothing(
    app, client, db, partners, acme, mailbox
):
    link, other_link = new_link(partners, client), new_link(partners, client)
    newcomer = app.test_client()
    newcomer.get(other_link)
    assert ask_to_join(newcomer, "new@acme.example").status_code == 200
    other_token = link_in(mailbox, "new@acme.example").rsplit("/", 1)[1]
    before = state(db)
    # A made-up token, and a real one that belongs to another invitation.
    for emailed in (f"{link}/finish/forged", f"{link}/finish/{other_token}"):
        browser = app.test_client()
        first_hop(browser, emailed, FINISH)
        refused = browser.get(FINISH)
        assert refused.status_code == 410 and "not valid" in refused.get_data(as_text=True)
        password = {"csrf_token": csrf_token(browser, FINISH), "password": "a long enough one"}
        again = browser.post(FINISH, data=password)  # forgotten: no second try
        assert again.status_code == 410 and NO_LINK in again.get_data(as_text=True)
    assert state(db) == before


def test_someone_with_an_account_logs_in_from_the_emailed_link_and_joins(
    app, client, db, partners, acme, mailbox, world
):
    link = new_link(partners, client)
    secret = link.rsplit("/", 1)[1]
    newcomer = app.test_client()
    newcomer.get(link)
    assert ask_to_join(newcomer, "late@example.com").status_code == 200
    emailed = link_in(mailbox, "late@example.com")
    world.consumer("late@example.com")  # the address got an account meanwhile
    newcomer.get(emailed)
    to_login = newcomer.get(FINISH)
    assert to_login.status_code == 303 and secret not in to_login.headers["Location"]
    login = to_login.headers["Location"]
    assert parse_qs(urlsplit(login).query) == {"next": [JOIN]}
    logged_in = newcomer.post(
        login,
        data={"email": "late@example.com", "password": world.password,
              "csrf_token": csrf_token(newcomer, login)},
    )  # fmt: skip
    assert logged_in.status_code == 303 and logged_in.headers["Location"] == JOIN
    offer = newcomer.get(JOIN).get_data(as_text=True)
    assert "Join Acme Outfitters as late@example.com" in offer
    joined = newcomer.post(
        JOIN, data={"csrf_token": csrf_token(newcomer, JOIN), "email": "late@example.com"}
    )
    assert joined.status_code == 303 and joined.headers["Location"] == "/portal/"
    late = db.exec(select(User).where(User.email == "late@example.com")).one()
    db.refresh(late)
    assert (late.role, late.organization_id) == (Role.RETAILER, acme.id)
