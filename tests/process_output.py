"""What a process started by a test prints, read line by line as it comes, so a test
can wait for a line without blocking on a pipe the process may never close."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from typing import IO

END = None  # the reading thread reached the end of the stream


class Output:
    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None, "start the process with stdout=subprocess.PIPE"
        self.lines: list[str] = []
        self._coming: queue.Queue[str | None] = queue.Queue()
        self._ended = False
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._coming.put(line)
        self._coming.put(END)

    def _take(self, timeout: float) -> bool:
        """One more line into :attr:`lines`; False at the end or after ``timeout``."""
        try:
            line = self._coming.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return False
        if line is END:
            self._ended = True
            return False
        self.lines.append(line)
        return True

    def wait_for(self, found: Callable[[str], bool], timeout: float = 60) -> None:
        """Until a line ``found`` accepts has been printed; fails if the process ends or
        ``timeout`` passes first."""
        ends = time.monotonic() + timeout
        while not any(found(line) for line in self.lines):
            if self._ended or not self._take(ends - time.monotonic()):
                raise AssertionError(f"not printed:\n{self.text()}")

    def rest(self, timeout: float = 10) -> str:
        """Everything printed, once the process has closed its output (or ``timeout``)."""
        ends = time.monotonic() + timeout
        while not self._ended and self._take(ends - time.monotonic()):
            pass
        return self.text()

    def text(self) -> str:
        """Everything printed so far."""
        while not self._ended and self._take(0):
            pass
        return "".join(self.lines)
