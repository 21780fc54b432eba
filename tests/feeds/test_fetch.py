"""The guarded fetcher against real loopback servers.

What a retailer and an operator care about: a feed address reaches the feed and
nothing else. Private and special addresses are refused however they are
written or reached (names, literals, redirects, DNS rebinding); slow, huge or
compressed-bomb responses end within the limits; errors read as sentences.
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import socket
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from feeds.addresses import refusal_reason
from feeds.fetch import FetchError, FetchPolicy, fetch

from .conftest import UNHURRIED, CertAuthority, ConnectionLog, Handler, RawServer, TLSServer

Now = Callable[[], dt.datetime]
StartRaw = Callable[..., RawServer]


class StubResolver:
    """A resolver for made-up names that records every lookup it answers."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return list(self.answers[host])


def policy_with(resolver: StubResolver, *allow: str, **limits: float) -> FetchPolicy:
    return FetchPolicy(allow=allow, resolver=resolver, **(UNHURRIED | limits))  # type: ignore[arg-type]


def url(server: HTTPServer, path: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{server.port}{path}"


def fetch_error(target: str, **kwargs: object) -> FetchError:
    with pytest.raises(FetchError) as caught:
        fetch(target, **kwargs)  # type: ignore[arg-type]
    return caught.value


def timed_error(target: str, policy: FetchPolicy, limit: float = 2.0) -> tuple[FetchError, float]:
    """Fetch in a helper thread and return the error and how long it took.

    A fetcher that ignored its time limits would fail the test after ``limit``
    seconds instead of hanging the whole run.
    """
    outcome: list[object] = []

    def attempt() -> None:
        try:
            outcome.append(fetch(target, policy=policy))
        except FetchError as error:
            outcome.append(error)

    started = time.monotonic()
    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(limit)
    assert not worker.is_alive(), f"the fetch was still running after {limit} s"
    assert isinstance(outcome[0], FetchError), outcome
    return outcome[0], time.monotonic() - started


def read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def respond_raw(head: bytes, body: bytes = b"", then_wait: bool = False) -> Handler:
    """A raw-server handler that answers with ``head`` + ``body``, then closes or hangs."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(head + body)
        if then_wait:
            stop.wait(5)
        conn.close()

    return handler


def trickle(head: bytes, byte: bytes = b"x", every: float = 0.02) -> Handler:
    """A handler that sends ``head`` and then one byte at a time, forever."""

    def handler(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        conn.sendall(head)
        while not stop.wait(every):
            conn.sendall(byte)

    return handler


# --- the happy path and what we send ------------------------------------------------------


def test_fetches_the_body_with_descriptive_headers(
    httpserver: HTTPServer, loopback_policy: FetchPolicy
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data(
        "<rss/>", content_type="application/rss+xml"
    )

    result = fetch(url(httpserver, "/feed.xml"), policy=loopback_policy)

    assert result.status == 200
    assert result.body == b"<rss/>"
    assert result.url == url(httpserver, "/feed.xml")
    assert not result.not_modified
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.headers["CONTENT-TYPE"] == "application/rss+xml"
    with pytest.raises(TypeError):
        result.headers["X-Changed"] = "no"  # type: ignore[index]
    sent = httpserver.log[0][0].headers
    assert sent["User-Agent"].startswith("Plaza/")
    assert "application/rss+xml" in sent["Accept"]
    assert "application/atom+xml" in sent["Accept"]
    assert sent["Accept-Encoding"] == "gzip, deflate"
    assert sent["Host"] == f"127.0.0.1:{httpserver.port}"
    assert "If-None-Match" not in sent
    assert "If-Modified-Since" not in sent


def test_the_same_loopback_url_is_refused_without_the_allow_list(
    httpserver: HTTPServer, connections: ConnectionLog
) -> None:
    httpserver.expect_request("/feed.xml").respond_with_data("<rss/>")

    error = fetch_error(url(httpserver, "/feed.xml"), policy=FetchPolicy())

    assert error.code == "refused_address"
    assert "127.0.0.1" in error.reason
    assert "loopback" in error.reason
    assert str(error) == error.reason
    assert httpserver.log == []
    assert connections.attempts == []


def test_allow_list_parses_hosts_and_networks_from_the_environment_string() -> None:
    policy = FetchPolicy.from_allow_string(" 127.0.0.2, 10.1.2.0/24 ,LocalHost,, ", deadline=7)

    assert policy.allow == ("127.0.0.2", "10.1.2.0/24", "LocalHost")
    assert policy.deadline == 7
    assert policy.allows_host("localhost")
    assert policy.allows_address(ipaddress.ip_address("10.1.2.77"))
    assert policy.allows_address(ipaddress.ip_address("127.0.0.2"))
    assert not policy.allows_address(ipaddress.ip_address("10.1.3.1"))
    assert not policy.allows_address(ipaddress.ip_address("127.0.0.1"))
    assert FetchPolicy.from_allow_string(None).allow == ()
    assert FetchPolicy.from_allow_string("").allow == ()


@pytest.mark.parametrize("entry", ["10.1.2.0/33", "not a host!", "http://x/"])
def test_a_bad_allow_list_entry_fails_at_start_up(entry: str) -> None:
    with pytest.raises(ValueError, match="allow-list entry"):
        FetchPolicy.from_allow_string(f"127.0.0.1,{entry}")


def test_a_host_name_on_the_allow_list_may_point_anywhere_but_only_that_exact_name(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/").respond_with_data("ok")
    resolver = StubResolver({"feed.internal": ["127.0.0.1"], "other.internal": ["127.0.0.1"]})
    policy = policy_with(resolver, "feed.internal")

    assert fetch(url(httpserver, "/", "feed.internal"), policy=policy).body == b"ok"
    assert httpserver.log[0][0].headers["Host"] == f"feed.internal:{httpserver.port}"
    assert fetch_error(url(httpserver, "/", "other.internal"), policy=policy).code == (
        "refused_address"
    )


def test_an_allowed_network_lets_its_addresses_through(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/").respond_with_data("ok")
    policy = FetchPolicy(allow=("127.0.0.0/8",), **UNHURRIED)

    assert fetch(url(httpserver, "/"), policy=policy).body == b"ok"


def test_the_system_resolver_is_used_by_default_and_checked(httpserver: HTTPServer) -> None:
    """'localhost' may resolve to ::1 first: the fetcher moves on to 127.0.0.1, still checked."""
    httpserver.expect_request("/").respond_with_data("ok")

    refused = fetch_error(url(httpserver, "/", "localhost"), policy=FetchPolicy())
    allowed = fetch(url(httpserver, "/", "localhost"), policy=FetchPolicy(allow=("localhost",)))

    assert refused.code == "refused_address"
    assert "localhost points to" in refused.reason
    assert allowed.body == b"ok"


def test_ipv6_literal_urls_are_checked_and_sent_with_brackets(raw_server: StartRaw) -> None:
    allowed = FetchPolicy(allow=("::1",), **UNHURRIED)
    requests: list[bytes] = []

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        requests.append(read_request(conn))
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6")

    assert fetch_error("http://[::1]:8080/", policy=FetchPolicy()).code == "refused_address"
    try:
        server = raw_server(answer, "::1")
    except OSError:
        # No IPv6 loopback on this machine (some CI containers): the URL still
        # gets through parsing and the allow-list, as far as connecting.
        assert fetch_error("http://[::1]:9/", policy=allowed).code == "connect"
        return

    result = fetch(server.url("/feed"), policy=allowed)

    assert result.body == b"v6"
    assert result.url == f"http://[::1]:{server.port}/feed"
    assert f"\r\nHost: [::1]:{server.port}\r\n".encode() in requests[0]


# --- refused address classes --------------------------------------------------------------

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.255.0.9", "loopback"),
    ("10.0.0.5", "private network"),
    ("172.16.4.2", "private network"),
    ("192.168.1.1", "private network"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("169.254.1.1", "link-local"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.170.2", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("168.63.129.16", "cloud metadata"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.10", "documentation"),
    ("198.51.100.10", "documentation"),
    ("203.0.113.10", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("192.0.0.8", "protocol"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fc00::1", "private network"),
    ("fd12:3456::1", "private network"),
    ("fd00:ec2::254", "cloud metadata"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "IPv4-mapped"),
    ("::ffff:8.8.8.8", "IPv4-mapped"),
    ("::127.0.0.1", "IPv4-compatible"),
    ("::10.0.0.1", "IPv4-compatible"),
    ("64:ff9b::a00:1", "NAT64"),
    ("64:ff9b::808:808", "NAT64"),
    ("64:ff9b:1::a00:1", "NAT64"),
    ("100::1", "discarding"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2002:a00:1::1", "leads to 10.0.0.1"),  # 6to4 around a private address
    ("2002:7f00:1::1", "leads to 127.0.0.1"),
    ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "leads to 10.0.0.1"),  # Teredo, client 10.0.0.1
    ("2001:2::1", "special-use"),
]


@pytest.mark.parametrize(("address", "words"), REFUSED)
def test_every_special_address_class_is_refused_by_name_and_as_a_literal(
    address: str, words: str, connections: ConnectionLog
) -> None:
    resolver = StubResolver({"shop.example": [address]})
    policy = policy_with(resolver)
    literal = f"[{address}]" if ":" in address else address

    by_name = fetch_error("http://shop.example/feed.xml", policy=policy)
    as_literal = fetch_error(f"http://{literal}:8080/feed.xml", policy=policy)

    for error in (by_name, as_literal):
        assert error.code == "refused_address"
        assert str(ipaddress.ip_address(address)) in error.reason
        assert words in error.reason
        assert "Plaza does not fetch" in error.reason
    assert "shop.example points to" in by_name.reason
    assert resolver.calls == [("shop.example", 80)]  # literals are never looked up
    assert connections.attempts == []


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "2002:5db8:d70e::1"],
)
def test_ordinary_public_addresses_are_not_refused(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_one_private_address_among_public_ones_refuses_the_whole_name(
    httpserver: HTTPServer, connections: ConnectionLog
) -> None:
    resolver = StubResolver({"mixed.example": ["127.0.0.1", "10.0.0.7"]})

    error = fetch_error(
        url(httpserver, "/", "mixed.example"), policy=policy_with(resolver, "127.0.0.1")
    )

    assert error.code == "refused_address"
    assert "10.0.0.7" in error.reason
    assert connections.attempts == []


def test_unknown_names_are_a_dns_error() -> None:
    def failing(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    error = fetch_error("http://nowhere.example/", policy=FetchPolicy(resolver=failing))
    empty = fetch_error(
        "http://empty.example/", policy=policy_with(StubResolver({"empty.example": []}))
    )

    assert error.code == empty.code == "dns"
    assert "could not find the server nowhere.example" in error.reason


# --- DNS rebinding: resolve once, connect to what was checked -----------------------------


def test_dns_rebinding_cannot_reach_the_second_answer(
    httpserver: HTTPServer,
    raw_server: StartRaw,
    connections: ConnectionLog,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The name first answers with an allowed address, then with a refused one.

    127.0.0.1 plays the public address (allowed) and 127.0.0.2 the private one
    (not allowed), with a server listening on it to catch a rebound connection.
    """
    httpserver.expect_request("/feed.xml").respond_with_data("the real feed")
    private = raw_server(
        respond_raw(b"HTTP/1.1 200 OK\r\n\r\n", b"SECRET"), "127.0.0.2", httpserver.port
    )
    answers = iter([["127.0.0.1"], ["127.0.0.2"], ["127.0.0.2"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[str]:
        calls.append(host)
        return next(answers)

    system_lookups: list[object] = []
    real_getaddrinfo = socket.getaddrinfo

    def recording_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
        system_lookups.append(host)
        return real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    policy = FetchPolicy(allow=("127.0.0.1",), resolver=rebinding, **UNHURRIED)

    result = fetch(url(httpserver, "/feed.xml", "rebind.example"), policy=policy)

    assert result.body == b"the real feed"
    assert calls == ["rebind.example"]
    assert connections.attempts == [("127.0.0.1", httpserver.port)]
    assert "rebind.example" not in system_lookups
    assert private.accepted == 0
    assert httpserver.log[0][0].headers["Host"] == f"rebind.example:{httpserver.port}"


def test_each_redirect_hop_is_resolved_exactly_once(
    httpserver: HTTPServer, connections: ConnectionLog
) -> None:
    httpserver.expect_request("/start").respond_with_data(
        "", status=302, headers={"Location": url(httpserver, "/end", "b.example")}
    )
    httpserver.expect_request("/end").respond_with_data("done")
    resolver = StubResolver({"a.example": ["127.0.0.1"], "b.example": ["127.0.0.1"]})

    result = fetch(
        url(httpserver, "/start", "a.example"), policy=policy_with(resolver, "127.0.0.1")
    )

    assert result.body == b"done"
    assert result.url == url(httpserver, "/end", "b.example")
    assert resolver.calls == [("a.example", httpserver.port), ("b.example", httpserver.port)]
    assert connections.attempts == [("127.0.0.1", httpserver.port)] * 2
    assert httpserver.log[1][0].headers["Host"] == f"b.example:{httpserver.port}"


def test_when_one_checked_address_refuses_the_next_checked_one_is_tried(
    httpserver: HTTPServer, connections: ConnectionLog
) -> None:
    httpserver.expect_request("/").respond_with_data("ok")
    resolver = StubResolver({"multi.example": ["127.0.0.2", "127.0.0.1"]})

    result = fetch(
        url(httpserver, "/", "multi.example"), policy=policy_with(resolver, "127.0.0.0/8")
    )

    assert result.body == b"ok"
    assert connections.attempts == [("127.0.0.2", httpserver.port), ("127.0.0.1", httpserver.port)]


# --- malformed addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("ftp://example.com/feed.xml", "bad_scheme"),
        ("file:///etc/passwd", "bad_scheme"),
        ("javascript:alert(1)", "bad_scheme"),
        ("gopher://example.com/", "bad_scheme"),
        ("example.com/feed.xml", "bad_url"),
        ("", "bad_url"),
        ("http:///feed.xml", "bad_url"),
        ("http://:80/feed.xml", "bad_url"),
        ("http://example.com:0/", "bad_url"),
        ("http://example.com:65536/", "bad_url"),
        ("http://example.com:-1/", "bad_url"),
        ("http://example.com:http/", "bad_url"),
        ("http://user:secret@example.com/", "bad_url"),
        ("http://user@example.com/", "bad_url"),
        ("http://exa mple.com/", "bad_url"),
        ("http://exa<mple.com/", "bad_url"),
        ("http://[::1/", "bad_url"),
        # numbers that browsers and resolvers read as 127.0.0.1
        ("http://2130706433/", "bad_url"),
        ("http://0x7f000001/", "bad_url"),
        ("http://0x7f.1/", "bad_url"),
        ("http://0177.0.0.1/", "bad_url"),
        ("http://127.1/", "bad_url"),
        ("http://127.0.0.1./", "bad_url"),
    ],
)
def test_malformed_or_disguised_addresses_are_rejected_before_any_lookup(
    target: str, code: str, connections: ConnectionLog
) -> None:
    resolver = StubResolver({})

    error = fetch_error(target, policy=policy_with(resolver))

    assert error.code == code
    assert error.reason.endswith(".")
    assert resolver.calls == []
    assert connections.attempts == []


# --- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_relative_redirects_are_followed(
    httpserver: HTTPServer, loopback_policy: FetchPolicy, status: int
) -> None:
    httpserver.expect_request("/shop/old").respond_with_data(
        "", status=status, headers={"Location": "new.xml?page=2"}
    )
    httpserver.expect_request("/shop/new.xml", query_string="page=2").respond_with_data("moved")

    result = fetch(url(httpserver, "/shop/old"), policy=loopback_policy)

    assert result.body == b"moved"
    assert result.url == url(httpserver, "/shop/new.xml?page=2")


@pytest.mark.parametrize(
    ("location", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[::ffff:10.0.0.1]/", "IPv4-mapped"),
        ("http://internal.example/admin", "internal.example points to 10.1.1.1"),
    ],
)
def test_redirects_to_refused_addresses_are_not_followed(
    httpserver: HTTPServer, connections: ConnectionLog, location: str, words: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "", status=302, headers={"Location": location}
    )
    resolver = StubResolver({"internal.example": ["10.1.1.1"]})

    error = fetch_error(url(httpserver, "/feed"), policy=policy_with(resolver, "127.0.0.1"))

    assert error.code == "refused_address"
    assert words in error.reason
    assert connections.attempts == [("127.0.0.1", httpserver.port)]


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://example.com/feed", "javascript:alert(1)", "gopher://x/"],
)
def test_redirects_to_other_schemes_are_refused(
    httpserver: HTTPServer, loopback_policy: FetchPolicy, location: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "", status=301, headers={"Location": location}
    )

    error = fetch_error(url(httpserver, "/feed"), policy=loopback_policy)

    assert error.code == "bad_scheme"
    assert error.reason.startswith("The redirect target")


def test_a_redirect_loop_ends(httpserver: HTTPServer, loopback_policy: FetchPolicy) -> None:
    httpserver.expect_request("/loop").respond_with_data(
        "", status=302, headers={"Location": "/loop"}
    )

    error = fetch_error(url(httpserver, "/loop"), policy=loopback_policy)

    assert error.code == "too_many_redirects"
    assert "more than 5 times" in error.reason
    assert len(httpserver.log) == loopback_policy.max_redirects + 1


@pytest.mark.parametrize(("hops", "succeeds"), [(5, True), (6, False)])
def test_at_most_max_redirects_are_followed(
    httpserver: HTTPServer, loopback_policy: FetchPolicy, hops: int, succeeds: bool
) -> None:
    for i in range(hops):
        httpserver.expect_request(f"/r{i}").respond_with_data(
            "", status=307, headers={"Location": f"/r{i + 1}"}
        )
    httpserver.expect_request(f"/r{hops}").respond_with_data("arrived")

    if succeeds:
        assert fetch(url(httpserver, "/r0"), policy=loopback_policy).body == b"arrived"
    else:
        assert fetch_error(url(httpserver, "/r0"), policy=loopback_policy).code == (
            "too_many_redirects"
        )


def test_a_redirect_without_location_is_an_http_error(
    httpserver: HTTPServer, loopback_policy: FetchPolicy
) -> None:
    httpserver.expect_request("/feed").respond_with_data("", status=302)

    error = fetch_error(url(httpserver, "/feed"), policy=loopback_policy)

    assert (error.code, error.status) == ("http_status", 302)
    assert "302 Found" in error.reason


# --- size limits ---------------------------------------------------------------------------

SMALL = FetchPolicy(allow=("127.0.0.1",), max_bytes=1000, **UNHURRIED)


@pytest.mark.parametrize(("size", "fits"), [(1000, True), (1001, False)])
def test_the_body_cap_holds_when_the_length_is_not_announced(
    raw_server: StartRaw, size: int, fits: bool
) -> None:
    server = raw_server(respond_raw(b"HTTP/1.0 200 OK\r\n\r\n", b"a" * size))

    if fits:
        assert fetch(server.url(), policy=SMALL).body == b"a" * size
    else:
        error = fetch_error(server.url(), policy=SMALL)
        assert error.code == "too_large"
        assert "1000 bytes" in error.reason


def test_the_body_cap_holds_for_chunked_bodies(httpserver: HTTPServer) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"b" * 100

    httpserver.expect_request("/").respond_with_handler(lambda _r: Response(chunks()))

    assert fetch_error(url(httpserver, "/"), policy=SMALL).code == "too_large"


def test_an_announced_length_over_the_cap_fails_without_waiting_for_the_body(
    raw_server: StartRaw,
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n"
    server = raw_server(respond_raw(head, b"a" * 10, then_wait=True))

    error, elapsed = timed_error(server.url(), SMALL)

    assert error.code == "too_large"
    assert elapsed < 2.5  # the read timeout is 5 s


BOMB_SIZE = 256 * 1024 * 1024


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """256 MiB of zeros in about 256 KiB: sixteen identical gzip members back to back."""
    return gzip.compress(bytes(BOMB_SIZE // 16), 9) * 16


def test_a_gzip_bomb_stops_at_the_cap_without_filling_memory(
    httpserver: HTTPServer, gzip_bomb: bytes
) -> None:
    """Memory stays near the 1 MiB cap, far below the 256 MiB the body expands to.

    The bound is loose because tracemalloc also counts the loopback server's
    threads; a decoder that inflated the whole body would still blow it by far.
    """
    assert len(gzip_bomb) < 1024 * 1024  # so the Content-Length check cannot be what stops it
    httpserver.expect_request("/").respond_with_data(
        gzip_bomb, headers={"Content-Encoding": "gzip"}
    )
    policy = FetchPolicy(allow=("127.0.0.1",), max_bytes=1024 * 1024, **UNHURRIED)

    tracemalloc.start()
    try:
        error = fetch_error(url(httpserver, "/"), policy=policy)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert error.code == "too_large"
    assert peak < BOMB_SIZE // 8, f"peak memory {peak} bytes"


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
    ],
)
def test_compressed_bodies_are_decoded_and_the_cap_counts_decoded_bytes(
    httpserver: HTTPServer, encoding: str, encode: Callable[[bytes], bytes]
) -> None:
    feed = b"<rss>" + b"item " * 300 + b"</rss>"
    httpserver.expect_request("/").respond_with_data(
        encode(feed), headers={"Content-Encoding": encoding}
    )

    assert fetch(url(httpserver, "/"), policy=FetchPolicy(allow=("127.0.0.1",))).body == feed
    assert len(encode(feed)) < SMALL.max_bytes < len(feed)
    assert fetch_error(url(httpserver, "/"), policy=SMALL).code == "too_large"


def test_an_unreadable_compression_is_reported_not_passed_on(
    httpserver: HTTPServer, loopback_policy: FetchPolicy
) -> None:
    httpserver.expect_request("/").respond_with_data(
        b"\x1f\x9d...", headers={"Content-Encoding": "compress"}
    )

    error = fetch_error(url(httpserver, "/"), policy=loopback_policy)

    assert error.code == "protocol"
    assert "compress" in error.reason


def test_a_corrupt_gzip_body_is_a_protocol_error(
    httpserver: HTTPServer, loopback_policy: FetchPolicy
) -> None:
    httpserver.expect_request("/").respond_with_data(
        b"not gzip at all", headers={"Content-Encoding": "gzip"}
    )

    assert fetch_error(url(httpserver, "/"), policy=loopback_policy).code == "protocol"


def test_a_body_cut_short_is_a_protocol_error(
    raw_server: StartRaw, loopback_policy: FetchPolicy
) -> None:
    server = raw_server(
        respond_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"only this")
    )

    error = fetch_error(server.url(), policy=loopback_policy)

    assert error.code == "protocol"
    assert "closed the connection early" in error.reason


# --- time limits ---------------------------------------------------------------------------


def test_a_server_that_never_answers_ends_at_the_read_timeout(raw_server: StartRaw) -> None:
    server = raw_server(respond_raw(b"", then_wait=True))
    policy = FetchPolicy(allow=("127.0.0.1",), read_timeout=0.2, deadline=10)

    error, elapsed = timed_error(server.url(), policy)

    assert error.code == "timeout"
    assert "stopped answering for 0.2 seconds" in error.reason
    assert 0.15 < elapsed < 2.5  # well before the deadline, with room for a busy machine


def test_a_server_that_never_accepts_ends_at_the_connect_timeout() -> None:
    """A listener whose backlog is full drops further connection attempts silently."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    policy = FetchPolicy(allow=("127.0.0.1",), connect_timeout=0.2, deadline=10)
    try:
        error, elapsed = timed_error(f"http://127.0.0.1:{port}/", policy)
    finally:
        for filler in fillers:
            filler.close()
        listener.close()

    assert error.code == "timeout"
    assert "did not accept a connection within 0.2 seconds" in error.reason
    assert elapsed < 2.5  # well before the deadline, with room for a busy machine


def test_a_closed_port_is_a_connect_error() -> None:
    probe = socket.create_server(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()

    error = fetch_error(f"http://127.0.0.1:{port}/", policy=FetchPolicy(allow=("127.0.0.1",)))

    assert error.code == "connect"
    assert "refused the connection" in error.reason


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n\r\n",  # then the body, byte by byte
        b"HTTP/1.1 200 OK\r\nX-Slow: ",  # headers that never end
    ],
    ids=["body", "headers"],
)
def test_a_trickling_server_ends_at_the_deadline(raw_server: StartRaw, head: bytes) -> None:
    server = raw_server(trickle(head))
    policy = FetchPolicy(allow=("127.0.0.1",), read_timeout=0.3, deadline=0.5)

    error, elapsed = timed_error(server.url(), policy)

    assert error.code == "timeout"
    assert "longer than 0.5 seconds" in error.reason
    assert 0.45 < elapsed < 3.0  # the trickle itself would go on until the test ends


def test_the_deadline_spans_redirects(raw_server: StartRaw) -> None:
    def slow_redirect(conn: socket.socket, stop: threading.Event) -> None:
        read_request(conn)
        stop.wait(0.15)
        conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n")
        conn.close()

    server = raw_server(slow_redirect)
    policy = FetchPolicy(allow=("127.0.0.1",), read_timeout=1, deadline=0.5, max_redirects=10)

    error, elapsed = timed_error(server.url(), policy)

    assert error.code == "timeout"  # ten slow redirects would take 1.5 s and then be too many
    assert elapsed < 1.4
    assert server.accepted <= 4


# --- conditional GET and caching hints -----------------------------------------------------

ETAG = '"v1"'
LAST_MODIFIED = "Sat, 01 Mar 2025 10:00:00 GMT"


def test_conditional_get_round_trip(httpserver: HTTPServer, loopback_policy: FetchPolicy) -> None:
    httpserver.expect_oneshot_request("/feed").respond_with_data(
        "<rss>v1</rss>", headers={"ETag": ETAG, "Last-Modified": LAST_MODIFIED}
    )
    httpserver.expect_oneshot_request(
        "/feed", headers={"If-None-Match": ETAG, "If-Modified-Since": LAST_MODIFIED}
    ).respond_with_data("", status=304)

    first = fetch(url(httpserver, "/feed"), policy=loopback_policy)
    second = fetch(
        url(httpserver, "/feed"),
        etag=first.etag,
        last_modified=first.last_modified,
        policy=loopback_policy,
    )

    assert (first.etag, first.last_modified) == (ETAG, LAST_MODIFIED)
    assert second.not_modified
    assert second.status == 304
    assert second.body == b""
    # a 304 that does not repeat the validators keeps the ones we sent
    assert (second.etag, second.last_modified) == (ETAG, LAST_MODIFIED)
    httpserver.check_assertions()


def test_a_304_with_new_validators_reports_them(
    httpserver: HTTPServer, loopback_policy: FetchPolicy
) -> None:
    httpserver.expect_request("/feed").respond_with_data("", status=304, headers={"ETag": '"v2"'})

    result = fetch(url(httpserver, "/feed"), etag=ETAG, policy=loopback_policy)

    assert result.not_modified
    assert result.etag == '"v2"'


def test_a_changed_feed_without_validators_clears_them(
    httpserver: HTTPServer, loopback_policy: FetchPolicy
) -> None:
    httpserver.expect_request("/feed").respond_with_data("<rss>v2</rss>")

    result = fetch(
        url(httpserver, "/feed"), etag=ETAG, last_modified=LAST_MODIFIED, policy=loopback_policy
    )

    assert result.body == b"<rss>v2</rss>"
    assert (result.etag, result.last_modified) == (None, None)


@pytest.mark.parametrize(
    ("cache_control", "seconds"),
    [
        ("public, max-age=600", 600),
        ('max-age="120", must-revalidate', 120),
        ("MAX-AGE=0", 0),
        ("max-age=99999999", 24 * 3600),
        ("s-maxage=60", None),
        ("no-cache", None),
        (None, None),
    ],
)
def test_max_age_becomes_fresh_until_within_a_day(
    httpserver: HTTPServer,
    loopback_policy: FetchPolicy,
    fixed_now: Now,
    cache_control: str | None,
    seconds: int | None,
) -> None:
    headers = {"Cache-Control": cache_control} if cache_control else {}
    httpserver.expect_request("/feed").respond_with_data("<rss/>", headers=headers)

    result = fetch(url(httpserver, "/feed"), policy=loopback_policy, now=fixed_now)

    expected = None if seconds is None else fixed_now() + dt.timedelta(seconds=seconds)
    assert result.fresh_until == expected


def test_a_304_carries_fresh_until_too(
    httpserver: HTTPServer, loopback_policy: FetchPolicy, fixed_now: Now
) -> None:
    httpserver.expect_request("/feed").respond_with_data(
        "", status=304, headers={"Cache-Control": "max-age=300"}
    )

    result = fetch(url(httpserver, "/feed"), etag=ETAG, policy=loopback_policy, now=fixed_now)

    assert result.fresh_until == fixed_now() + dt.timedelta(minutes=5)


# --- HTTP errors ---------------------------------------------------------------------------

NOON = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("status", "retry_after", "expected"),
    [
        (429, "120", NOON + dt.timedelta(seconds=120)),
        (503, "Sat, 01 Mar 2025 13:00:00 GMT", NOON + dt.timedelta(hours=1)),
        (503, "Saturday, 01-Mar-25 13:00:00 GMT", NOON + dt.timedelta(hours=1)),
        (429, "999999999", NOON + dt.timedelta(hours=24)),
        (503, "Sat, 01 Mar 2031 13:00:00 GMT", NOON + dt.timedelta(hours=24)),
        (503, "Fri, 28 Feb 2025 13:00:00 GMT", NOON),
        (429, "soon", None),
        (429, None, None),
    ],
)
def test_back_off_statuses_carry_retry_after(
    httpserver: HTTPServer,
    loopback_policy: FetchPolicy,
    fixed_now: Now,
    status: int,
    retry_after: str | None,
    expected: dt.datetime | None,
) -> None:
    assert fixed_now() == NOON
    headers = {"Retry-After": retry_after} if retry_after else {}
    httpserver.expect_request("/feed").respond_with_data(
        "slow down", status=status, headers=headers
    )

    error = fetch_error(url(httpserver, "/feed"), policy=loopback_policy, now=fixed_now)

    assert (error.code, error.status) == ("http_status", status)
    assert error.retry_after == expected
    assert "try again later" in error.reason


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (404, "The server answered 404 Not Found. Check that the address is right"),
        (410, "The server answered 410 Gone. The feed has been removed for good."),
        (401, "The server answered 401 Unauthorized. The feed seems to need a login"),
        (500, "The server answered 500 Internal Server Error."),
        (502, "The server answered 502 Bad Gateway."),
        (599, "The server answered 599."),
    ],
)
def test_other_statuses_are_errors_in_plain_words(
    httpserver: HTTPServer, loopback_policy: FetchPolicy, status: int, words: str
) -> None:
    httpserver.expect_request("/feed").respond_with_data("nope", status=status)

    error = fetch_error(url(httpserver, "/feed"), policy=loopback_policy)

    assert (error.code, error.status, error.retry_after) == ("http_status", status, None)
    assert error.reason.startswith(words)


# --- https: SNI, Host and certificate checks use the name, the socket uses the address -----


def tls_policy(ca_certs: str | None) -> FetchPolicy:
    """feed.test resolves to 127.0.0.1; ``ca_certs=None`` means the system trust store."""
    resolver = StubResolver({"feed.test": ["127.0.0.1"]})
    return FetchPolicy(allow=("127.0.0.1",), resolver=resolver, ca_certs=ca_certs, **UNHURRIED)


def test_https_verifies_the_certificate_for_the_original_name(
    tls_server: TLSServer, test_ca: CertAuthority, connections: ConnectionLog
) -> None:
    server = tls_server.server
    server.expect_request("/feed").respond_with_data("secure")

    result = fetch(f"https://feed.test:{server.port}/feed", policy=tls_policy(test_ca.ca_file))

    assert result.body == b"secure"
    assert result.url == f"https://feed.test:{server.port}/feed"
    assert tls_server.sni_names == ["feed.test"]
    assert server.log[0][0].headers["Host"] == f"feed.test:{server.port}"
    assert connections.attempts == [("127.0.0.1", server.port)]


def test_https_refuses_a_certificate_nobody_vouches_for(tls_server: TLSServer) -> None:
    server = tls_server.server
    server.expect_request("/feed").respond_with_data("secure")

    error = fetch_error(f"https://feed.test:{server.port}/feed", policy=tls_policy(None))

    assert error.code == "tls"
    assert "could not be verified" in error.reason
    assert server.log == []


@pytest.mark.parametrize("tls_server", ["wrong.test"], indirect=True)
def test_https_refuses_a_certificate_for_another_name(
    tls_server: TLSServer, test_ca: CertAuthority
) -> None:
    server = tls_server.server
    server.expect_request("/feed").respond_with_data("secure")

    error = fetch_error(f"https://feed.test:{server.port}/feed", policy=tls_policy(test_ca.ca_file))

    assert error.code == "tls"
    assert "certificate of feed.test was issued for a different name" in error.reason
    assert server.log == []


def test_https_to_a_bare_address_needs_a_certificate_for_that_address(
    tls_server: TLSServer, test_ca: CertAuthority
) -> None:
    server = tls_server.server

    error = fetch_error(f"https://127.0.0.1:{server.port}/feed", policy=tls_policy(test_ca.ca_file))

    assert error.code == "tls"
    assert "certificate of 127.0.0.1 was issued for a different name" in error.reason


def test_the_request_target_is_percent_encoded_and_the_fragment_dropped(
    httpserver: HTTPServer, loopback_policy: FetchPolicy
) -> None:
    httpserver.expect_request("/caf\u00e9 feed", query_string="q=a%20b").respond_with_data("ok")

    result = fetch(url(httpserver, "/café feed?q=a b#top"), policy=loopback_policy)

    assert result.body == b"ok"
    assert result.url == url(httpserver, "/caf%C3%A9%20feed?q=a%20b")
