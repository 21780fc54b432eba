"""How metrics leave a process, and to whom: Prometheus's text format, behind a bearer
token (``PLAZA_METRICS_TOKEN``, compared in constant time).

``plaza serve`` runs several server processes (Granian) and, unless ``--no-worker``,
the worker as one more: each records into files of a directory all of them share
(prometheus_client's multi-process mode, :func:`share_between_processes`), which
``/metrics`` in any of them sums. Where the worker runs on a machine of its own
(Fly.io's ``worker`` process group) there is no directory to share: ``plaza worker``
serves its own counters on ``PLAZA_WORKER_METRICS_PORT`` (:func:`serve_in_thread`),
with the same token. What the database knows (outbox depths, rollup lag) is read
by the web's ``/metrics`` wherever the worker runs (:mod:`.state`).
"""

from __future__ import annotations

import hmac
import logging
import os
import socket
import threading
from collections.abc import Iterable
from pathlib import Path
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = CONTENT_TYPE_LATEST


def share_between_processes(directory: Path) -> None:
    """From now on this process and the processes it starts record into ``directory``.

    prometheus_client picks its kind of value when it is imported, from the variable;
    ``plaza serve`` decides after the app (and so the library) is loaded, but before
    any metric has a value (they all have labels) and before it forks its server
    processes, so it sets the variable for its children and the choice for itself."""
    os.environ[DIRECTORY_VARIABLE] = str(directory)
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]


def shared() -> bool:
    return DIRECTORY_VARIABLE in os.environ


def exposition(*collectors: Collector) -> bytes:
    """This process's metrics (every process's, in multi-process mode), then ``collectors``."""
    if shared():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        text = generate_latest(registry)
    else:
        text = generate_latest(REGISTRY)
    extra = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        extra.register(collector)
    return text + generate_latest(extra)


def authorized(authorization: str | None, token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <token>``, compared in
    constant time so that the answer's timing tells nothing of the token."""
    given = (authorization or "").encode("utf-8", "replace")
    return hmac.compare_digest(given, f"Bearer {token}".encode())


# --- The worker's own endpoint -----------------------------------------------------------


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _DualStackServer(_Server):
    address_family = socket.AF_INET6  # with Linux's default, IPv4 clients too


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes are not news."""


def serve_in_thread(port: int, token: str) -> WSGIServer:
    """Serve ``GET /metrics`` (this process's counters, with ``token``) on ``port`` of
    every address, IPv6 (Fly's private network) and IPv4, from a daemon thread."""

    def metrics_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not authorized(environ.get("HTTP_AUTHORIZATION"), token):
            start_response(
                "401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "Bearer")]
            )
            return [b"A bearer token is needed.\n"]
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Metrics are at /metrics.\n"]
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [exposition()]

    server: WSGIServer
    try:
        server = make_server("::", port, metrics_app, _DualStackServer, _QuietHandler)
    except OSError:  # a host without IPv6
        server = make_server("0.0.0.0", port, metrics_app, _Server, _QuietHandler)  # noqa: S104
    threading.Thread(target=server.serve_forever, name="plaza-metrics", daemon=True).start()
    return server
