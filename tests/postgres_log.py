"""What the suite's PostgreSQL servers wrote to their logs, for the people reading a run.

When a server crashes and restarts (a backend killed, memory or disk gone), every
connection it had ends with nothing but "server closed the connection unexpectedly":
only the server's log says why, and the log is removed with the server at the end of
the session. So a failing test's report carries what the servers logged while it ran,
and the run ends with any crash any server logged, whether or not a test failed then.
"""

from __future__ import annotations

import re
from pathlib import Path

# A server's own account of losing a process or restarting; the lines a test provokes
# on purpose (a connection ended by an administrator, a client gone) are not among them.
CRASH = re.compile(
    r"PANIC:|terminated by signal|exited with exit code|terminating any other active"
    r"|all server processes terminated|database system was interrupted|out of memory"
    r"|No space left on device|could not fork"
)
# ... but not the replication launcher's exit at every ordinary shutdown.
SHUTDOWN = re.compile(r'"logical replication launcher" \(PID \d+\) exited with exit code 1')
REPORTED_LINES = 40


class ServerLogs:
    """The logs of the servers this process started, and where each stood when the
    current test began."""

    def __init__(self) -> None:
        self.started_at: dict[Path, int] = {}
        self.crashes: list[str] = []

    def watch(self, log: Path) -> None:
        self.started_at.setdefault(log, _size(log))

    def mark(self) -> None:
        """A test begins: what the logs say from here on is its."""
        for log in self.started_at:
            self.started_at[log] = _size(log)

    def since_mark(self) -> str:
        """The last lines each log gained since the current test began."""
        parts = []
        for log, start in self.started_at.items():
            lines = _read(log, start).splitlines()[-REPORTED_LINES:]
            if lines:
                parts.append(f"{log}:\n" + "\n".join(lines))
        return "\n".join(parts)

    def forget(self, log: Path) -> None:
        """The server is being removed: keep its crashes, if any, for the run's end."""
        if log in self.started_at:
            del self.started_at[log]
            self.crashes += [
                f"{log.parent.name}: {line}"
                for line in _read(log, 0).splitlines()
                if CRASH.search(line) and not SHUTDOWN.search(line)
            ]


def _size(log: Path) -> int:
    try:
        return log.stat().st_size
    except OSError:
        return 0


def _read(log: Path, start: int) -> str:
    try:
        with log.open("rb") as file:
            file.seek(start)
            return file.read().decode("utf-8", "replace")
    except OSError:
        return ""
