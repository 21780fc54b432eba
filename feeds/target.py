"""Where a request may go: an address's shape, then the addresses its name stands for.

Addresses come from outside (a retailer's feed, a redirect, a browser's push
endpoint), so nothing here trusts them: the shape is checked before any
network use, the host is resolved exactly once, and every address it resolves
to must pass :func:`feeds.addresses.refusal_reason` unless the operator allowed
it. The client then connects only to the addresses :func:`checked_addresses`
returned, so a name that changes its answer in between (DNS rebinding) gains
nothing.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Collection
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from feeds.addresses import IPAddress, refusal_reason
from feeds.errors import FetchError
from feeds.policy import DEFAULT_POLICY, HOST_NAME, FetchPolicy

DEFAULT_PORTS = {"http": 80, "https": 443}
WEB_SCHEMES = ("http", "https")

# WHATWG URL rule: a host whose last label is a number is an IPv4 address, and
# browsers read "2130706433", "0x7f.1" or "0177.0.0.1" as 127.0.0.1.
_NUMERIC_LAST_LABEL = re.compile(r"(?:^|\.)(?:0x[0-9a-f]*|[0-9]+)\.?$")


@dataclass(frozen=True)
class Target:
    """A URL that passed the shape checks, split into what a request needs."""

    url: str
    scheme: str
    host: str  # lower-case ASCII name, or a canonical IP address without brackets
    port: int
    request_path: str  # path and query, percent-encoded

    @classmethod
    def parse(
        cls, url: str, *, where: str = "The address", schemes: Collection[str] = WEB_SCHEMES
    ) -> Target:
        """Check a URL's shape (scheme, host, port, no credentials) before any network use.

        ``where`` starts every sentence, so the person reading it knows which
        address is meant ("The redirect target ...", "The push address ...").
        """
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise FetchError("bad_url", f"{where} {url!r} is not a valid web address.") from None
        scheme = parts.scheme.lower()
        if scheme not in schemes:
            raise _scheme_error(where, url, scheme, schemes)
        if parts.username is not None or parts.password is not None:
            raise FetchError(
                "bad_url",
                f"{where} contains a user name or password; it must name the server and "
                "nothing else, since Plaza does not send credentials inside addresses.",
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


def _scheme_error(where: str, url: str, scheme: str, schemes: Collection[str]) -> FetchError:
    if not scheme:
        return FetchError(
            "bad_url", f"{where} {url!r} is not a web address; it should start with https://."
        )
    allowed = " and ".join(f"{s}://" for s in schemes)
    return FetchError(
        "bad_scheme", f"{where} uses '{scheme}:'; Plaza only connects to {allowed} addresses."
    )


def _normalise_host(host: str, where: str, url: str) -> str:
    """Return the canonical host: an IP address as Python prints it, or an ASCII name.

    Numeric hosts in unusual forms (``2130706433``, ``0x7f.1``) are refused
    rather than decoded: browsers and resolvers disagree about them, and a
    real feed or push service never needs them.
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
    if not HOST_NAME.match(ascii_host):
        raise FetchError("bad_url", f"{where} has an invalid server name {host!r}.")
    return ascii_host


def _authority(scheme: str, host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return shown if port == DEFAULT_PORTS[scheme] else f"{shown}:{port}"


def check_address(url: str, policy: FetchPolicy = DEFAULT_POLICY) -> str:
    """Refuse, before saving it, an address the fetcher would never fetch.

    Checks the shape and a literal IP address without touching the network;
    a name is resolved (and checked again) at every fetch, since what it
    points to may change. Returns the normalised URL.
    """
    target = Target.parse(url)
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        return target.url
    reason = refusal_reason(literal)
    if reason and not policy.allows_host(target.host) and not policy.allows_address(literal):
        raise FetchError("refused_address", _refusal_sentence(target.host, literal, reason))
    return target.url


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
