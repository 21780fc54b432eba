"""The guarded fetcher: the one way Plaza reads a URL that someone outside gave it.

Retailers type feed addresses into Plaza, and Plaza's worker then fetches them
from inside our network. Without care, that turns the worker into a proxy for
attacks on private services (server-side request forgery): the cloud metadata
endpoint, a database admin page, anything on loopback. So, in the manner of
Miniflux's fetcher, every request here:

* accepts only ``http`` and ``https`` addresses without embedded credentials;
* resolves the host name exactly once and refuses the request if *any* of the
  addresses is loopback, private, link-local, shared (CGNAT), multicast,
  reserved, documentation, a translated/embedded IPv4 form or a cloud metadata
  service, unless the operator allowed it (``PLAZA_FETCH_ALLOW``);
* connects to the very address that was checked (no second lookup, so DNS
  rebinding cannot slip a private address in), while sending the original
  ``Host`` header and, for https, SNI and certificate checks for the original name;
* checks every redirect the same way, and follows only a few;
* bounds time (connect and read timeouts plus a wall-clock deadline that even a
  server trickling one byte at a time cannot outlast) and size (the *decompressed*
  body, so a gzip bomb stops early).

Errors come out as :class:`FetchError` whose ``reason`` is a sentence a
retailer can act on, because it ends up on their provider's health page.
"""

from __future__ import annotations

import heapq
import http
import http.client
import ipaddress
import itertools
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

from urllib3 import HTTPConnectionPool, HTTPSConnectionPool, Timeout
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import BaseHTTPResponse, HTTPResponse
from urllib3.util.ssl_match_hostname import CertificateError

from feeds.addresses import IPAddress, refusal_reason

__all__ = [
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "check_address",
    "checked_addresses",
    "fetch",
    "refusal_reason",
]

Resolver = Callable[[str, int], list[str]]

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml, text/xml, "
    "application/json;q=0.9, */*;q=0.8"
)
ACCEPT_ENCODING = "gzip, deflate"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
BACK_OFF_STATUSES = frozenset({429, 503})
MAX_FRESHNESS = timedelta(hours=24)
MAX_RETRY_AFTER = timedelta(hours=24)
CHUNK_SIZE = 64 * 1024
DEFAULT_PORTS = {"http": 80, "https": 443}

_HOSTNAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$")
# WHATWG URL rule: a host whose last label is a number is an IPv4 address, and
# browsers read "2130706433", "0x7f.1" or "0177.0.0.1" as 127.0.0.1.
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)(?:0x[0-9a-f]*|[0-9]+)\.?$")
_MAX_AGE = re.compile(r'(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?=,|$)', re.IGNORECASE)


class FetchError(Exception):
    """A fetch that did not produce a usable response.

    ``reason`` is shown to the retailer who owns the provider; ``code`` lets
    code (and tests) tell the cases apart; ``retry_after`` is set when the server
    asked us to come back later (429/503 with ``Retry-After``).
    """

    def __init__(
        self,
        code: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and exceptions for fetching; one per deployment, tests shrink them.

    ``allow`` names hosts (exact names) or IP networks that may be fetched even
    though they are private, e.g. loopback for tests and the demo. ``ca_certs``
    points at a PEM bundle to trust instead of the system store (a private CA,
    or a test CA).
    """

    allow: tuple[str, ...] = ()
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    user_agent: str = "Plaza/0.1 (+https://plaza.example/bot; feed fetcher)"
    resolver: Resolver | None = None
    ca_certs: str | None = None
    _allowed_hosts: frozenset[str] = field(init=False, repr=False, compare=False)
    _allowed_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        """Parse the allow-list up front so a typo fails at start-up, not per fetch."""
        hosts, networks = _parse_allow_entries(self.allow)
        object.__setattr__(self, "_allowed_hosts", hosts)
        object.__setattr__(self, "_allowed_networks", networks)

    @classmethod
    def from_allow_string(cls, allow: str | None, **limits: Any) -> FetchPolicy:
        """Build a policy from ``PLAZA_FETCH_ALLOW`` ("127.0.0.1, 10.1.2.0/24, localhost")."""
        entries = tuple(e.strip() for e in (allow or "").split(",") if e.strip())
        return cls(allow=entries, **limits)

    def allows_host(self, host: str) -> bool:
        """True if the operator allowed this host name (or literal address) by name."""
        return host in self._allowed_hosts

    def allows_address(self, address: IPAddress) -> bool:
        """True if ``address`` falls in an allowed network."""
        return any(address in network for network in self._allowed_networks)


def _parse_allow_entries(
    entries: Iterable[str],
) -> tuple[frozenset[str], tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]]:
    hosts: set[str] = set()
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for raw in entries:
        entry = raw.strip().lower().rstrip(".")
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if not _HOSTNAME.match(entry):
                raise ValueError(
                    f"Fetch allow-list entry {raw!r} is neither a host name nor an IP network."
                ) from None
            hosts.add(entry)
    return frozenset(hosts), tuple(networks)


@dataclass(frozen=True)
class FetchResult:
    """A successful fetch: a body (status 2xx) or "not modified" (status 304).

    ``etag`` and ``last_modified`` are what to send next time; on a 304 that
    did not repeat them they are the values we sent, so callers can store them
    unconditionally. ``fresh_until`` is the server's ``max-age`` promise, bounded.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    etag: str | None
    last_modified: str | None
    not_modified: bool
    fresh_until: datetime | None


DEFAULT_POLICY = FetchPolicy()


def _utc_now() -> datetime:
    return datetime.now(UTC)


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    policy: FetchPolicy = DEFAULT_POLICY,
    now: Callable[[], datetime] = _utc_now,
) -> FetchResult:
    """GET ``url`` under ``policy``, following checked redirects; raise :class:`FetchError`.

    ``etag`` / ``last_modified`` from the previous fetch make the request
    conditional, so an unchanged feed costs a 304 and no body.
    """
    deadline = _Deadline(policy.deadline)
    try:
        result = _follow(url, etag, last_modified, policy, now, deadline)
    finally:
        deadline.close()
    if deadline.expired:  # the timer may have cut a close-delimited body short
        raise _deadline_error(policy)
    return result


def check_address(url: str, policy: FetchPolicy = DEFAULT_POLICY) -> str:
    """Refuse, before saving it, an address the fetcher would never fetch.

    Checks the shape and a literal IP address without touching the network;
    a name is resolved (and checked again) at every fetch, since what it
    points to may change. Returns the normalised URL.
    """
    target = _Target.parse(url)
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        return target.url
    reason = refusal_reason(literal)
    if reason and not policy.allows_host(target.host) and not policy.allows_address(literal):
        raise FetchError("refused_address", _refusal_sentence(target.host, literal, reason))
    return target.url


def _follow(
    url: str,
    etag: str | None,
    last_modified: str | None,
    policy: FetchPolicy,
    now: Callable[[], datetime],
    deadline: _Deadline,
) -> FetchResult:
    """Fetch, then fetch each redirect target, each hop checked afresh."""
    target = _Target.parse(url)
    for _hop in range(policy.max_redirects + 1):
        addresses = checked_addresses(target.host, target.port, policy)
        headers = _request_headers(target, policy, etag, last_modified)
        with _exchange(target, addresses, headers, policy, deadline) as response:
            if response.status not in REDIRECT_STATUSES:
                return _result(target, response, etag, last_modified, policy, now, deadline)
            target = _Target.parse(_redirect_location(target, response), redirected=True)
    raise FetchError(
        "too_many_redirects",
        f"The address redirected more than {policy.max_redirects} times "
        "(it may be redirecting in a loop), so Plaza gave up.",
    )


@dataclass(frozen=True)
class _Target:
    """A URL that passed the shape checks, split into what a request needs."""

    url: str
    scheme: str
    host: str  # lower-case ASCII name, or a canonical IP address without brackets
    port: int
    request_path: str  # path and query, percent-encoded

    @classmethod
    def parse(cls, url: str, *, redirected: bool = False) -> _Target:
        """Check a URL's shape (scheme, host, port, no credentials) before any network use."""
        where = "The redirect target" if redirected else "The address"
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise FetchError("bad_url", f"{where} {url!r} is not a valid web address.") from None
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise _scheme_error(where, url, scheme)
        if parts.username is not None or parts.password is not None:
            raise FetchError(
                "bad_url",
                f"{where} contains a user name or password; "
                "Plaza does not send credentials inside addresses.",
            )
        if port == 0:
            raise FetchError("bad_url", f"{where} {url!r} uses port 0, which is not valid.")
        host = _normalise_host(parts.hostname or "", where, url)
        port = port or DEFAULT_PORTS[scheme]
        request_path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=~")
        if parts.query:
            request_path += "?" + quote(parts.query, safe="/?%:@!$&'()*+,;=~")
        authority = _authority(scheme, host, port)
        return cls(f"{scheme}://{authority}{request_path}", scheme, host, port, request_path)

    @property
    def host_header(self) -> str:
        return _authority(self.scheme, self.host, self.port)


def _scheme_error(where: str, url: str, scheme: str) -> FetchError:
    if not scheme:
        return FetchError(
            "bad_url", f"{where} {url!r} is not a web address; it should start with https://."
        )
    return FetchError(
        "bad_scheme",
        f"{where} uses '{scheme}:'; Plaza only fetches http:// and https:// addresses.",
    )


def _normalise_host(host: str, where: str, url: str) -> str:
    """Return the canonical host: an IP address as Python prints it, or an ASCII name.

    Numeric hosts in unusual forms (``2130706433``, ``0x7f.1``) are refused
    rather than decoded: browsers and resolvers disagree about them, and a
    real feed never needs them.
    """
    if not host:
        raise FetchError("bad_url", f"{where} {url!r} has no host name.")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _NUMERIC_LAST_LABEL.search(host):
        raise FetchError(
            "bad_url",
            f"{where} writes the server {host!r} as a number in an unusual form; "
            "use its name or a plain address like 93.184.215.14.",
        )
    try:
        ascii_host = host.encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError:
        ascii_host = ""
    if not _HOSTNAME.match(ascii_host):
        raise FetchError("bad_url", f"{where} has an invalid server name {host!r}.")
    return ascii_host


def _authority(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORTS[scheme] else f"{shown}:{port}"


def checked_addresses(host: str, port: int, policy: FetchPolicy) -> list[IPAddress]:
    """Resolve once and refuse if any address is off limits; return what to connect to.

    All addresses must pass, not just the first: otherwise a name with one
    public and one private record would reach the private one on a retry.
    Every outgoing connection Plaza makes to an address from outside (feeds,
    Web Push endpoints) connects only to what this returned.
    """
    addresses = _resolve(host, port, policy)
    if policy.allows_host(host):
        return addresses
    for address in addresses:
        reason = refusal_reason(address)
        if reason and not policy.allows_address(address):
            raise FetchError("refused_address", _refusal_sentence(host, address, reason))
    return addresses


def _refusal_sentence(host: str, address: IPAddress, reason: str) -> str:
    if host == str(address):
        return f"The address {address} is {reason}, which Plaza does not fetch from."
    return (
        f"The server name {host} points to {address}, which is {reason}; "
        "Plaza does not fetch from such addresses."
    )


def _resolve(host: str, port: int, policy: FetchPolicy) -> list[IPAddress]:
    """Turn the host into addresses: literals as they are, names via the resolver, once."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    resolver = policy.resolver or _getaddrinfo_resolver
    not_found = FetchError(
        "dns", f"Plaza could not find the server {host}; check the address for typos."
    )
    try:
        found = resolver(host, port)
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    except (OSError, ValueError, UnicodeError):
        raise not_found from None
    if not addresses:
        raise not_found
    return list(dict.fromkeys(addresses))


def _getaddrinfo_resolver(host: str, port: int) -> list[str]:
    """The system resolver, asked for TCP addresses of any family."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _request_headers(
    target: _Target, policy: FetchPolicy, etag: str | None, last_modified: str | None
) -> dict[str, str]:
    headers = {
        "Host": target.host_header,
        "User-Agent": policy.user_agent,
        "Accept": ACCEPT,
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


class _Deadline:
    """The wall-clock budget of one fetch, enforced even while a socket call blocks.

    Socket timeouts bound each read, not the whole response: a server that
    sends a byte just before every timeout (in the headers or the body) would
    keep us forever. So a timer shuts down every connection of the fetch when
    the budget runs out; the blocked call then returns and the fetch fails as
    a timeout. The timer holds duplicates of the sockets, so it can never touch
    a descriptor that was closed and reused meanwhile.
    """

    def __init__(self, seconds: float) -> None:
        self._ends = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._closed = False
        self.expired = False
        _WATCHDOG.add(self._ends, self)

    def remaining(self) -> float:
        return max(0.0, self._ends - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Put a freshly connected socket under the deadline."""
        with self._lock:
            self._sockets.append(sock.dup())
            if self.expired:
                _shut_down(self._sockets[-1])

    def _expire(self) -> None:
        with self._lock:
            if self._closed:
                return
            self.expired = True
            for sock in self._sockets:
                _shut_down(sock)

    def close(self) -> None:
        """Stop the timer and drop the duplicates; ``expired`` is final after this."""
        with self._lock:
            self._closed = True
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


class _Watchdog:
    """One daemon thread that expires every fetch's deadline.

    A thread per fetch (``threading.Timer``) costs a thread start, and the wait for
    it to be scheduled, on every fetch: a third of a 304 refresh on a busy machine.
    Deadlines closed in time are dropped lazily when they reach the top of the heap.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: list[tuple[float, int, _Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, ends: float, deadline: _Deadline) -> None:
        with self._wake:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="fetch-deadlines"
                )
                self._thread.start()
            heapq.heappush(self._due, (ends, next(self._order), deadline))
            self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._due and self._due[0][2]._closed:
                    heapq.heappop(self._due)
                if not self._due:
                    self._wake.wait()
                    continue
                delay = self._due[0][0] - time.monotonic()
                if delay > 0:
                    self._wake.wait(delay)
                    continue
                heapq.heappop(self._due)[2]._expire()


_WATCHDOG = _Watchdog()


def _shut_down(sock: socket.socket) -> None:
    # OSError: already closed by the peer or by us, so nothing is left to interrupt.
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedConnectionMixin:
    """Hands each new socket to the fetch's :class:`_Deadline`."""

    def __init__(self, *args: Any, deadline: _Deadline, **kwargs: Any) -> None:
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


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


@contextmanager
def _exchange(
    target: _Target,
    addresses: list[IPAddress],
    headers: dict[str, str],
    policy: FetchPolicy,
    deadline: _Deadline,
) -> Iterator[BaseHTTPResponse]:
    """Send the request and yield the response (headers read, body not yet); clean up after."""
    try:
        pool, response = _open(target, addresses, headers, policy, deadline)
    except _TRANSPORT_ERRORS as exc:
        raise _transport_error(exc, target, policy, deadline) from exc
    try:
        yield response
    finally:
        response.close()
        pool.close()


def _open(
    target: _Target,
    addresses: list[IPAddress],
    headers: dict[str, str],
    policy: FetchPolicy,
    deadline: _Deadline,
) -> tuple[HTTPConnectionPool, BaseHTTPResponse]:
    """Try the checked addresses in turn until one accepts the connection.

    Moving on is safe only while nothing was sent, i.e. when the connection
    itself failed (``NewConnectionError`` is a ``ConnectTimeoutError``); every
    address was checked already.
    """
    *fallbacks, last = addresses
    for address in fallbacks:
        try:
            return _request(target, address, headers, policy, deadline)
        except ConnectTimeoutError:
            continue
    return _request(target, last, headers, policy, deadline)


def _request(
    target: _Target,
    address: IPAddress,
    headers: dict[str, str],
    policy: FetchPolicy,
    deadline: _Deadline,
) -> tuple[HTTPConnectionPool, BaseHTTPResponse]:
    """One GET to one address, connecting to that address and nothing else."""
    remaining = deadline.remaining()
    if remaining <= 0:
        raise _deadline_error(policy)
    timeout = Timeout(
        connect=min(policy.connect_timeout, remaining), read=min(policy.read_timeout, remaining)
    )
    options: dict[str, Any] = {"port": target.port, "timeout": timeout, "maxsize": 1}
    pool: HTTPConnectionPool
    if target.scheme == "https":
        pool = _HTTPSPool(
            str(address),
            cert_reqs=ssl.CERT_REQUIRED,
            ca_certs=policy.ca_certs,
            server_hostname=target.host,
            assert_hostname=target.host,
            deadline=deadline,
            **options,
        )
    else:
        pool = _HTTPPool(str(address), deadline=deadline, **options)
    try:
        response = pool.urlopen(
            "GET",
            target.request_path,
            headers=headers,
            retries=False,
            redirect=False,
            preload_content=False,
            decode_content=True,
            assert_same_host=False,
        )
    except BaseException:
        pool.close()
        raise
    return pool, response


_TRANSPORT_ERRORS = (HTTPError, OSError, http.client.HTTPException)


def _transport_error(
    exc: BaseException, target: _Target, policy: FetchPolicy, deadline: _Deadline
) -> FetchError:
    """Translate a urllib3/socket failure into a sentence about the retailer's server."""
    host = target.host
    if deadline.expired:
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
    if isinstance(exc, ReadTimeoutError):
        return FetchError(
            "timeout", f"The server {host} stopped answering for {_seconds(policy.read_timeout)}."
        )
    if isinstance(exc, SSLError):
        return FetchError("tls", _tls_sentence(exc, host))
    if isinstance(exc, DecodeError):
        return FetchError("protocol", f"The server {host} sent a corrupt compressed response.")
    return FetchError(
        "protocol",
        f"The server {host} closed the connection early or sent a response that is not valid HTTP.",
    )


def _tls_sentence(exc: SSLError, host: str) -> str:
    """Name the certificate problem when there is one; it is what the retailer can fix."""
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return (
                f"The security certificate of {host} could not be verified "
                f"({cause.verify_message}), so Plaza did not trust the connection."
            )
        if isinstance(cause, CertificateError):
            return (
                f"The security certificate of {host} was issued for a different name, "
                "so Plaza did not trust the connection."
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


def _redirect_location(target: _Target, response: BaseHTTPResponse) -> str:
    location = response.headers.get("Location")
    if not location:
        raise FetchError(
            "http_status",
            f"The server answered {_status_words(response)} without saying where to go.",
            status=response.status,
        )
    return urljoin(target.url, location.strip())


def _result(
    target: _Target,
    response: BaseHTTPResponse,
    etag: str | None,
    last_modified: str | None,
    policy: FetchPolicy,
    now: Callable[[], datetime],
    deadline: _Deadline,
) -> FetchResult:
    """Turn a final (non-redirect) response into a result or an error."""
    status = response.status
    if status in BACK_OFF_STATUSES:
        raise FetchError(
            "http_status",
            f"The server answered {_status_words(response)}; Plaza will try again later.",
            status=status,
            retry_after=_retry_after(response.headers.get("Retry-After"), now()),
        )
    if status != 304 and not 200 <= status < 300:
        raise FetchError(
            "http_status",
            f"The server answered {_status_words(response)}.{_STATUS_HINTS.get(status, '')}",
            status=status,
        )
    not_modified = status == 304
    body = b"" if not_modified else _read_body(target, response, policy, deadline)
    headers = response.headers
    return FetchResult(
        url=target.url,
        status=status,
        headers=MappingProxyType(headers.copy()),
        body=body,
        etag=headers.get("ETag") or (etag if not_modified else None),
        last_modified=headers.get("Last-Modified") or (last_modified if not_modified else None),
        not_modified=not_modified,
        fresh_until=_fresh_until(headers.get("Cache-Control"), now()),
    )


_STATUS_HINTS = {
    401: " The feed seems to need a login; Plaza can only read public feeds.",
    403: " The server does not let Plaza read this address.",
    404: " Check that the address is right and the feed still exists.",
    410: " The feed has been removed for good.",
}


def _status_words(response: BaseHTTPResponse) -> str:
    try:
        phrase = http.HTTPStatus(response.status).phrase
    except ValueError:
        phrase = ""
    return f"{response.status} {phrase}".strip()


def _read_body(
    target: _Target, response: BaseHTTPResponse, policy: FetchPolicy, deadline: _Deadline
) -> bytes:
    """Read at most ``max_bytes`` of decoded body, failing as soon as it would be more.

    urllib3 (>= 2.6) decompresses at most the amount asked for per read, so a
    small gzip bomb never expands past the cap in memory.
    """
    _check_encoding(target, response)
    too_large = FetchError(
        "too_large",
        f"The response is larger than {_size(policy.max_bytes)}, the most Plaza reads from a feed.",
    )
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > policy.max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        while chunk := response.read(min(CHUNK_SIZE, policy.max_bytes + 1 - size)):
            size += len(chunk)
            if size > policy.max_bytes:
                raise too_large
            chunks.append(chunk)
    except _TRANSPORT_ERRORS as exc:
        raise _transport_error(exc, target, policy, deadline) from exc
    return b"".join(chunks)


def _check_encoding(target: _Target, response: BaseHTTPResponse) -> None:
    """Refuse bodies compressed in a way urllib3 cannot undo (e.g. brotli without the module).

    Passing them through would hand the parser compressed bytes and a
    confusing "not a feed" error instead of the real cause.
    """
    header = response.headers.get("Content-Encoding", "")
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    unknown = [c for c in codings if c != "identity" and c not in HTTPResponse.CONTENT_DECODERS]
    if unknown:
        raise FetchError(
            "protocol",
            f"The server {target.host} compressed the response as {', '.join(unknown)}, "
            "which Plaza cannot read.",
        )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


def _retry_after(value: str | None, now: datetime) -> datetime | None:
    """Parse ``Retry-After`` (delay in seconds or an HTTP date) into a time within 24 h."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + min(timedelta(seconds=int(value)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(when.astimezone(UTC), now), now + MAX_RETRY_AFTER)


def _fresh_until(cache_control: str | None, now: datetime) -> datetime | None:
    """The end of the ``max-age`` the server granted, at most 24 h away."""
    match = _MAX_AGE.search(cache_control or "")
    if not match:
        return None
    return now + min(timedelta(seconds=int(match.group(1))), MAX_FRESHNESS)
