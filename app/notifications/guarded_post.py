"""POST to a remote address under the fetcher's safety rules (Web Push endpoints).

A push endpoint is a URL that a browser handed us, so it gets the same
treatment as a retailer's feed URL (see ``feeds/fetch.py``): https only, no
credentials, the host resolved once and refused if any address is private,
loopback, link-local, metadata and so on (:func:`feeds.fetch.checked_addresses`,
the fetcher's own check, unless ``PLAZA_FETCH_ALLOW`` allows it), then a
connection to the very address that was checked, with the certificate
checked for the original name. No redirects are followed. A wall-clock
deadline shuts the socket down, so a server that answers slowly or never
costs one timeout and nothing more.

We post ourselves instead of letting pywebpush use ``requests``: a requests
adapter would have to re-implement the pinning (resolve, check, connect to
that address, SNI for the name) inside urllib3's pool internals, while this is
one small function over ``http.client`` that reuses the fetcher's rules and
its error type.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

from feeds.addresses import IPAddress
from feeds.fetch import FetchError, FetchPolicy, checked_addresses

MAX_RESPONSE = 4096


@dataclass(frozen=True)
class PostResult:
    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    path: str


def parse_endpoint(url: str) -> _Target:
    """Check an endpoint's shape before any network use; raise FetchError('bad_url')."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or 443
    except ValueError:
        raise FetchError("bad_url", "The push address is not a valid web address.") from None
    if parts.scheme != "https":
        raise FetchError("bad_url", "A push address must start with https://.")
    if parts.username is not None or parts.password is not None or not parts.hostname:
        raise FetchError("bad_url", "The push address must name a server and nothing else.")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.hostname.lower(), port, path)


def post(url: str, body: bytes, headers: Mapping[str, str], policy: FetchPolicy) -> PostResult:
    """POST ``body`` to ``url``; raise :class:`FetchError` with a reason on any failure."""
    target = parse_endpoint(url)
    addresses = checked_addresses(target.host, target.port, policy)
    raw = _connect(target, addresses, policy)
    # TLS takes the socket over, so the deadline holds a duplicate of its own.
    watched = raw.dup()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _shut_down(watched)

    timer = threading.Timer(policy.deadline, expire)
    timer.daemon = True
    timer.start()
    try:
        return _exchange(target, raw, body, headers, policy)
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise FetchError(
                "timeout", f"The push service took longer than {policy.deadline:g} s."
            ) from exc
        if isinstance(exc, TimeoutError):
            raise FetchError(
                "timeout", f"The push service did not answer within {policy.read_timeout:g} s."
            ) from exc
        if isinstance(exc, ssl.SSLError):
            raise FetchError(
                "tls", f"A secure connection to {target.host} could not be set up ({exc})."
            ) from exc
        raise FetchError(
            "protocol", f"The push service {target.host} closed the connection or broke HTTP."
        ) from exc
    finally:
        timer.cancel()
        watched.close()
        raw.close()


def _connect(target: _Target, addresses: list[IPAddress], policy: FetchPolicy) -> socket.socket:
    """Connect to the first checked address that answers (nothing was sent yet)."""
    last: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection(
                (str(address), target.port), timeout=policy.connect_timeout
            )
        except OSError as exc:
            last = exc
    if isinstance(last, TimeoutError):
        raise FetchError(
            "timeout",
            f"The push service {target.host} did not accept a connection within "
            f"{policy.connect_timeout:g} s.",
        )
    raise FetchError("connect", f"The push service {target.host} refused the connection.")


def _exchange(
    target: _Target,
    raw: socket.socket,
    body: bytes,
    headers: Mapping[str, str],
    policy: FetchPolicy,
) -> PostResult:
    raw.settimeout(policy.read_timeout)
    # Plain HTTPConnection over our own TLS socket: HTTPSConnection would build (and
    # load the system's CA store into) an SSL context of its own for every request.
    connection = http.client.HTTPConnection(target.host, target.port)
    connection.sock = _tls_context(policy.ca_certs).wrap_socket(raw, server_hostname=target.host)
    try:
        connection.request(
            "POST", target.path, body=body, headers={"User-Agent": policy.user_agent, **headers}
        )
        response = connection.getresponse()
        data = response.read(MAX_RESPONSE)
        return PostResult(response.status, dict(response.getheaders()), data)
    finally:
        connection.close()


@cache
def _tls_context(ca_certs: str | None) -> ssl.SSLContext:
    """One context per trust store: loading the system's CA certificates takes
    milliseconds, far too long to repeat for every push."""
    return ssl.create_default_context(cafile=ca_certs)


def _shut_down(sock: socket.socket) -> None:
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
