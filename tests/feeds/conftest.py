"""Fixtures for the feeds layer: real loopback servers and a guard on outgoing connections.

Every test here talks to real sockets on 127.0.0.0/8. The ``no_outside_connections``
guard makes sure that stays true even if the fetcher under test is broken: a
connection attempt to anything but loopback is blocked, recorded, and fails the test.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from pytest_httpserver import HTTPServer

from feeds.fetch import FetchPolicy
from tests.certificates import CertAuthority, issue_certificates

# Limits no loopback request meets unless the machine stalls: a test that expects an answer
# or another error must not read "timeout" because a busy CI box paused it for a second.
# Tests of the timeouts themselves set their own, short ones.
UNHURRIED = {"connect_timeout": 5.0, "read_timeout": 5.0, "deadline": 20.0}
LOOPBACK_POLICY = FetchPolicy(allow=("127.0.0.1",), **UNHURRIED)


@dataclass
class ConnectionLog:
    """Where sockets in this test tried to connect (host, port), loopback or not."""

    attempts: list[tuple[str, int]]
    blocked: list[tuple[str, int]]


@pytest.fixture(autouse=True)
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectionLog]:
    """Record every outgoing connection; refuse and flag any that leaves loopback."""
    log = ConnectionLog(attempts=[], blocked=[])
    real_connect = socket.socket.connect

    def guarded_connect(sock: socket.socket, address: tuple[str, int]) -> None:
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return real_connect(sock, address)
        host, port = address[0], address[1]
        log.attempts.append((host, port))
        if not ipaddress.ip_address(host).is_loopback:
            log.blocked.append((host, port))
            raise ConnectionRefusedError(f"test guard: no connections to {host}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    yield log
    assert not log.blocked, f"the fetcher tried to leave loopback: {log.blocked}"


@pytest.fixture(scope="session")
def _loopback_httpserver() -> Iterator[HTTPServer]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


@pytest.fixture
def httpserver(_loopback_httpserver: HTTPServer) -> HTTPServer:
    """pytest-httpserver bound to 127.0.0.1 explicitly (not whatever 'localhost' means)."""
    _loopback_httpserver.clear()
    return _loopback_httpserver


@pytest.fixture
def loopback_policy() -> FetchPolicy:
    """Unhurried limits, with 127.0.0.1 allowed the way PLAZA_FETCH_ALLOW allows it in the demo."""
    return LOOPBACK_POLICY


@pytest.fixture
def fixed_now() -> Callable[[], dt.datetime]:
    moment = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    return lambda: moment


Handler = Callable[[socket.socket, threading.Event], None]


class RawServer:
    """A TCP server on a loopback address whose connections a test handles byte by byte.

    For what pytest-httpserver cannot do: never answer, trickle, lie about sizes.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.stop = threading.Event()
        self.accepted = 0
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.create_server((host, port), family=family)
        self.listener.settimeout(0.01)
        self.host = host
        self.port: int = self.listener.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def url(self, path: str = "/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{path}"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        # OSError: the client gave up, which is what most of these tests provoke.
        with contextlib.suppress(OSError):
            self.handler(conn, self.stop)

    def close(self) -> None:
        self.stop.set()
        self._thread.join(timeout=2)
        self.listener.close()
        for conn in self._conns:
            conn.close()


@pytest.fixture
def raw_server() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler, host: str = "127.0.0.1", port: int = 0) -> RawServer:
        server = RawServer(handler, host, port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> CertAuthority:
    """Certificates for feed.test and wrong.test, signed by a CA that only tests trust."""
    return issue_certificates(tmp_path_factory.mktemp("tls"), ["feed.test", "wrong.test"])


@dataclass
class TLSServer:
    """An https pytest-httpserver on 127.0.0.1 that records the SNI names clients send.

    ``present`` picks the certificate it shows (by host name in the test CA),
    switched per handshake so one server serves every TLS test.
    """

    server: HTTPServer
    contexts: dict[str, ssl.SSLContext]
    sni_names: list[str | None]
    present: str = "feed.test"

    def choose_certificate(self, sock: ssl.SSLObject, name: str | None, _: object) -> None:
        self.sni_names.append(name)
        sock.context = self.contexts[self.present]


@pytest.fixture(scope="session")
def _tls_server(test_ca: CertAuthority) -> Iterator[TLSServer]:
    contexts = {}
    for host, (cert, key) in test_ca.cert_files.items():
        contexts[host] = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        contexts[host].load_cert_chain(cert, key)
    listening = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    listening.load_cert_chain(*test_ca.cert_files["feed.test"])
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=listening)
    tls = TLSServer(server, contexts, [])
    listening.sni_callback = tls.choose_certificate  # type: ignore[assignment]
    server.start()
    yield tls
    server.clear()
    server.stop()


@pytest.fixture
def tls_server(_tls_server: TLSServer, request: pytest.FixtureRequest) -> TLSServer:
    """The https server, presenting the certificate for ``request.param`` (default feed.test)."""
    _tls_server.server.clear()
    _tls_server.sni_names.clear()
    _tls_server.present = getattr(request, "param", "feed.test")
    return _tls_server
