"""Existing accounts joining through an invitation link."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlmodel import select

from app.models import ConsumerInterest, Organization, Role, User
from app.orgs import invite
from app.portal.models import Invitation

MEMBERS = "/portal/acme/members"
HX = {"HX-Request": "true"}


def page(response) -> str:  # type: ignore[no-untyped-def]
    return html.unescape(response.get_data(as_text=True))


def remove_path(user_id: int) -> str:
    return f"{MEMBERS}/{user_id}/remove"


def user(db, email: str) -> User:  # type: ignore[no-untyped-def]
    db.expire_all()
    return db.exec(select(User).where(User.email == email)).one()


def state(db) -> list:  # type: ignore[no-untyped-def]
    """Everything a refused membership change must leave alone."""
    db.expire_all()
    return [
        db.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')).all()
        for table in ("user", "invitation", "api_token", "organization")
    ]


def signed_in(app, partners, email: str):  # type: ignore[no-untyped-def]
    client = app.test_client()
    partners.login(email, client=client)
    return client


def link_for(db, organization: Organization, by: User | None = None) -> str:  # type: ignore[no-untyped-def]
    _, secret = invite(db, organization, by, datetime.now(UTC))
    db.commit()
    return f"/portal/join/{secret}"


def test_a_signed_in_shopper_joins_with_one_button(app, db, world, partners, acme):
    shopper_id = world.consumer("shopper@example.com", follows=("shoes", "home"))
    link = link_for(db, acme)
    shopper = signed_in(app, partners, "shopper@example.com")
    offer = page(shopper.get(link))
    assert "Join Acme Outfitters as shopper@example.com" in offer
    assert offer.count('type="submit" class="button wide"') == 1 and 'name="password"' not in offer
    joined = shopper.post(
        link, data={"csrf_token": partners.csrf(shopper, link), "email": "shopper@example.com"}
    )
    assert joined.status_code == 303 and joined.headers["Location"] == "/portal/"
    assert "You joined Acme Outfitters." in page(shopper.get("/portal/acme/"))
    member = user(db, "shopper@example.com")
    assert (member.role, member.organization_id) == (Role.RETAILER, acme.id)
    follows = db.exec(select(ConsumerInterest).where(ConsumerInterest.user_id == shopper_id)).all()
    assert sorted(row.slug for row in follows) == ["home", "shoes"]
    invitation = db.exec(select(Invitation)).one()
    assert invitation.used_by_id == shopper_id and invitation.used_at is not None
    # Single use, for a signed-in account as for a new one.
    world.consumer("late@example.com")
    late = signed_in(app, partners, "late@example.com")
    again = late.get(link)
    assert again.status_code == 410 and "already been used" in page(again)


def test_accounts_that_cannot_join_are_told_why_and_nothing_changes(app, db, world, partners, acme):
    bravo = partners.org("bravo", "Bravo Supply")
    partners.member(bravo, "rival@bravo.example")
    partners.staff()
    world.consumer("shopper@example.com")
    link = link_for(db, acme)
    before = state(db)
    cases = [
        ("staff@example.com", "Staff accounts reach every organisation already"),
        ("rival@bravo.example", "Your account belongs to Bravo Supply"),
        ("retailer@acme.example", "You are already a member of Acme Outfitters."),
    ]
    for email, reason in cases:
        someone = signed_in(app, partners, email)
        shown = someone.get(link)
        assert shown.status_code == 409 and reason in page(shown), email
        assert "The invitation is still unused." in page(shown)
        tried = someone.post(link, data={"csrf_token": partners.csrf(someone, "/"), "email": email})
        assert tried.status_code == 409 and reason in page(tried), email
    shopper = signed_in(app, partners, "shopper@example.com")
    # A page left open for another account does not join this one.
    stale = shopper.post(
        link, data={"csrf_token": partners.csrf(shopper, "/"), "email": "someone@else.example"}
    )
    assert stale.status_code == 409
    assert "You are now logged in as shopper@example.com" in page(stale)
    assert shopper.post(link, data={"email": "shopper@example.com"}).status_code == 400
    assert state(db) == before


def test_used_withdrawn_and_expired_links_refuse_a_signed_in_shopper(
    app, db, world, partners, acme
):
    world.consumer("shopper@example.com")
    shopper = signed_in(app, partners, "shopper@example.com")
    token = partners.csrf(shopper, "/")
    for change, reason in [
        ({"expires_at": datetime.now(UTC) - timedelta(minutes=1)}, "has expired"),
        ({"revoked_at": datetime.now(UTC)}, "was withdrawn"),
        ({"used_at": datetime.now(UTC)}, "already been used"),
    ]:
        link = link_for(db, acme)
        invitation = db.exec(select(Invitation).order_by(Invitation.id.desc())).first()
        for name, value in change.items():
            setattr(invitation, name, value)
        db.commit()
        before = state(db)
        for response in (
            shopper.get(link),
            shopper.post(link, data={"csrf_token": token, "email": "shopper@example.com"}),
        ):
            assert response.status_code == 410 and reason in page(response), reason
        assert state(db) == before
    assert user(db, "shopper@example.com").role == Role.CONSUMER


def test_a_signed_out_member_logs_in_and_comes_back_to_the_link(app, db, world, partners, acme):
    world.consumer("shopper@example.com")
    link = link_for(db, acme)
    visitor = app.test_client()
    offer = visitor.get(link).get_data(as_text=True)
    login = re.search(r'href="(/login\?next=[^"]+)">Log in to join with your account', offer)
    assert login, "the join page offers to log in"
    login_page = html.unescape(login.group(1))
    token = partners.csrf(visitor, login_page)
    back = visitor.post(
        login_page,
        data={"email": "shopper@example.com", "password": world.password, "csrf_token": token},
    )
    assert back.status_code == 303 and back.headers["Location"] == link
    assert "Join Acme Outfitters as shopper@example.com" in page(visitor.get(link))
