"""POST to an address a browser handed us: a Web Push endpoint.

A push endpoint reaches Plaza through a request anyone can forge, so it gets
the same treatment as a retailer's feed address: the guarded client
(:mod:`feeds.client`) checks its shape and every address its name resolves
to, connects only to what it checked, and holds the request to a deadline.
What differs is what a push needs: https only, no redirects followed (a push
service has no reason to send one, and following it would let an endpoint
point the worker somewhere else), and a small answer read, since all that
matters is the status and perhaps a line of explanation.

We post ourselves instead of letting pywebpush use ``requests``: requests
resolves and connects by itself, so the pinning (resolve, check, connect to
that address, SNI for the name) would have to be done again inside an adapter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from feeds.client import exchange, read_at_most, within_deadline
from feeds.policy import FetchPolicy
from feeds.target import Target

MAX_RESPONSE = 4096


@dataclass(frozen=True)
class PostResult:
    """A push service's answer, whatever its status; ``body`` holds at most MAX_RESPONSE bytes."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def parse_endpoint(url: str) -> Target:
    """Check an endpoint's shape before any network use; raise FetchError('bad_url'/'bad_scheme').

    The same rules as a feed address (no credentials, no numbers in unusual
    forms), and https only, so a subscription that could never be delivered
    is refused when the browser subscribes, not at every push.
    """
    return Target.parse(url, where="The push address", schemes=("https",))


def post(url: str, body: bytes, headers: Mapping[str, str], policy: FetchPolicy) -> PostResult:
    """POST ``body`` to ``url``; raise :class:`~feeds.errors.FetchError` on any failure.

    A redirect is an answer like any other: the caller sees its status.
    """
    target = parse_endpoint(url)
    with (
        within_deadline(policy) as deadline,
        exchange("POST", target, policy, deadline, headers, body) as response,
    ):
        data = read_at_most(response, MAX_RESPONSE, target, policy, deadline)
        return PostResult(response.status, MappingProxyType(response.headers.copy()), data)
