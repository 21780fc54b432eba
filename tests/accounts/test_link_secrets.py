"""An emailed link's secret is in the address once: the first GET moves it into the
session and redirects to the page without it, so reloading, the Referer of anything the
page loads and the requests an access log records after that never hold it."""

from __future__ import annotations

from tests.accounts.test_account_page import NEW_PASSWORD, ask_email_change, forgot, password_is
from tests.conftest import PASSWORD


def test_a_reset_link_leaves_the_address_bar_and_the_log(world, inbox, access_log):
    world.consumer()
    forgot(world.client, "shopper@example.com")
    link = inbox.link(inbox.wait(1)[0], "/password/reset/")
    secret = link.rsplit("/", 1)[1]
    access_log.clear()
    first = world.client.get(link)
    assert first.status_code == 303 and first.headers["Location"] == "/password/reset"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    page = world.client.get("/password/reset")
    assert page.status_code == 200 and secret not in page.get_data(as_text=True)
    assert world.client.get("/password/reset").status_code == 200  # a reload works
    token = world.csrf("/password/reset")
    done = world.client.post("/password/reset", data={"new": NEW_PASSWORD, "csrf_token": token})
    assert done.status_code == 303
    assert password_is(world, NEW_PASSWORD)
    paths = [exchange.path for exchange in access_log]
    assert [p for p in paths if secret in p] == [link]  # the emailed link's own GET


def test_the_reset_page_without_its_link_explains_and_changes_nothing(world, app, inbox):
    world.consumer()
    forgot(world.client, "shopper@example.com")
    inbox.wait(1)
    stranger = app.test_client()
    page = stranger.get("/password/reset")
    assert page.status_code == 400
    assert "needs the link from your email" in page.get_data(as_text=True)
    token = world.csrf("/login", client=stranger)
    refused = stranger.post("/password/reset", data={"new": NEW_PASSWORD, "csrf_token": token})
    assert refused.status_code == 400
    assert password_is(world, PASSWORD)


def test_a_confirmation_link_leaves_the_address_bar_too(world, inbox):
    world.consumer()
    token = world.login()
    ask_email_change(world, token, "new@example.com")
    link = inbox.link(inbox.to("new@example.com")[0], "/account/email/confirm/")
    first = world.client.get(link)
    assert first.status_code == 303 and first.headers["Location"] == "/account/email/confirm"
    page = world.client.get("/account/email/confirm").get_data(as_text=True)
    assert "new@example.com" in page and link.rsplit("/", 1)[1] not in page
