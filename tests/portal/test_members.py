"""Organisations, members, single-use invitations and API tokens, in the portal and the CLI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.models import Organization, Role, User
from app.models.partners import ApiToken, Invitation
from app.partners.secrets import digest
from tests.signups import csrf_token, follow_link, link_in


def new_link(partners, client) -> str:  # type: ignore[no-untyped-def]
    created = client.post(
        "/portal/acme/members", data={"csrf_token": partners.csrf(client, "/portal/acme/members")}
    )
    assert created.status_code == 201
    match = re.search(
        r'value="(http://localhost/portal/join/[^"]+)"', created.get_data(as_text=True)
    )
    assert match
    return match.group(1).removeprefix("http://localhost")


def opened(client, link: str):  # type: ignore[no-untyped-def]
    """The page another browser lands on when it opens ``link``."""
    return client.application.test_client().get(link, follow_redirects=True)


def test_a_member_invites_another_with_a_single_use_link(app, client, db, partners, acme, mailbox):
    link = new_link(partners, client)
    invitation = db.exec(select(Invitation)).one()
    assert invitation.token_hash == digest(link.rsplit("/", 1)[1])  # only the digest is stored
    assert client.get("/portal/acme/members").get_data(as_text=True).count(link) == 0  # shown once

    newcomer = app.test_client()
    joining = follow_link(newcomer, link)
    assert joining == "/portal/join"
    page = newcomer.get(joining).get_data(as_text=True)
    assert "Join Acme Outfitters" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    sent = newcomer.post(joining, data={"csrf_token": token, "email": "new@acme.example"})
    assert sent.status_code == 200 and "Check your inbox" in sent.get_data(as_text=True)
    assert db.exec(select(User).where(User.email == "new@acme.example")).first() is None
    emailed = link_in(mailbox, "new@acme.example")
    assert emailed.startswith(link + "/finish/")
    finish = follow_link(newcomer, emailed)
    assert finish == "/portal/join/finish"
    token = csrf_token(newcomer, finish)
    weak = newcomer.post(finish, data={"csrf_token": token, "password": "short"})
    assert weak.status_code == 400 and "at least 12 characters" in weak.get_data(as_text=True)
    guessable = newcomer.post(finish, data={"csrf_token": token, "password": "aaaaaaaaaaaa"})
    assert guessable.status_code == 422
    assert "too easy to guess" in guessable.get_data(as_text=True)
    joined = newcomer.post(finish, data={"csrf_token": token, "password": "a long enough password"})
    assert joined.status_code == 303 and joined.headers["Location"] == "/portal/"
    user = db.exec(select(User).where(User.email == "new@acme.example")).one()
    assert user.role == Role.RETAILER and user.organization_id == acme.id
    assert newcomer.get("/portal/acme/").status_code == 200

    again = app.test_client().get(link, follow_redirects=True)
    assert again.status_code == 410 and "already been used" in again.get_data(as_text=True)
    members = client.get("/portal/acme/members").get_data(as_text=True)
    assert "new@acme.example" in members and "Used just now" in members


def test_expired_withdrawn_and_made_up_links_do_not_work(partners, client, db, acme):
    expired = new_link(partners, client)
    db.exec(select(Invitation)).one().expires_at = datetime.now(UTC) - timedelta(minutes=1)
    db.commit()
    assert "has expired" in opened(client, expired).get_data(as_text=True)

    withdrawn = new_link(partners, client)
    invitation = db.exec(select(Invitation).order_by(Invitation.id.desc())).first()
    client.post(
        f"/portal/acme/invitations/{invitation.id}/revoke",
        data={"csrf_token": partners.csrf(client, "/portal/acme/members")},
    )
    assert "was withdrawn" in opened(client, withdrawn).get_data(as_text=True)
    made_up = opened(client, "/portal/join/plaza_inv_guess")
    assert made_up.status_code == 410 and "not valid" in made_up.get_data(as_text=True)
    assert (
        db.exec(select(User).where(User.role == Role.RETAILER)).all()[0].email
        == "retailer@acme.example"
    )


def test_tokens_are_shown_once_stored_hashed_and_revocable(partners, app, client, db, acme):
    path = "/portal/acme/tokens"
    refused = client.post(
        path, data={"csrf_token": partners.csrf(client, path), "name": "", "scope": "admin"}
    )
    assert refused.status_code == 422 and "Choose the scope" in refused.get_data(as_text=True)
    created = client.post(
        path,
        data={"csrf_token": partners.csrf(client, path), "name": "catalog sync", "scope": "write"},
    )
    assert created.status_code == 201
    secret = re.search(
        r'id="once-value" type="text" value="([^"]+)"', created.get_data(as_text=True)
    ).group(1)
    stored = db.exec(select(ApiToken)).one()
    assert stored.token_hash == digest(secret) and secret not in stored.hint
    assert secret not in client.get(path).get_data(as_text=True)
    api = app.test_client()
    assert (
        api.get("/api/v1/providers", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 200
    )
    client.post(f"{path}/{stored.id}/revoke", data={"csrf_token": partners.csrf(client, path)})
    assert (
        api.get("/api/v1/providers", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )
    assert "revoked" in client.get(path).get_data(as_text=True)


def test_staff_create_organisations_and_see_them_all(app, db, partners, acme):
    partners.staff()
    staff = app.test_client()
    partners.login("staff@example.com", client=staff)
    assert staff.get("/portal/").headers["Location"] == "/portal/orgs"
    token = partners.csrf(staff, "/portal/orgs")
    bad = staff.post(
        "/portal/orgs", data={"csrf_token": token, "slug": "Bad Slug", "name": "", "kind": "x"}
    )
    page = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "lower-case letters" in page and "1 to 200" in page
    taken = staff.post(
        "/portal/orgs", data={"csrf_token": token, "slug": "acme", "name": "A", "kind": "brand"}
    )
    assert "is taken" in taken.get_data(as_text=True)
    made = staff.post(
        "/portal/orgs",
        data={"csrf_token": token, "slug": "trailpeak", "name": "Trailpeak", "kind": "brand"},
    )
    assert made.status_code == 303 and made.headers["Location"] == "/portal/trailpeak/"
    assert (
        db.exec(select(Organization).where(Organization.slug == "trailpeak")).one().kind == "brand"
    )
    listing = staff.get("/portal/orgs").get_data(as_text=True)
    assert "Acme Outfitters" in listing and "Trailpeak" in listing
    assert "All organisations" in staff.get("/portal/acme/").get_data(as_text=True)


def test_consumers_get_no_portal_and_retailers_see_the_portal_link(app, client, world, acme):
    page = client.get("/portal/acme/").get_data(as_text=True)
    assert 'href="/portal/">Portal</a>' in page
    world.consumer("shopper@example.com")
    shopper = app.test_client()
    world.login("shopper@example.com", client=shopper)
    assert shopper.get("/portal/").status_code == 403
    assert 'href="/portal/">Portal</a>' not in shopper.get("/").get_data(as_text=True)


def test_the_command_line_creates_organisations_and_tokens(app, db, runner, world):
    created = runner.invoke(args=["orgs", "create", "--slug", "harbor", "--name", "Harbor & Home"])
    assert created.exit_code == 0 and created.output.strip() == "harbor"
    again = runner.invoke(args=["orgs", "create", "--slug", "harbor", "--name", "Again"])
    assert again.exit_code == 1 and "is taken" in again.output
    token = runner.invoke(args=["tokens", "create", "--org", "harbor", "--scope", "write"])
    assert token.exit_code == 0
    secret = token.stdout.strip().splitlines()[0]
    assert secret.startswith("plaza_") and db.exec(select(ApiToken)).one().token_hash == digest(
        secret
    )
    response = app.test_client().get(
        "/api/v1/providers", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 200
    assert runner.invoke(args=["tokens", "create", "--org", "nowhere"]).exit_code == 1
    listed = runner.invoke(args=["tokens", "list", "--org", "harbor"])
    assert "write" in listed.output and secret not in listed.output
    revoked = runner.invoke(args=["tokens", "revoke", "1"])
    assert revoked.exit_code == 0
    response = app.test_client().get(
        "/api/v1/providers", headers={"Authorization": f"Bearer {secret}"}
    )
    assert response.status_code == 401


def email_invitation(partners, client, address: str):  # type: ignore[no-untyped-def]
    token = partners.csrf(client, "/portal/acme/members")
    return client.post(
        "/portal/acme/members/invite-by-email", data={"csrf_token": token, "email": address}
    )


def test_an_invitation_emailed_to_someone_lets_them_join_and_says_whom_it_was_for(
    app, client, db, partners, acme, mailbox
):
    app.config["NOTIFY_BASE_URL"] = "https://plaza.example"
    sent = email_invitation(partners, client, "  New.Hire@Acme.example ")
    assert sent.status_code == 303 and sent.headers["Location"] == "/portal/acme/members"
    page = client.get("/portal/acme/members").get_data(as_text=True)
    assert "Invitation sent to new.hire@acme.example. It works once, within 7 days." in page
    assert "For <strong>new.hire@acme.example</strong>, emailed just now." in page
    invitation = db.exec(select(Invitation)).one()
    assert invitation.sent_to == "new.hire@acme.example"

    link = link_in(mailbox, "new.hire@acme.example")
    assert invitation.token_hash == digest(link.rsplit("/", 1)[1])
    assert link not in page  # the member never sees the secret
    message = next(m for m in mailbox.messages if m["To"] == "new.hire@acme.example")
    assert message["Subject"] == "Join Acme Outfitters on Plaza"
    assert f"https://plaza.example{link}" in message.get_content()  # Plaza's public address
    newcomer = app.test_client()
    joining = follow_link(newcomer, link)
    assert "Join Acme Outfitters" in newcomer.get(joining).get_data(as_text=True)


def test_a_bad_address_or_too_many_invitations_send_nothing_and_say_why(
    app, client, db, partners, acme, mailbox
):
    bad = email_invitation(partners, client, "not an address")
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "is not a valid email address" in page and 'value="not an address"' in page
    assert db.exec(select(Invitation)).all() == []

    from app.partners.orgs import INVITATION_EMAILS_PER_DAY

    for n in range(INVITATION_EMAILS_PER_DAY):
        assert email_invitation(partners, client, f"person{n}@example.com").status_code == 303
    refused = email_invitation(partners, client, "one.more@example.com")
    assert refused.status_code == 422
    assert f"You emailed {INVITATION_EMAILS_PER_DAY} invitations in the last day" in (
        refused.get_data(as_text=True)
    )
    assert len(db.exec(select(Invitation)).all()) == INVITATION_EMAILS_PER_DAY


def test_without_email_set_up_the_portal_offers_links_only(app, client, db, partners, acme):
    app.config["SMTP_URL"] = None
    page = client.get("/portal/acme/members").get_data(as_text=True)
    assert "Email an invitation" not in page
    assert "email is not set up on this Plaza server" in page
    refused = email_invitation(partners, client, "someone@example.com")
    assert refused.status_code == 422 and "Email is not set up" in refused.get_data(as_text=True)
    assert db.exec(select(Invitation)).all() == []


def test_the_address_an_invitation_went_to_is_forgotten_a_month_after_it_expired(
    app, db, partners, acme, mailbox
):
    from app.accounts.retention import PreparedPages, prune_personal_data

    with app.test_request_context():
        from app.partners.orgs import email_invitation

        member = db.exec(select(User).where(User.organization_id == acme.id)).first()
        now = datetime.now(UTC)
        email_invitation(db, acme, member, "later@example.com", lambda s: f"/j/{s}", now)
    keep = PreparedPages.configured(app.config)
    prune = dict(event_days=180, notification_days=30, prepared=keep)
    prune_personal_data(db, now + timedelta(days=36), **prune)
    db.expire_all()
    assert db.exec(select(Invitation)).one().sent_to == "later@example.com"
    prune_personal_data(db, now + timedelta(days=38), **prune)
    db.expire_all()
    assert db.exec(select(Invitation)).one().sent_to is None
