"""The organisation's page as its members write it in the portal: a description and
links that shoppers can trust. Bad input is refused with a message naming the field and
changes nothing; only the organisation's own members (and staff) reach the form."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Organization

GOOD = {
    "description": "Outdoor gear, tested\r\non our own hills.",
    "website": "https://acme.example/",
    "social_1": "https://www.instagram.com/acme",
    "social_2": "",
    "social_3": "https://www.youtube.com/@acme",
    "social_4": "",
}


def save(client, partners, **changes: str):  # type: ignore[no-untyped-def]
    token = partners.csrf(client, "/portal/acme/profile")
    return client.post("/portal/acme/profile", data={**GOOD, **changes, "csrf_token": token})


def stored(partners) -> tuple[str, str | None, list[str]]:  # type: ignore[no-untyped-def]
    partners.db.expire_all()
    organization = partners.db.exec(select(Organization).where(Organization.slug == "acme")).one()
    return organization.description, organization.website_url, organization.social_links


def test_a_member_writes_the_page_that_shoppers_read(client, partners, acme):
    form = client.get("/portal/acme/profile").get_data(as_text=True)
    assert 'href="/o/acme"' in form and "Your page" in form
    response = save(client, partners)
    assert response.status_code == 303
    assert response.headers["Location"] == "/portal/acme/profile"
    assert stored(partners) == (
        "Outdoor gear, tested\non our own hills.",
        "https://acme.example/",
        ["https://www.instagram.com/acme", "https://www.youtube.com/@acme"],
    )
    page = client.get("/o/acme").get_data(as_text=True)
    assert "Outdoor gear, tested\non our own hills." in page
    assert '<a href="https://www.youtube.com/@acme" rel="noopener nofollow">YouTube</a>' in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("website", "javascript:alert(1)", "Website: enter a full web address"),
        ("website", "data:text/html,<script>alert(1)</script>", "Website: enter a full web"),
        ("website", "/o/acme", "Website: enter a full web address"),
        ("website", "https://", "Website: enter a full web address"),
        ("website", "ftp://acme.example/", "Website: enter a full web address"),
        ("website", "https://user:secret@acme.example/", "Website: an address with a user name"),
        ("social_2", "https://acme.example/" + "a" * 500, "Social link 2: keep the address to 500"),
        ("social_4", "https://acme.example/a b", "Social link 4: enter a full web address"),
        ("description", "x" * 1001, "Description: keep it to 1,000 characters."),
        ("description", "nul\x00byte", "Description: it contains characters that are not text."),
    ],
)
def test_bad_input_is_refused_naming_its_field_and_changes_nothing(
    client, partners, acme, field, value, message
):
    assert save(client, partners).status_code == 303
    before = stored(partners)
    response = save(client, partners, **{"description": "A new text", field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in page and "nothing was saved" in page
    assert stored(partners) == before  # not even the fields that were right


def test_only_the_organisations_members_and_staff_edit_its_page(client, partners, world, acme):
    other = partners.org("harbor", "Harbor Home")
    outsider = world.app.test_client()
    partners.member(other, "retailer@harbor.example")
    partners.login("retailer@harbor.example", client=outsider)
    token = partners.csrf(outsider, "/portal/harbor/profile")
    assert outsider.get("/portal/acme/profile").status_code == 404
    attempt = outsider.post("/portal/acme/profile", data={**GOOD, "csrf_token": token})
    assert attempt.status_code == 404
    shopper = world.app.test_client()
    world.consumer("shopper@example.com")
    world.login("shopper@example.com", client=shopper)
    assert shopper.get("/portal/acme/profile").status_code == 403
    signed_out = world.app.test_client().get("/portal/acme/profile")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]
    forged = client.post("/portal/acme/profile", data=GOOD)  # no CSRF token
    assert forged.status_code == 400
    assert stored(partners) == ("", None, [])
    staff = world.app.test_client()
    partners.staff()
    partners.login("staff@example.com", client=staff)
    assert save(staff, partners).status_code == 303
    assert stored(partners)[1] == "https://acme.example/"
