"""The browser tests' server, once stopped, answers nothing and leaves nothing running:
a page still open in the session's Chromium (the bell polls every minute) must not be
served by a stopped server, whose answer would write into a descriptor it had closed."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

from flask import Flask

from tests.browser.conftest import serving

REQUEST = b"GET / HTTP/1.1\r\nHost: plaza.test\r\n\r\n"


def tiny_app() -> Flask:
    app = Flask("tiny")
    app.add_url_rule("/", "hello", lambda: "hello")
    return app


def test_a_stopped_server_closes_the_connections_it_kept_alive_and_its_threads_end():
    before = set(threading.enumerate())
    with serving(tiny_app()) as url:
        address = urlsplit(url)
        kept = socket.create_connection((address.hostname, address.port), timeout=10)
        kept.sendall(REQUEST)
        answer = b""
        while not answer.endswith(b"\r\n\r\nhello"):  # the whole answer, which may come in parts
            part = kept.recv(4096)
            assert part, answer
            answer += part
        assert answer.startswith(b"HTTP/1.1 200")  # and the connection stays open
    with kept:
        try:
            kept.sendall(REQUEST)
            answer = kept.recv(4096)
        except OSError:  # reset: closed
            answer = b""
    assert answer == b""
    assert [t for t in threading.enumerate() if t not in before and t.is_alive()] == []
