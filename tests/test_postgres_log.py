"""A PostgreSQL server that crashes under the suite is named in the run's report."""

from __future__ import annotations

import os
import signal
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.db import make_engine
from tests.postgres_log import ServerLogs


def test_a_backend_killed_under_a_test_is_in_the_servers_log_and_the_runs_crashes(
    crashing_postgres,
):
    logs = ServerLogs()
    logs.watch(crashing_postgres.log)
    logs.mark()
    victim = make_engine(crashing_postgres.database("postgres"))
    bystander = make_engine(crashing_postgres.database("postgres"))
    with victim.connect() as killed, bystander.connect() as other:
        pid = killed.execute(text("SELECT pg_backend_pid()")).scalar_one()
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while "all server processes terminated" not in logs.since_mark():
            assert time.monotonic() < deadline, logs.since_mark()
            time.sleep(0.05)
        # Every other connection ends too, with no word of why: only the log tells.
        with pytest.raises(OperationalError, match="server closed the connection unexpectedly"):
            other.execute(text("SELECT 1"))
        other.invalidate()
        killed.invalidate()
    victim.dispose()
    bystander.dispose()

    assert f"server process (PID {pid}) was terminated by signal 9" in logs.since_mark()
    assert not logs.crashes  # the server is still there
    logs.forget(crashing_postgres.log)
    assert any("terminated by signal 9" in line for line in logs.crashes)
    assert any("terminating any other active server processes" in line for line in logs.crashes)
    assert all(line.startswith(crashing_postgres.workdir.name) for line in logs.crashes)


def test_an_ordinary_stop_and_start_is_no_crash(crashing_postgres):
    logs = ServerLogs()
    logs.watch(crashing_postgres.log)
    crashing_postgres.stop()
    crashing_postgres.start()
    assert "exited with exit code 1" in logs.since_mark()  # the replication launcher's
    logs.forget(crashing_postgres.log)
    assert logs.crashes == []
