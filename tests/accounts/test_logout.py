"""Logging out leaves nothing of the account's pages in the browser's cache."""

from __future__ import annotations


def test_logging_out_empties_the_browsers_cache(world):
    world.consumer()
    token = world.login()
    assert world.client.get("/saved").status_code == 200
    response = world.client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["Clear-Site-Data"] == '"cache"'
    # The page it leads to is nobody's: the service worker drops the account's copies.
    login = world.client.get(response.headers["Location"])
    assert "Plaza-Account" not in login.headers
    assert '<meta name="plaza-account" content="">' in login.get_data(as_text=True)


def test_a_logout_without_the_csrf_token_changes_nothing(world):
    world.consumer()
    world.login()
    response = world.client.post("/logout")
    assert "Clear-Site-Data" not in response.headers
    assert world.client.get("/saved").status_code == 200  # still signed in
