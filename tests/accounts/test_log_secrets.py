"""The log, written as in production with every logger at DEBUG and SQLAlchemy's statements
logged too (its ``echo``, as an operator chasing a problem turns it on), holds no
password, no link secret and no email address in full."""

from __future__ import annotations

import logging

from tests.accounts.test_account_page import NEW_PASSWORD, forgot, password_is
from tests.conftest import PASSWORD, csrf_token

EMAIL = "shopper@example.com"
WRONG = "not my password at all"


def test_a_login_and_a_password_reset_leave_no_secret_in_the_log(world, inbox, plaza_log):
    # The loopback SMTP server's own debug lines are the test's mail server, not Plaza.
    smtp_server_log = logging.getLogger("mail.log")
    smtp_server_log.setLevel(logging.WARNING)
    statements = logging.getLogger("sqlalchemy.engine")
    statements.setLevel(logging.INFO)
    try:
        world.consumer(EMAIL)
        client = world.client
        client.post("/login", data={"email": EMAIL, "password": WRONG,
                                    "csrf_token": csrf_token(client)})  # fmt: skip
        world.login(EMAIL)
        forgot(client, EMAIL)
        link = inbox.link(inbox.wait(1)[0], "/password/reset/")
        client.get(link)
        done = client.post(
            "/password/reset",
            data={"new": NEW_PASSWORD, "csrf_token": world.csrf("/password/reset")},
        )
        assert done.status_code == 303 and password_is(world, NEW_PASSWORD)
    finally:
        smtp_server_log.setLevel(logging.NOTSET)
        statements.setLevel(logging.NOTSET)
    text = plaza_log.text
    lines = plaza_log.records()
    assert sum(1 for line in lines if line.get("request_id")) > 20  # the requests' SQL, say
    secret = link.rsplit("/", 1)[1]
    for kept_out in (PASSWORD, WRONG, NEW_PASSWORD, secret, EMAIL):
        assert kept_out not in text, kept_out
