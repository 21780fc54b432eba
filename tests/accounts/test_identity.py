"""Identity checks (attacker findings): sign-up and invitations do not tell who has an
account, weak passwords are refused, and look-alike addresses and organisation names
are the same name, or refused."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from app.accounts.passwords import password_problem
from app.accounts.users import AccountError, AccountExists, create_user
from app.models import Organization, User
from app.models.partners import Invitation
from app.partners.orgs import OrganizationProblems, create_organization, invite
from tests.signups import (
    arrived,
    csrf_token,
    emails_to,
    emails_where,
    follow_link,
    link_in,
    sign_up,
)

CYRILLIC_A = "\u0430"
RTL_OVERRIDE = "\u202e"
FULL_WIDTH_ALICE = "\uff41\uff4c\uff49\uff43\uff45"  # alice


def visible(response) -> str:
    """The page as a person sees it: the one-time CSRF masks differ on every page."""
    html = response.get_data(as_text=True)
    html = re.sub(r'value="[^"]*" name="csrf_token"|name="csrf_token" value="[^"]*"', "", html)
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", html)


def post_signup(client, email: str):
    token = csrf_token(client, "/signup")
    return client.post("/signup", data={"email": email, "csrf_token": token})


def test_signup_answers_the_same_whether_or_not_the_address_has_an_account(world, db, mailbox):
    world.consumer("taken@example.com")
    fresh = post_signup(world.app.test_client(), "fresh@example.com")
    taken = post_signup(world.app.test_client(), "TAKEN@example.com")
    assert fresh.status_code == taken.status_code == 200
    assert visible(fresh).replace("fresh@", "taken@") == visible(taken)
    assert (
        fresh.headers.get("Set-Cookie", "").split("=")[0]
        == (taken.headers.get("Set-Cookie", "").split("=")[0])
    )
    # The owner is told by email instead, and nothing changed.
    (notice,) = emails_to(mailbox, "taken@example.com")
    assert notice["Subject"] == "You already have a Plaza account"
    assert "/login" in notice.get_content()
    (offer,) = emails_to(mailbox, "fresh@example.com")
    assert "/signup/finish/" in offer.get_content()
    assert len(db.exec(select(User)).all()) == 1


def test_sign_up_mails_an_address_three_times_an_hour_whether_or_not_it_has_an_account(
    world, db, mailbox
):
    """Anyone can type anyone's address: the form must not fill an inbox, and its limit
    must be the same for an address with an account, or it would tell."""
    world.consumer("taken@example.com")
    answers = {}
    for address in ("fresh@example.com", "taken@example.com"):
        answers[address] = [post_signup(world.app.test_client(), address) for _ in range(4)]
        assert [a.status_code for a in answers[address]] == [200, 200, 200, 429]
        assert "try again in an hour" in answers[address][3].get_data(as_text=True)
        assert answers[address][3].headers["Retry-After"] == "3600"
        assert len(emails_to(mailbox, address, at_least=3)) == 3
    refused = [visible(answers[a][3]).replace(a, "") for a in answers]
    assert refused[0] == refused[1]
    assert db.exec(select(User)).all()[0].email == "taken@example.com"  # nothing created


def test_only_the_mailbox_owner_chooses_the_password(world, db, mailbox):
    """The account is created at the emailed link: typing someone's address into the
    form creates nothing in their name."""
    post_signup(world.app.test_client(), "victim@example.com")
    assert db.exec(select(User)).all() == []
    link = link_in(mailbox, "victim@example.com")
    assert world.app.test_client().get(link, follow_redirects=True).status_code == 200
    forged = world.app.test_client().get(link[:-3] + "xyz", follow_redirects=True)
    assert forged.status_code == 410
    owner = world.app.test_client()
    finish = follow_link(owner, link)
    token = csrf_token(owner, finish)
    assert (
        owner.post(finish, data={"password": world.password, "csrf_token": token}).status_code
        == 303
    )
    # The link does nothing once the account exists.
    again = world.app.test_client().get(link, follow_redirects=True)
    assert again.request.path == "/login"


@pytest.mark.parametrize(
    "password",
    ["aaaaaaaaaaaa", "password1234", "qwertyuiop12", "123456789012", "shopper@example.com"],
)
def test_weak_passwords_are_refused_with_a_clear_message(world, client, db, mailbox, password):
    response = sign_up(client, mailbox, "shopper@example.com", password)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This password is too easy to guess." in page
    assert db.exec(select(User)).all() == []


def test_twelve_as_are_too_easy_to_guess_everywhere_accounts_are_made(app, db):
    assert "too easy to guess" in (password_problem("a" * 12) or "")
    assert password_problem("a long enough password") is None
    with app.app_context(), pytest.raises(AccountError, match="too easy to guess"):
        create_user(db, "cli@example.com", "a" * 12)


@pytest.mark.parametrize(
    "lookalike",
    [f"{CYRILLIC_A}lice@example.com", f"alice@ex{CYRILLIC_A}mple.com"],
    ids=["cyrillic-local", "cyrillic-domain"],
)
def test_a_look_alike_address_gets_no_account(world, db, mailbox, lookalike):
    world.consumer("alice@example.com")
    with world.app.app_context(), pytest.raises(AccountExists, match="looks just like"):
        create_user(db, lookalike, world.password)
    db.rollback()
    response = post_signup(world.app.test_client(), lookalike)
    assert response.status_code == 200  # the same answer as for any address
    (notice,) = emails_where(
        mailbox, lambda message: message["Subject"] == "This address cannot be used on Plaza"
    )
    assert "/signup/finish/" not in notice.get_content()
    assert [u.email for u in db.exec(select(User))] == ["alice@example.com"]


def test_full_width_letters_are_the_same_address(world, db, mailbox):
    world.consumer("alice@example.com")
    post_signup(world.app.test_client(), f"{FULL_WIDTH_ALICE}@example.com")
    (notice,) = emails_to(mailbox, "alice@example.com")  # normalised: the owner is told
    assert notice["Subject"] == "You already have a Plaza account"
    with world.app.app_context(), pytest.raises(AccountExists):
        create_user(db, f"{FULL_WIDTH_ALICE}@EXAMPLE.com", world.password)


def test_direction_overrides_are_refused_outright(world, db, mailbox):
    response = post_signup(world.app.test_client(), f"moc.elpmaxe{RTL_OVERRIDE}@bob.example")
    assert response.status_code == 400
    assert "invisible or direction-changing characters" in response.get_data(as_text=True)
    assert arrived(mailbox) == []


def test_look_alike_organisation_names_are_refused(app, db):
    with app.app_context():
        create_organization(db, "acme", "Acme Outfitters")
        for name in (
            "\u0410cme Outfitters",  # Cyrillic capital A
            "Acm\u0435 Outfitters",  # Cyrillic small ie
            "\uff21\uff43\uff4d\uff45 Outfitters",  # full-width Acme
            "ACME   outfitters",
            f"Acme Outfitters{RTL_OVERRIDE}",
        ):
            with pytest.raises(OrganizationProblems) as refused:
                create_organization(db, "acme-two", name)
            assert refused.value.problems[0][0] == "name", name
        create_organization(db, "acme-shoes", "Acme Shoes")
        db.commit()
    assert sorted(o.name for o in db.exec(select(Organization))) == [
        "Acme Outfitters",
        "Acme Shoes",
    ]


def test_an_invitation_does_not_tell_who_has_an_account(world, db, mailbox):
    world.consumer("taken@example.com")
    with world.app.app_context():
        organization = create_organization(db, "acme", "Acme")
        _, secret = invite(db, organization, None, datetime.now(UTC))
        db.commit()
    answers = []
    for email in ("new@example.com", "taken@example.com"):
        client = world.app.test_client()
        joining = follow_link(client, f"/portal/join/{secret}")
        token = csrf_token(client, joining)
        answers.append(client.post(joining, data={"email": email, "csrf_token": token}))
    fresh, taken = answers
    assert fresh.status_code == taken.status_code == 200
    assert visible(fresh).replace("new@", "taken@") == visible(taken)
    (notice,) = emails_to(mailbox, "taken@example.com")
    assert "already has an account" in notice.get_content()
    assert db.exec(select(Invitation)).one().used_at is None
    assert len(db.exec(select(User)).all()) == 1
