"""The limits and the allow-list the guarded client works under.

Feeds and Web Push share the type: which addresses may be reached is one
decision (``PLAZA_FETCH_ALLOW``), only the time limits differ between them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from feeds.addresses import IPAddress

Resolver = Callable[[str, int], list[str]]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HOST_NAME = re.compile(r"^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?$")


@dataclass(frozen=True)
class FetchPolicy:
    """Limits and exceptions for outgoing requests; tests shrink them.

    ``allow`` names hosts (exact names) or IP networks that may be reached even
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
    _allowed_networks: tuple[Network, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Parse the allow-list up front so a typo fails at start-up, not per request."""
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


def _parse_allow_entries(entries: Iterable[str]) -> tuple[frozenset[str], tuple[Network, ...]]:
    hosts: set[str] = set()
    networks: list[Network] = []
    for raw in entries:
        entry = raw.strip().lower().rstrip(".")
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            if not HOST_NAME.match(entry):
                raise ValueError(
                    f"Fetch allow-list entry {raw!r} is neither a host name nor an IP network."
                ) from None
            hosts.add(entry)
    return frozenset(hosts), tuple(networks)


DEFAULT_POLICY = FetchPolicy()
