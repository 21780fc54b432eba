"""The provider form's interest picker: a search that matches names and other words for an
interest and shows where it sits, and the full list of checkboxes that works without
JavaScript and is what the form sends."""

from __future__ import annotations

import re

from sqlmodel import select

from app.models import Provider

PATH = " \u203a "  # between the names of a path, as the page writes it


def test_the_search_matches_an_alias_and_shows_the_path(client, acme):
    response = client.get("/portal/interests?q=trainers", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    page = response.get_data(as_text=True)
    assert "<html" not in page  # a fragment for htmx
    picks = re.findall(r'data-pick="([^"]+)"', page)
    assert picks == ["shoes/running"]  # "Trainers" is one of its aliases
    assert "Running shoes" in page and '<span class="picker__path">Shoes</span>' in page
    deep = client.get("/portal/interests?q=trail", headers={"HX-Request": "true"})
    assert f'<span class="picker__path">Shoes{PATH}Running shoes</span>' in deep.get_data(
        as_text=True
    )


def test_the_search_matches_names_and_says_when_nothing_matches(client, acme):
    found = client.get("/portal/interests?q=coff", headers={"HX-Request": "true"})
    picks = re.findall(r'data-pick="([^"]+)"', found.get_data(as_text=True))
    assert picks == ["home/kitchen/coffee"]
    nothing = client.get("/portal/interests?q=<b>zzz</b>", headers={"HX-Request": "true"}).get_data(
        as_text=True
    )
    assert "data-pick" not in nothing
    assert "No interest matches “&lt;b&gt;zzz&lt;/b&gt;”" in nothing  # shown as text


def test_without_htmx_the_search_is_a_page(client, acme):
    page = client.get("/portal/interests?q=running").get_data(as_text=True)
    assert "<html" in page and "Interests matching “running”" in page
    assert 'data-pick="sports/running"' in page


def test_the_search_is_for_partners_only(client, world):
    response = client.get("/portal/interests?q=coffee")
    assert response.status_code in (302, 401)


def test_without_javascript_every_interest_is_a_checkbox_and_the_search_is_hidden(client, acme):
    page = client.get("/portal/acme/providers/new/product_feed").get_data(as_text=True)
    picker = page.split('id="f-interests"', 1)[1].split("</fieldset>", 1)[0]
    assert len(re.findall(r'type="checkbox" name="interests"', picker)) == 14  # every interest
    assert re.search(r'<div class="picker__js" data-picker-js hidden>', picker)
    assert '<details class="picker__browse" data-picker-browse open>' in picker
    assert "None chosen yet." in picker


def test_chosen_interests_are_kept_and_saved(partners, client, db, acme):
    path = "/portal/acme/providers/new/promotion"
    token = partners.csrf(client, path)
    chosen = ["home/kitchen/coffee", "shoes/running/trail"]
    page = client.post(
        path, data={"csrf_token": token, "action": "save", "interests": chosen}
    ).get_data(as_text=True)  # other fields missing: shown again
    for slug in chosen:
        assert re.search(rf'value="{slug}" checked data-name="[^"]+"', page)
    coffee, trail = (
        PATH.join(["Home", "Kitchen", "Coffee gear"]),
        PATH.join(["Shoes", "Running shoes", "Trail running shoes"]),
    )
    assert f"Chosen: {coffee}, {trail}." in page
    assert db.exec(select(Provider)).all() == []
