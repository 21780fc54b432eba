"""A wall-clock budget per request that holds even while a socket call blocks.

Socket timeouts bound each read, not the whole response: a server that sends
a byte just before every timeout (in the headers or the body) would keep us
forever. So one watchdog thread shuts down every connection of a request when
its budget runs out; the blocked call then returns and the request fails as a
timeout.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from contextlib import suppress


class Deadline:
    """The budget of one request (redirects included), and the sockets it covers.

    The watchdog holds duplicates of the sockets, so it can never touch a
    descriptor that was closed and reused meanwhile.
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
    """One daemon thread that expires every request's deadline.

    A thread per request (``threading.Timer``) costs a thread start, and the wait for
    it to be scheduled, on every request: a third of a 304 refresh on a busy machine.
    Deadlines closed in time are dropped lazily when they reach the top of the heap.
    """

    def __init__(self) -> None:
        self._wake = threading.Condition()
        self._due: list[tuple[float, int, Deadline]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, ends: float, deadline: Deadline) -> None:
        with self._wake:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, daemon=True, name="fetch-deadlines"
                )
                self._thread.start()
            entry = (ends, next(self._order), deadline)
            heapq.heappush(self._due, entry)
            if self._due[0] is entry:  # sooner than what the thread sleeps until
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
