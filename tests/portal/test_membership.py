"""Members leaving or removed, and existing accounts joining through an invitation link."""

from __future__ import annotations

import html
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from app.models import CardState, ConsumerInterest, InterestState, Organization, Role, User
from app.models.partners import ApiToken, Invitation
from app.partners.membership import MembershipRefused, remove_member
from app.partners.orgs import invite
from app.shopper.interests import set_interest_state

MEMBERS = "/portal/acme/members"
JOIN = "/portal/join"  # where an invitation link leads, its secret in the session
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


@pytest.fixture
def colleague(app, db, world, partners, acme):  # type: ignore[no-untyped-def]
    """A second member of Acme, signed in, with a saved card, interests and an invitation."""
    colleague_id = partners.member(acme, "colleague@acme.example")
    card_id = world.cards(world.provider(), 1)[0]
    with app.app_context():
        set_interest_state(db, colleague_id, "shoes", InterestState.FOLLOW)
    db.add(CardState(user_id=colleague_id, card_id=card_id, saved_at=datetime.now(UTC)))
    db.commit()
    client = signed_in(app, partners, "colleague@acme.example")
    created = client.post(MEMBERS, data={"csrf_token": partners.csrf(client, MEMBERS)})
    assert created.status_code == 201
    token_page = "/portal/acme/tokens"
    made = client.post(
        token_page,
        data={"csrf_token": partners.csrf(client, token_page), "name": "sync", "scope": "read"},
    )
    secret = re.search(r'id="once-value" type="text" value="([^"]+)"', page(made)).group(1)
    return {"id": colleague_id, "client": client, "card_id": card_id, "token": secret}


def test_a_member_removes_another_who_keeps_a_consumer_account(client, db, partners, colleague):
    listing = page(client.get(MEMBERS))
    path = remove_path(colleague["id"])
    # With JavaScript: htmx asks first, then posts. Without: the link opens a confirmation page.
    assert f'href="{path}" hx-post="{path}"' in listing
    assert 'hx-confirm="Remove colleague@acme.example from Acme Outfitters?' in listing
    confirm = page(client.get(path))
    assert "Remove colleague@acme.example?" in confirm
    assert "1 unused invitation link is withdrawn" in confirm
    assert "API tokens belong to Acme Outfitters and keep working" in confirm
    assert f'<form method="post" action="{path}">' in confirm

    removed = client.post(path, data={"csrf_token": partners.csrf(client, MEMBERS)})
    assert removed.status_code == 303 and removed.headers["Location"] == MEMBERS
    after = page(client.get(MEMBERS))
    assert "colleague@acme.example is no longer a member of Acme Outfitters" in after
    assert "The unused invitation link they created is withdrawn." in after
    assert "colleague@acme.example" not in after.split('aria-label="Members"')[1].split("</ul>")[0]

    former = user(db, "colleague@acme.example")
    assert (former.role, former.organization_id) == (Role.CONSUMER, None)
    assert former.onboarded_at is not None  # straight to their feed, no onboarding again
    invitation = db.exec(select(Invitation).where(Invitation.created_by_id == former.id)).one()
    assert invitation.revoked_at is not None and invitation.used_at is None
    token = db.exec(select(ApiToken).where(ApiToken.created_by_id == former.id)).one()
    assert token.revoked_at is None

    # Their open session no longer reaches the portal or the API, at once.
    theirs = colleague["client"]
    assert theirs.get("/portal/acme/").status_code == 403
    assert theirs.get("/portal/").status_code == 403
    assert theirs.get("/api/v1/providers").status_code == 401
    assert 'href="/portal/">Portal</a>' not in page(theirs.get("/"))
    # What they had as a shopper is still theirs.
    assert f'id="saved-{colleague["card_id"]}"' in page(theirs.get("/saved"))
    assert db.get(ConsumerInterest, (former.id, "shoes")) is not None
    # The organisation's token they created still works for the organisation.
    bearer = {"Authorization": f"Bearer {colleague['token']}"}
    assert (
        client.application.test_client().get("/api/v1/providers", headers=bearer).status_code == 200
    )


def test_a_member_leaves_and_the_last_one_cannot(client, db, partners, acme, colleague):
    theirs = colleague["client"]
    leave = remove_path(colleague["id"])
    listing = page(theirs.get(MEMBERS))
    assert 'hx-confirm="Leave Acme Outfitters? You lose access to its portal at once."' in listing
    assert "Leave Acme Outfitters?" in page(theirs.get(leave))
    left = theirs.post(leave, headers={**HX, "X-CSRFToken": partners.csrf(theirs, MEMBERS)})
    assert left.status_code == 204 and left.headers["HX-Redirect"] == "/"
    assert "You left Acme Outfitters." in page(theirs.get("/"))
    assert user(db, "colleague@acme.example").organization_id is None

    # The one left cannot leave: no button, a reason, and a refused post changes nothing.
    partners.member(acme, "gone@acme.example")
    gone = user(db, "gone@acme.example")
    gone.active = False  # a deactivated account cannot act for Acme, so it does not count
    db.commit()
    me = user(db, "retailer@acme.example")
    listing = page(client.get(MEMBERS))
    assert ">Leave…</a>" not in listing
    assert "You are the last active member of Acme Outfitters, so you cannot leave it." in listing
    confirm = page(client.get(remove_path(me.id)))
    assert "cannot leave it" in confirm and 'type="submit" class="button danger"' not in confirm
    before = state(db)
    refused = client.post(remove_path(me.id), data={"csrf_token": partners.csrf(client, MEMBERS)})
    assert refused.status_code == 303 and refused.headers["Location"] == MEMBERS
    assert 'flash--error">You are the last active member' in page(client.get(MEMBERS))
    assert state(db) == before
    assert client.get("/portal/acme/").status_code == 200
    # Removing the deactivated account is fine: an active member remains.
    assert (
        client.post(
            remove_path(gone.id), data={"csrf_token": partners.csrf(client, MEMBERS)}
        ).headers["Location"]
        == MEMBERS
    )
    assert user(db, "gone@acme.example").organization_id is None


def test_refused_removals_change_nothing(app, client, db, world, partners, acme, colleague):
    bravo = partners.org("bravo", "Bravo Supply")
    rival_id = partners.member(bravo, "rival@bravo.example")
    shopper_id = world.consumer("shopper@example.com")
    token = partners.csrf(client, MEMBERS)
    before = state(db)
    # Another organisation's member, or someone in none, is "no such page" (isolation).
    for other in (rival_id, shopper_id, 2**31):
        assert client.get(remove_path(other)).status_code == 404
        assert client.post(remove_path(other), data={"csrf_token": token}).status_code == 404
    # The right member, through the other organisation's address: also 404 for Bravo.
    rival = signed_in(app, partners, "rival@bravo.example")
    rival_token = partners.csrf(rival, "/portal/bravo/members")
    assert (
        rival.post(remove_path(colleague["id"]), data={"csrf_token": rival_token}).status_code
        == 404
    )
    # Without the CSRF token, or as a consumer, or signed out: refused.
    assert client.post(remove_path(colleague["id"])).status_code == 400
    assert client.post(remove_path(colleague["id"]), headers=HX).status_code == 400
    shopper = signed_in(app, partners, "shopper@example.com")
    refused = shopper.post(
        remove_path(colleague["id"]), data={"csrf_token": partners.csrf(shopper, "/")}
    )
    assert refused.status_code == 403
    anonymous = app.test_client().post(remove_path(colleague["id"]))
    assert anonymous.status_code in (302, 400)
    assert state(db) == before
    assert colleague["client"].get("/portal/acme/").status_code == 200


def test_staff_remove_anyone_even_the_last_member(app, db, partners, acme):
    partners.staff()
    staff = signed_in(app, partners, "staff@example.com")
    member = user(db, "retailer@acme.example")
    confirm = page(staff.get(remove_path(member.id)))
    assert "Remove retailer@acme.example?" in confirm
    assert "Acme Outfitters is left with no active member" in confirm
    removed = staff.post(remove_path(member.id), data={"csrf_token": partners.csrf(staff, MEMBERS)})
    assert removed.status_code == 303
    assert user(db, "retailer@acme.example").role == Role.CONSUMER
    listing = page(staff.get(MEMBERS))
    assert "No members yet" in listing
    # Staff can still invite Acme's next member.
    assert (
        staff.post(MEMBERS, data={"csrf_token": partners.csrf(staff, MEMBERS)}).status_code == 201
    )


def test_two_members_removing_each_other_at_once_leave_one(app, db, partners, acme):
    """The organisation's row is locked first, so the second removal sees the first."""
    other_id = partners.member(acme, "other@acme.example")
    engine = app.extensions["plaza.engine"]
    me, other = user(db, "retailer@acme.example"), user(db, "other@acme.example")
    outcome: list[str] = []

    def second() -> None:
        with Session(engine) as session:
            try:
                remove_member(session, session.get(Organization, acme.id),
                              session.get(User, me.id), session.get(User, other_id),
                              datetime.now(UTC))  # fmt: skip
                session.commit()
                outcome.append("removed")
            except MembershipRefused as exc:
                outcome.append(str(exc))

    with Session(engine) as first:
        remove_member(first, first.get(Organization, acme.id), first.get(User, other.id),
                      first.get(User, me.id), datetime.now(UTC))  # fmt: skip
        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)  # the second removal waits for the first one's commit
        first.commit()
    thread.join(30)
    assert len(outcome) == 1 and "last active member" in outcome[0]
    remaining = db.exec(select(User).where(User.organization_id == acme.id)).all()
    assert [u.email for u in remaining] == ["retailer@acme.example"]


def test_a_signed_in_shopper_joins_with_one_button(app, db, world, partners, acme):
    shopper_id = world.consumer("shopper@example.com", follows=("shoes", "home"))
    link = link_for(db, acme)
    shopper = signed_in(app, partners, "shopper@example.com")
    offer = page(shopper.get(link, follow_redirects=True))
    assert "Join Acme Outfitters as shopper@example.com" in offer
    assert offer.count('type="submit" class="button wide"') == 1 and 'name="password"' not in offer
    assert 'aria-label="Main"' not in offer  # one decision: no shopper tabs leading away
    joined = shopper.post(
        JOIN, data={"csrf_token": partners.csrf(shopper, JOIN), "email": "shopper@example.com"}
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
    again = late.get(link, follow_redirects=True)
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
        shown = someone.get(link, follow_redirects=True)
        assert shown.status_code == 409 and reason in page(shown), email
        assert "The invitation is still unused." in page(shown)
        tried = someone.post(JOIN, data={"csrf_token": partners.csrf(someone, "/"), "email": email})
        assert tried.status_code == 409 and reason in page(tried), email
    shopper = signed_in(app, partners, "shopper@example.com")
    shopper.get(link)
    # A page left open for another account does not join this one.
    stale = shopper.post(
        JOIN, data={"csrf_token": partners.csrf(shopper, "/"), "email": "someone@else.example"}
    )
    assert stale.status_code == 409
    assert "You are now logged in as shopper@example.com" in page(stale)
    assert shopper.post(JOIN, data={"email": "shopper@example.com"}).status_code == 400
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
        shopper.get(link)  # opened while it still worked
        invitation = db.exec(select(Invitation).order_by(Invitation.id.desc())).first()
        for name, value in change.items():
            setattr(invitation, name, value)
        db.commit()
        before = state(db)
        for response in (
            shopper.post(JOIN, data={"csrf_token": token, "email": "shopper@example.com"}),
            shopper.get(link, follow_redirects=True),  # and opened again
        ):
            assert response.status_code == 410 and reason in page(response), reason
        assert state(db) == before
    assert user(db, "shopper@example.com").role == Role.CONSUMER


def test_a_signed_out_member_logs_in_and_comes_back_to_the_link(app, db, world, partners, acme):
    world.consumer("shopper@example.com")
    link = link_for(db, acme)
    visitor = app.test_client()
    offer = visitor.get(link, follow_redirects=True).get_data(as_text=True)
    login = re.search(r'href="(/login\?next=[^"]+)">Log in to join with your account', offer)
    assert login, "the join page offers to log in"
    login_page = html.unescape(login.group(1))
    assert link.rsplit("/", 1)[1] not in login_page
    token = partners.csrf(visitor, login_page)
    back = visitor.post(
        login_page,
        data={"email": "shopper@example.com", "password": world.password, "csrf_token": token},
    )
    # The login's fresh session still holds the invitation the browser was following.
    assert back.status_code == 303 and back.headers["Location"] == JOIN
    assert "Join Acme Outfitters as shopper@example.com" in page(visitor.get(JOIN))


def test_the_command_line_lists_and_removes_members(runner, db, world, partners, acme):
    partners.member(acme, "colleague@acme.example")
    listed = runner.invoke(args=["orgs", "members", "--org", "acme"])
    assert listed.exit_code == 0
    assert listed.output.split() == ["colleague@acme.example", "retailer@acme.example"]
    world.consumer("shopper@example.com")
    for email in ("shopper@example.com", "nobody@example.com"):
        refused = runner.invoke(args=["orgs", "remove-member", "--org", "acme", "--email", email])
        assert refused.exit_code == 1 and f"{email} is not a member of acme" in refused.output
    unknown = runner.invoke(args=["orgs", "members", "--org", "nowhere"])
    assert unknown.exit_code == 1 and "There is no organisation 'nowhere'" in unknown.output
    for email in ("colleague@acme.example", "retailer@acme.example"):
        removed = runner.invoke(args=["orgs", "remove-member", "--org", "acme", "--email", email])
        assert removed.exit_code == 0
        assert f"{email} is no longer a member of acme" in removed.stdout
        assert user(db, email).role == Role.CONSUMER
    assert "acme has no active member now" in removed.stderr
    assert runner.invoke(args=["orgs", "members", "--org", "acme"]).output == ""
