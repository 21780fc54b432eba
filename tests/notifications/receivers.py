"""Real receivers on loopback, for the notification tests and ``bench/notify.py``.

* :class:`MailReceiver`: an SMTP server (aiosmtpd) that keeps every message it
  accepts, and can refuse or answer slowly.
* :class:`PushService`: a Web Push service over TLS. Like a real one it checks
  the VAPID ``Authorization`` header (the JWT's ES256 signature, audience and
  expiry) and, playing the browser, decrypts the ``aes128gcm`` body with the
  subscription's own private key and auth secret, which proves the encryption
  is right. Each subscription can be told to answer 404, 410, 500 or never.
* :func:`make_tls`: a throw-away CA and a certificate for 127.0.0.1 (:mod:`tests.certificates`).
"""

from __future__ import annotations

import asyncio
import base64
import email
import email.policy
import json
import os
import secrets
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import http_ece
from aiosmtpd.controller import Controller
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.certificates import issue_certificates


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- TLS ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TLSFiles:
    ca: Path
    cert: Path
    key: Path


def make_tls(folder: Path) -> TLSFiles:
    """A CA, and a certificate it signed for the IP address 127.0.0.1."""
    authority = issue_certificates(folder, ["127.0.0.1"])
    cert, key = authority.cert_files["127.0.0.1"]
    return TLSFiles(Path(authority.ca_file), Path(cert), Path(key))


# --- SMTP -----------------------------------------------------------------------------


class _MailHandler:
    def __init__(self, receiver: MailReceiver) -> None:
        self.receiver = receiver

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.receiver.rcpt_reply:
            return self.receiver.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.receiver.delay:
            await asyncio.sleep(self.receiver.delay)
        self.receiver.accept(envelope.content)
        return "250 Message accepted for delivery"


class MailReceiver:
    """An SMTP server on 127.0.0.1 that keeps what it accepts."""

    def __init__(self, *, delay: float = 0.0, keep: bool = True) -> None:
        self.delay = delay
        self.keep = keep
        self.rcpt_reply: str | None = None  # e.g. "550 No such user" to refuse
        self.messages: list[EmailMessage] = []
        self.count = 0
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(_MailHandler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def accept(self, content: bytes) -> None:
        with self._lock:
            self.count += 1
            if self.keep:
                message = email.message_from_bytes(content, policy=email.policy.default)
                self.messages.append(message)  # type: ignore[arg-type]

    def start(self) -> MailReceiver:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


class SilentServer:
    """Accepts TCP connections and never says a word (an SMTP server that hangs)."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]

    def stop(self) -> None:
        self._sock.close()


# --- Web Push -------------------------------------------------------------------------


@dataclass
class Browser:
    """A browser's side of one push subscription: its key pair and auth secret."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes
    behaviour: str = "ok"  # ok | gone (410) | missing (404) | error (500) | hang

    @property
    def subscription(self) -> dict[str, Any]:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "keys": {"p256dh": b64url(point), "auth": b64url(self.auth)},
        }


@dataclass(frozen=True)
class Push:
    token: str
    topic: str
    urgency: str
    ttl: int
    data: dict[str, Any]


@dataclass
class PushService:
    """A push service over TLS on 127.0.0.1 that verifies and decrypts what it gets."""

    tls: TLSFiles
    verify: bool = True
    delay: float = 0.0
    vapid_key: str | None = None  # the application server key every request must carry
    browsers: dict[str, Browser] = field(default_factory=dict)
    received: list[Push] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    count: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._release = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                super().setup()
                self.request.do_handshake()

            def do_POST(self) -> None:
                service._handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.tls.cert, self.tls.key)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def get_request(self) -> tuple[socket.socket, Any]:
                sock, address = self.socket.accept()
                wrapped = context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
                return wrapped, address

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.origin = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> PushService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    def browser(self, behaviour: str = "ok", like: Browser | None = None) -> Browser:
        """A new subscription; ``like`` shares another's keys (cheap, for the benchmark)."""
        token = secrets.token_urlsafe(12)
        browser = Browser(
            token,
            f"{self.origin}/push/{token}",
            like.private_key if like else ec.generate_private_key(ec.SECP256R1()),
            like.auth if like else os.urandom(16),
            behaviour,
        )
        self.browsers[token] = browser
        return browser

    def for_token(self, token: str) -> list[Push]:
        return [p for p in self.received if p.token == token]

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        body = request.rfile.read(int(request.headers.get("Content-Length", "0")))
        token = request.path.rsplit("/", 1)[-1]
        browser = self.browsers.get(token)
        status = self._status(browser)
        if status == 0:
            self._release.wait(30)
            return
        if status == 201 and self.verify:
            problem = self._check(request, body, browser)  # type: ignore[arg-type]
            if problem:
                with self._lock:
                    self.errors.append(problem)
                status = 400
        elif status == 201:
            with self._lock:
                self.count += 1
        if self.delay:
            time.sleep(self.delay)
        request.send_response(status)
        request.send_header("Content-Length", "0")
        request.end_headers()

    def _status(self, browser: Browser | None) -> int:
        if browser is None:
            return 404
        return {"ok": 201, "gone": 410, "missing": 404, "error": 500, "hang": 0}[browser.behaviour]

    def _check(self, request: BaseHTTPRequestHandler, body: bytes, browser: Browser) -> str | None:
        headers = request.headers
        try:
            key = verify_vapid(headers.get("Authorization", ""), self.origin)
        except Exception as exc:
            return f"VAPID rejected: {exc!r}"
        if self.vapid_key is not None and key != self.vapid_key:
            return "VAPID key is not the application server key"
        if headers.get("Content-Encoding") != "aes128gcm":
            return f"unexpected Content-Encoding {headers.get('Content-Encoding')!r}"
        try:
            plain = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
            data = json.loads(plain)
        except Exception as exc:
            return f"cannot decrypt: {exc!r}"
        push = Push(
            browser.token,
            headers.get("Topic", ""),
            headers.get("Urgency", ""),
            int(headers.get("TTL", "-1")),
            data,
        )
        with self._lock:
            self.received.append(push)
            self.count += 1
        return None


def verify_vapid(header: str, origin: str) -> str:
    """Check an RFC 8292 ``vapid t=...,k=...`` header; return the public key ``k``."""
    scheme, _, params = header.partition(" ")
    assert scheme == "vapid", f"scheme {scheme!r}"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    token, key = parts["t"], parts["k"]
    head, claims, signature = token.split(".")
    assert json.loads(b64url_decode(head))["alg"] == "ES256"
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(key))
    raw = b64url_decode(signature)
    assert len(raw) == 64, "an ES256 JWT signature is r || s, 64 bytes"
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    body = json.loads(b64url_decode(claims))
    assert body["aud"] == origin, f"aud {body['aud']!r} is not {origin!r}"
    assert time.time() < body["exp"] <= time.time() + 24 * 3600, "exp must be within 24 h"
    assert str(body["sub"]).startswith(("mailto:", "https:")), "sub must be mailto: or https:"
    return key
