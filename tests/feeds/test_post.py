"""The guarded POST (Web Push endpoints) against real loopback servers.

A push endpoint comes from a browser, so it must be held to everything a feed
address is: the same refusals however the host is written, the certificate
checked for the name, a deadline that a silent service cannot outlast. And what
only a push needs: https only, no redirect followed, a small answer read.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import feeds.deadline
from feeds.fetch import FetchError, FetchPolicy, fetch
from feeds.post import MAX_RESPONSE, PostResult, parse_endpoint, post

from .conftest import UNHURRIED, CertAuthority, ConnectionLog, Handler, TLSServer
from .test_fetch import StartRaw, StubResolver, read_request

# Numbers that browsers and resolvers read as 127.0.0.1, which the fetcher refuses.
ODD_NUMERIC_HOSTS = ["2130706433", "0x7f000001", "0x7f.1", "0177.0.0.1", "127.1", "127.0.0.1."]
BODY = b"\x00encrypted payload\xff"


def push_policy(ca_certs: str | None, **limits: float) -> FetchPolicy:
    """feed.test (named in the test CA) and push.test resolve to loopback, which is allowed."""
    resolver = StubResolver({"push.test": ["127.0.0.1"], "feed.test": ["127.0.0.1"]})
    return FetchPolicy(
        allow=("127.0.0.0/8",),
        resolver=resolver,
        ca_certs=ca_certs,
        **(UNHURRIED | limits),  # type: ignore[arg-type]
    )


def post_error(url: str, policy: FetchPolicy) -> FetchError:
    with pytest.raises(FetchError) as caught:
        post(url, BODY, {"TTL": "60"}, policy)
    return caught.value


def timed_error(url: str, policy: FetchPolicy, limit: float = 3.0) -> tuple[FetchError, float]:
    """The error a post ends with, and how long it took.

    Run aside, so that a post ignoring its deadline fails the test after
    ``limit`` seconds instead of hanging the run.
    """
    runner = ThreadPoolExecutor(1)
    started = time.monotonic()
    try:
        error = runner.submit(post, url, BODY, {}, policy).exception(timeout=limit)
    finally:
        runner.shutdown(wait=False)
    assert isinstance(error, FetchError), error
    return error, time.monotonic() - started


def read_post(conn: socket.socket) -> bytes:
    """The whole request, body included: closing with bytes unread would reset the connection."""
    data = read_request(conn)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += conn.recv(4096)
    return body


def tls_then(test_ca: CertAuthority, handler: Handler | None) -> Handler:
    """A raw-server handler that speaks TLS as feed.test, then hands over (or stays silent)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*test_ca.cert_files["feed.test"])

    def handle(conn: socket.socket, stop: threading.Event) -> None:
        if handler is None:  # accept the connection, never start TLS
            stop.wait(5)
            return
        with context.wrap_socket(conn, server_side=True) as secure:
            handler(secure, stop)

    return handle


# --- the shared checks: the same refusals as the fetcher ---------------------------------


@pytest.mark.parametrize("host", ODD_NUMERIC_HOSTS)
def test_a_host_written_as_a_number_in_an_odd_form_is_refused_like_the_fetcher_does(
    host: str, connections: ConnectionLog
) -> None:
    policy = push_policy(None)

    error = post_error(f"https://{host}/push/abc", policy)
    with pytest.raises(FetchError) as fetched:
        fetch(f"https://{host}/feed.xml", policy=policy)

    assert (error.code, fetched.value.code) == ("bad_url", "bad_url")
    assert "as a number in an unusual form" in error.reason
    assert policy.resolver.calls == []  # type: ignore[union-attr]
    assert connections.attempts == []


@pytest.mark.parametrize("host", [*ODD_NUMERIC_HOSTS, "exa mple.com", "[::1"])
def test_parse_endpoint_refuses_them_before_a_subscription_is_saved(host: str) -> None:
    with pytest.raises(FetchError) as caught:
        parse_endpoint(f"https://{host}/push/abc")

    assert caught.value.code == "bad_url"
    assert caught.value.reason.startswith("The push address")


@pytest.mark.parametrize(
    ("endpoint", "words"),
    [
        ("https://[::ffff:127.0.0.1]/push", "IPv4-mapped"),
        ("https://[::ffff:7f00:1]/push", "IPv4-mapped"),
        ("https://[64:ff9b::7f00:1]/push", "NAT64"),
        ("https://169.254.169.254/push", "cloud metadata"),
    ],
)
def test_addresses_that_lead_to_refused_ones_stay_refused_although_loopback_is_allowed(
    endpoint: str, words: str, connections: ConnectionLog
) -> None:
    error = post_error(endpoint, push_policy(None))

    assert error.code == "refused_address"
    assert words in error.reason
    assert connections.attempts == []


def test_loopback_is_refused_unless_allowed(connections: ConnectionLog) -> None:
    error = post_error("https://127.0.0.1:9/push", FetchPolicy())

    assert error.code == "refused_address"
    assert "loopback" in error.reason
    assert connections.attempts == []


@pytest.mark.parametrize(
    ("endpoint", "code", "words"),
    [
        ("http://push.test/abc", "bad_scheme", "https://"),
        ("ftp://push.test/abc", "bad_scheme", "https://"),
        ("push.test/abc", "bad_url", "https://"),
        ("https://user:pw@push.test/abc", "bad_url", "nothing else"),
        ("https://push.test:0/abc", "bad_url", "port 0"),
        ("https:///abc", "bad_url", "no host name"),
    ],
)
def test_only_plain_https_endpoints_are_posted_to(
    endpoint: str, code: str, words: str, connections: ConnectionLog
) -> None:
    policy = push_policy(None)

    error = post_error(endpoint, policy)

    assert (error.code, error.reason.endswith(".")) == (code, True)
    assert words in error.reason
    assert "pw" not in error.reason
    assert policy.resolver.calls == []  # type: ignore[union-attr]
    assert connections.attempts == []


# --- over TLS: pinned address, the name for SNI and the certificate ----------------------


def test_posts_to_the_checked_address_with_the_name_for_sni_and_host(
    tls_server: TLSServer, test_ca: CertAuthority, connections: ConnectionLog
) -> None:
    server = tls_server.server
    server.expect_request("/push/abc", method="POST").respond_with_data(
        "", status=201, headers={"Location": "/m/1"}
    )

    result = post(
        f"https://feed.test:{server.port}/push/abc",
        BODY,
        {"TTL": "60", "Content-Encoding": "aes128gcm"},
        push_policy(test_ca.ca_file),
    )

    assert result == PostResult(201, result.headers, b"")
    assert result.headers["location"] == "/m/1"
    request = server.log[0][0]
    assert request.get_data() == BODY
    assert request.headers["Host"] == f"feed.test:{server.port}"
    assert request.headers["TTL"] == "60"
    assert request.headers["User-Agent"].startswith("Plaza/")
    assert tls_server.sni_names == ["feed.test"]
    assert connections.attempts == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("tls_server", ["wrong.test"], indirect=True)
def test_a_certificate_for_another_name_is_refused_in_the_fetchers_words(
    tls_server: TLSServer, test_ca: CertAuthority
) -> None:
    server = tls_server.server

    error = post_error(f"https://feed.test:{server.port}/push", push_policy(test_ca.ca_file))

    assert error.code == "tls"
    assert "certificate of feed.test was issued for a different name" in error.reason
    assert server.log == []


def test_a_redirect_is_the_answer_not_followed(
    tls_server: TLSServer, test_ca: CertAuthority, connections: ConnectionLog
) -> None:
    server = tls_server.server
    elsewhere = f"https://feed.test:{server.port}/elsewhere"
    server.expect_request("/push/abc", method="POST").respond_with_data(
        "moved", status=307, headers={"Location": elsewhere}
    )
    server.expect_request("/elsewhere").respond_with_data("", status=201)

    result = post(
        f"https://feed.test:{server.port}/push/abc", BODY, {}, push_policy(test_ca.ca_file)
    )

    assert (result.status, result.body) == (307, b"moved")
    assert result.headers["Location"] == elsewhere
    assert [entry[0].path for entry in server.log] == ["/push/abc"]
    assert connections.attempts == [("127.0.0.1", server.port)]


@pytest.mark.parametrize("announced", [True, False], ids=["length", "close-delimited"])
def test_an_answer_larger_than_the_cap_is_cut(
    raw_server: StartRaw, test_ca: CertAuthority, announced: bool
) -> None:
    body = bytes(range(256)) * (MAX_RESPONSE // 256 * 3)
    length = f"Content-Length: {len(body)}\r\n" if announced else ""
    head = f"HTTP/1.1 400 Bad Request\r\n{length}Connection: close\r\n\r\n".encode()

    def answer(conn: socket.socket, stop: threading.Event) -> None:
        read_post(conn)
        conn.sendall(head + body)
        conn.recv(1)  # until the client hangs up, so nothing it sent is left unread

    server = raw_server(tls_then(test_ca, answer))

    result = post(f"https://feed.test:{server.port}/push", BODY, {}, push_policy(test_ca.ca_file))

    assert result.status == 400
    assert result.body == body[:MAX_RESPONSE]


# --- time ------------------------------------------------------------------------------


def never_answer(conn: socket.socket, stop: threading.Event) -> None:
    read_post(conn)
    stop.wait(5)


DEADLINE_WORDS = (
    "The server took longer than 0.5 seconds to send the whole response, so Plaza stopped waiting."
)


@pytest.mark.parametrize(
    ("silent", "watchdog"),
    [
        ("after the handshake", "on time"),
        ("before the handshake", "on time"),
        ("after the handshake", "never fires"),
    ],
)
def test_a_service_that_never_answers_ends_at_the_deadline(
    raw_server: StartRaw,
    test_ca: CertAuthority,
    monkeypatch: pytest.MonkeyPatch,
    silent: str,
    watchdog: str,
) -> None:
    """Every socket timeout is cut to what is left of the deadline, so without the
    watchdog the socket ends the post on time too, and the words are still the deadline's."""
    if watchdog == "never fires":
        monkeypatch.setattr(feeds.deadline._WATCHDOG, "add", lambda ends, deadline: None)
    handler = never_answer if silent == "after the handshake" else None
    server = raw_server(tls_then(test_ca, handler))
    policy = push_policy(test_ca.ca_file, read_timeout=5.0, deadline=0.5)

    error, elapsed = timed_error(f"https://feed.test:{server.port}/push", policy)

    assert (error.code, error.reason) == ("timeout", DEADLINE_WORDS)
    assert 0.45 < elapsed < 3.0  # well before the 5 s read timeout
