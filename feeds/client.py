"""The guarded HTTP client: one request to an address from outside, and nothing else.

Retailers type feed addresses into Plaza and browsers hand it push endpoints,
and Plaza's worker then connects to them from inside our network. Without
care, that turns the worker into a proxy for attacks on private services
(server-side request forgery): the cloud metadata endpoint, a database admin
page, anything on loopback. So both the feed fetcher's GET (:mod:`feeds.fetch`)
and Web Push's POST (:mod:`feeds.post`) send every request through
:func:`exchange`, which

* resolves the host once and connects only to the addresses
  :func:`feeds.target.checked_addresses` let through (no second lookup, so DNS
  rebinding cannot slip a private address in), while sending the original
  ``Host`` header and, for https, SNI and certificate checks for the original name;
* bounds time: connect and read timeouts, plus the :class:`~feeds.deadline.Deadline`
  that :func:`within_deadline` gives the whole request;
* words every transport failure as a sentence about the server.

Redirects, body limits and what a status means are the callers' business.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import cache
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.ssl_ import create_urllib3_context

from feeds.addresses import IPAddress
from feeds.deadline import Deadline
from feeds.errors import FetchError
from feeds.policy import FetchPolicy
from feeds.target import Target, checked_addresses

CHUNK_SIZE = 64 * 1024
# OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH and X509_V_ERR_IP_ADDRESS_MISMATCH.
_NAME_MISMATCH = frozenset({62, 64})

_TRANSPORT_ERRORS = (HTTPError, OSError, http.client.HTTPException)


@contextmanager
def within_deadline(policy: FetchPolicy) -> Iterator[Deadline]:
    """The wall-clock budget of one request, redirects included; over it is a timeout.

    Checked again on the way out because the watchdog may have cut a
    close-delimited body short, which reads like a complete one.
    """
    deadline = Deadline(policy.deadline)
    try:
        yield deadline
    finally:
        deadline.close()
    if deadline.expired:
        raise _deadline_error(policy)


@contextmanager
def exchange(
    method: str,
    target: Target,
    policy: FetchPolicy,
    deadline: Deadline,
    headers: Mapping[str, str],
    body: bytes | None = None,
) -> Iterator[BaseHTTPResponse]:
    """Send one request and yield the response (headers read, body not yet); clean up after."""
    addresses = checked_addresses(target.host, target.port, policy)
    sent = {"Host": target.host_header, "User-Agent": policy.user_agent, **headers}
    try:
        connection, response = _open(method, target, addresses, sent, body, policy, deadline)
    except _TRANSPORT_ERRORS as exc:
        raise _transport_error(exc, target, policy, deadline) from exc
    try:
        yield response
    finally:
        response.close()
        connection.close()


def read_at_most(
    response: BaseHTTPResponse,
    limit: int,
    target: Target,
    policy: FetchPolicy,
    deadline: Deadline,
) -> bytes:
    """Read the decoded body, stopping once ``limit`` bytes are in.

    urllib3 (>= 2.6) decompresses at most the amount asked for per read, so a
    small gzip bomb never expands past the limit in memory.
    """
    chunks: list[bytes] = []
    size = 0
    try:
        while size < limit and (chunk := response.read(min(CHUNK_SIZE, limit - size))):
            size += len(chunk)
            chunks.append(chunk)
    except _TRANSPORT_ERRORS as exc:
        raise _transport_error(exc, target, policy, deadline) from exc
    return b"".join(chunks)


class _WatchedConnectionMixin:
    """Hands each new socket to the request's :class:`Deadline`."""

    def __init__(self, *args: Any, deadline: Deadline, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = deadline

    def _new_conn(self) -> socket.socket:
        sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        self._deadline.watch(sock)
        return sock


class _WatchedHTTPConnection(_WatchedConnectionMixin, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_WatchedConnectionMixin, HTTPSConnection):
    pass


@cache
def _tls_context(ca_certs: str | None) -> ssl.SSLContext:
    """One context per trust store, shared by every connection.

    Left to itself urllib3 builds a context, and loads the CA certificates into
    it, for every connection: milliseconds that every request would pay again. It
    checks the certificate against ``server_hostname`` itself (in OpenSSL, the
    name the address was given with, not the address connected to).
    """
    context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
    if ca_certs:
        context.load_verify_locations(cafile=ca_certs)
    else:
        context.load_default_certs()
    return context


def _open(
    method: str,
    target: Target,
    addresses: list[IPAddress],
    headers: dict[str, str],
    body: bytes | None,
    policy: FetchPolicy,
    deadline: Deadline,
) -> tuple[HTTPConnection, BaseHTTPResponse]:
    """Try the checked addresses in turn until one accepts the connection.

    Moving on is safe only while nothing was sent, i.e. when the connection
    itself failed (``NewConnectionError`` is a ``ConnectTimeoutError``); every
    address was checked already.
    """
    *fallbacks, last = addresses
    for address in fallbacks:
        try:
            return _request(method, target, address, headers, body, policy, deadline)
        except ConnectTimeoutError:
            continue
    return _request(method, target, last, headers, body, policy, deadline)


def _request(
    method: str,
    target: Target,
    address: IPAddress,
    headers: dict[str, str],
    body: bytes | None,
    policy: FetchPolicy,
    deadline: Deadline,
) -> tuple[HTTPConnection, BaseHTTPResponse]:
    """One request to one address, connecting to that address and nothing else.

    A bare urllib3 connection rather than a pool: a connection is never reused
    (each belongs to its request's deadline), so a pool would only add its
    bookkeeping to every request. The timeouts switch as a pool's do: the connect
    timeout until the request is sent, the read timeout while waiting for the answer.
    """
    remaining = deadline.remaining()
    if remaining <= 0:
        raise _deadline_error(policy)
    connection = _connection(target, address, policy, deadline)
    connection.timeout = min(policy.connect_timeout, remaining)
    try:
        connection.connect()
        # A server may answer without reading all we sent; the answer still counts.
        with suppress(BrokenPipeError):
            connection.request(
                method,
                target.request_path,
                body=body,
                headers=headers,
                preload_content=False,
                decode_content=True,
            )
        connection.timeout = min(policy.read_timeout, remaining)
        response = connection.getresponse()
    except BaseException:
        connection.close()
        raise
    return connection, response


def _connection(
    target: Target, address: IPAddress, policy: FetchPolicy, deadline: Deadline
) -> HTTPConnection:
    """Connect to the checked ``address``, but check the certificate for the name (and send it
    as SNI): the name is what the address was given as, so it is what must be proven."""
    if target.scheme == "https":
        return _WatchedHTTPSConnection(
            str(address),
            target.port,
            cert_reqs=ssl.CERT_REQUIRED,
            ssl_context=_tls_context(policy.ca_certs),
            server_hostname=target.host,
            deadline=deadline,
        )
    return _WatchedHTTPConnection(str(address), target.port, deadline=deadline)


def _transport_error(
    exc: BaseException, target: Target, policy: FetchPolicy, deadline: Deadline
) -> FetchError:
    """Translate a urllib3, socket or TLS failure into a sentence about the server.

    A timeout that ran into the end of the deadline (each timeout is cut to
    what is left of it) is the deadline's doing, and is worded as such. Before
    the response is read, no pool wraps what the socket raises, so a plain
    ``TimeoutError`` (the TLS handshake, the wait for the status line) and a
    plain ``ssl.SSLError`` count like urllib3's own.
    """
    host = target.host
    if deadline.expired or deadline.remaining() <= 0:
        return _deadline_error(policy)
    if isinstance(exc, NewConnectionError):
        return FetchError(
            "connect", f"The server {host} refused the connection or could not be reached."
        )
    if isinstance(exc, ConnectTimeoutError):
        return FetchError(
            "timeout",
            f"The server {host} did not accept a connection within "
            f"{_seconds(policy.connect_timeout)}.",
        )
    if isinstance(exc, (ReadTimeoutError, TimeoutError)):
        return FetchError(
            "timeout", f"The server {host} stopped answering for {_seconds(policy.read_timeout)}."
        )
    if isinstance(exc, (SSLError, ssl.SSLError)):
        return FetchError("tls", _tls_sentence(exc, host))
    if isinstance(exc, DecodeError):
        return FetchError("protocol", f"The server {host} sent a corrupt compressed response.")
    return FetchError(
        "protocol",
        f"The server {host} closed the connection early or sent a response that is not valid HTTP.",
    )


def _tls_sentence(exc: BaseException, host: str) -> str:
    """Name the certificate problem when there is one; it is what the owner can fix."""
    for cause in _causes(exc):
        if not isinstance(cause, ssl.SSLCertVerificationError):
            continue
        if cause.verify_code in _NAME_MISMATCH:
            return (
                f"The security certificate of {host} was issued for a different name, "
                "so Plaza did not trust the connection."
            )
        return (
            f"The security certificate of {host} could not be verified "
            f"({cause.verify_message}), so Plaza did not trust the connection."
        )
    return f"A secure (https) connection to {host} could not be set up."


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the exceptions it was raised from or while handling, nearest first."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__ or cause.__context__


def _deadline_error(policy: FetchPolicy) -> FetchError:
    return FetchError(
        "timeout",
        f"The server took longer than {_seconds(policy.deadline)} to send the whole "
        "response, so Plaza stopped waiting.",
    )


def _seconds(value: float) -> str:
    return f"{value:g} second" + ("" if value == 1 else "s")


def retry_after(value: str | None, now: datetime, longest: timedelta) -> datetime | None:
    """When a server's ``Retry-After`` (a delay in seconds or an HTTP date) says to come
    back, no later than ``longest`` from ``now``; None when it says nothing readable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + min(timedelta(seconds=int(value)), longest)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when.astimezone(UTC), now), now + longest)
