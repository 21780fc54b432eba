"""Signing up as a person does, for the tests: the address, the emailed link, the
password. ``mailbox`` is the ``mailbox`` fixture's receiver (tests/conftest.py)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

_LINK = re.compile(r"https?://\S+")
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')
PASSWORD = "correct horse battery"


def csrf_token(client: Any, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = _CSRF.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def emails_to(mailbox: Any, address: str, timeout: float = 10.0, *, at_least: int = 1) -> list[Any]:
    """The emails to ``address``, once ``at_least`` of them arrived (the worker sends
    account email from its outbox), and a moment more for any other on its way."""
    return emails_where(mailbox, lambda message: message["To"] == address, timeout, at_least)


def emails_where(
    mailbox: Any, wanted: Callable[[Any], bool], timeout: float = 10.0, at_least: int = 1
) -> list[Any]:
    """The emails ``wanted`` picks, once ``at_least`` of them arrived, and a moment more
    for any other on its way: a busy machine's worker may take seconds to send them."""
    ends = time.monotonic() + timeout
    while len(_picked(mailbox, wanted)) < at_least and time.monotonic() < ends:
        time.sleep(0.02)
    time.sleep(0.1)
    return _picked(mailbox, wanted)


def arrived(mailbox: Any, seconds: float = 0.3) -> list[Any]:
    """Every email received, once nothing more is on its way."""
    time.sleep(seconds)
    return list(mailbox.messages)


def _picked(mailbox: Any, wanted: Callable[[Any], bool]) -> list[Any]:
    return [message for message in mailbox.messages if wanted(message)]


def follow_link(client: Any, link: str) -> str:
    """Open an emailed link as a browser does; the path of the page it lands on (the
    link's secret moves out of the address)."""
    return str(client.get(link, follow_redirects=True).request.path)


def link_in(mailbox: Any, address: str) -> str:
    """The path of the link in the latest email to ``address``."""
    (*_, message) = emails_to(mailbox, address)
    match = _LINK.search(message.get_content())
    assert match, message.get_content()
    parts = urlsplit(match.group(0))
    return parts.path + (f"?{parts.query}" if parts.query else "")


def sign_up(
    client: Any, mailbox: Any, email: str, password: str = PASSWORD, timezone: str = ""
) -> Any:
    token = csrf_token(client, "/signup")
    sent = client.post("/signup", data={"email": email, "timezone": timezone, "csrf_token": token})
    assert sent.status_code == 200, sent.get_data(as_text=True)
    finish = follow_link(client, link_in(mailbox, email.strip().lower()))
    token = csrf_token(client, finish)
    return client.post(finish, data={"password": password, "csrf_token": token})


def sign_up_in_browser(
    page: Any, base: str, mailbox: Any, email: str, password: str = "a long enough password"
) -> None:
    """The same in a real browser (Playwright's ``page``) against a live Plaza at ``base``."""
    page.goto(f"{base}/signup")
    page.fill("input[name=email]", email)
    page.click("button[type=submit]")
    page.get_by_role("heading", name="Check your inbox").wait_for()
    page.goto(base + link_in(mailbox, email))
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/onboarding")
