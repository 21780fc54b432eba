"""Which IP addresses Plaza must never connect to, and why, in words.

Kept apart from the fetcher so that every place that checks an address (the
fetcher at connect time, provider registration, web push endpoints) asks the
same question and gets the same sentence.
"""

from __future__ import annotations

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_net = ipaddress.ip_network

# Addresses of cloud metadata and platform services. Some sit in ranges refused
# anyway; they come first so the message says what the address really is, and
# because 168.63.129.16 (Azure) is otherwise an ordinary public address.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "168.63.129.16",  # Azure wire server
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::253",  # AWS VPC DNS over IPv6
    )
)

# (network, how it ends a sentence "... which is <description>"), most specific first.
_REFUSED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = (
    (_net("0.0.0.0/8"), "an unspecified ('this network') address"),
    (_net("127.0.0.0/8"), "this machine's own loopback address"),
    (_net("10.0.0.0/8"), "on a private network"),
    (_net("172.16.0.0/12"), "on a private network"),
    (_net("192.168.0.0/16"), "on a private network"),
    (_net("100.64.0.0/10"), "on a carrier-grade NAT (shared) network"),
    (_net("169.254.0.0/16"), "a link-local address"),
    (_net("192.0.0.0/24"), "reserved for protocol use"),
    (_net("192.0.2.0/24"), "reserved for documentation"),
    (_net("198.51.100.0/24"), "reserved for documentation"),
    (_net("203.0.113.0/24"), "reserved for documentation"),
    (_net("198.18.0.0/15"), "reserved for network benchmarking"),
    (_net("224.0.0.0/4"), "a multicast address"),
    (_net("255.255.255.255/32"), "the broadcast address"),
    (_net("240.0.0.0/4"), "in a reserved range"),
    (_net("::/128"), "an unspecified address"),
    (_net("::1/128"), "this machine's own loopback address"),
    (_net("::ffff:0:0/96"), "an IPv4 address written in IPv6 form (IPv4-mapped)"),
    (_net("::/96"), "an IPv4 address written in IPv6 form (IPv4-compatible)"),
    (_net("64:ff9b::/96"), "a NAT64 address that leads into IPv4"),
    (_net("64:ff9b:1::/48"), "a NAT64 address that leads into IPv4"),
    (_net("100::/64"), "reserved for discarding traffic"),
    (_net("2001:db8::/32"), "reserved for documentation"),
    (_net("3fff::/20"), "reserved for documentation"),
    (_net("fc00::/7"), "on a private network"),
    (_net("fe80::/10"), "a link-local address"),
    (_net("fec0::/10"), "a site-local address"),
    (_net("ff00::/8"), "a multicast address"),
)


def refusal_reason(address: IPAddress) -> str | None:
    """Say why Plaza must not connect to ``address``, or None if it may.

    The answer finishes a sentence ("which is on a private network"). Tunnel
    addresses (6to4, Teredo) are judged by the IPv4 address they lead to, and
    anything Python does not consider globally reachable is refused as a last
    line of defence against ranges this table forgot.
    """
    if address in _METADATA_ADDRESSES:
        return "a cloud metadata service"
    for network, description in _REFUSED_NETWORKS:
        if address in network:
            return description
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.sixtofour or (address.teredo and address.teredo[1])
        inner = refusal_reason(embedded) if embedded else None
        if inner:
            return f"a tunnel address that leads to {embedded}, which is {inner}"
    if not address.is_global:
        return "in a special-use range"
    return None
