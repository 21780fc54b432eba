"""``plaza serve`` as production and ``make run`` start it: a real server, several
processes, one worker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import psutil

from app.cli.serve import cpu_cores
from tests.process_output import Output

PLAZA = Path(sys.executable).with_name("plaza")
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(pid: int) -> dict[int, list[str]]:
    """Every process below ``pid``, with its command line."""
    found: dict[int, list[str]] = {}
    for child in psutil.Process(pid).children(recursive=True):
        try:
            found[child.pid] = child.cmdline()
        except psutil.Error:  # ended meanwhile
            continue
    return found


class Served:
    """``plaza serve ...`` in its own process group, its output read line by line."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.port = free_port()
        self.command = [str(PLAZA), "serve", "--port", str(self.port), *args]
        self.process = subprocess.Popen(
            self.command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, start_new_session=True,
        )  # fmt: skip
        self.output = Output(self.process.stdout)

    def wait_for_line(self, fragment: str) -> None:
        """Until a line with ``fragment`` appears (or the server ends: that fails)."""
        self.output.wait_for(lambda line: fragment in line)

    def get(self, path: str) -> tuple[int, str]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=10) as r:
            return r.status, r.read().decode()

    def wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + 60
        while True:
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            assert self.process.poll() is None, self.output.rest()
            assert time.monotonic() < deadline, f"no answer in 60 s:\n{self.output.text()}"
            time.sleep(0.2)

    def stop(self) -> str:
        """Stops the server as a process manager would (SIGTERM); returns all it said."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        return self.output.rest()


def plaza_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "PLAZA_DATABASE_URL": f"sqlite:///{tmp_path}/serve.sqlite3",
           "PLAZA_SECRET_KEY": "serve-test"}  # fmt: skip
    env.pop("WEB_CONCURRENCY", None)  # the processes are the test's to choose
    # This checkout's code, whichever checkout the `plaza` command was installed from.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    subprocess.run([str(PLAZA), "db", "upgrade"], env=env, check=True, capture_output=True)
    return env


def run_until_stopped(served: Served, check: Callable[[], None]) -> str:
    try:
        served.wait_until_it_answers()
        check()
    finally:
        said = served.stop()
    return said


def test_two_server_processes_answer_and_the_worker_runs_once(tmp_path):
    served = Served(plaza_env(tmp_path), "--workers", "2")
    found: dict[int, list[str]] = {}

    def check() -> None:
        assert served.get("/healthz")[0] == 200
        status, page = served.get("/")
        assert status == 200 and "Create an account" in page
        # Reads from the same SQLite file (WAL) in every process answer alike.
        for _ in range(6):
            assert served.get("/readyz")[0] == 200
        served.wait_for_line("Worker started")
        found.update(descendants(served.process.pid))

    said = run_until_stopped(served, check)
    workers = [pid for pid, command in found.items() if command[-3:] == ["-m", "app.cli", "worker"]]
    servers = [pid for pid, command in found.items() if command[1:] == served.command]
    assert len(workers) == 1, found
    assert len(servers) == 2, found
    assert said.count("Worker started") == 1, said
    assert "with 2 processes of" in said
    assert served.process.returncode == 0, said
    # Stopping the server stopped its worker too.
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_without_the_worker_it_serves_one_process_per_core(tmp_path):
    served = Served(plaza_env(tmp_path), "--no-worker")
    found: dict[int, list[str]] = {}

    def check() -> None:
        assert served.get("/healthz")[0] == 200
        found.update(descendants(served.process.pid))

    said = run_until_stopped(served, check)
    assert "Worker" not in said
    assert not any("app.cli" in command for command in found.values()), found
    assert sum(command[1:] == served.command for command in found.values()) == cpu_cores()


def test_a_container_cpu_quota_caps_the_default_processes(tmp_path):
    cpu_max = tmp_path / "cpu.max"
    cores = len(os.sched_getaffinity(0))
    cpu_max.write_text("max 100000\n")
    assert cpu_cores(cpu_max) == cores
    cpu_max.write_text("50000 100000\n")  # half a core is still one process
    assert cpu_cores(cpu_max) == 1
    cpu_max.write_text(f"{(cores + 8) * 100000} 100000\n")  # a quota above the cores
    assert cpu_cores(cpu_max) == cores
    assert cpu_cores(tmp_path / "no-cgroup-v2") == cores


def test_metrics_add_up_every_process_and_their_directory_goes_with_the_server(tmp_path):
    """Two server processes and the worker record into one directory: a scrape of either
    server process counts the requests both answered and the worker's refreshes; the
    log is JSON lines; stopping the server removes the directory."""
    from tests.scrape import TOKEN, Scrape

    env = plaza_env(tmp_path) | {"PLAZA_METRICS_TOKEN": TOKEN, "PLAZA_LOG_FORMAT": "json",
                                 "PLAZA_FETCH_ALLOW": "127.0.0.1"}  # fmt: skip
    for command in (["orgs", "create", "--slug", "acme", "--name", "Acme"],
                    ["providers", "add", "--org", "acme", "--kind", "pinterest", "--config",
                     f'{{"url": "http://127.0.0.1:{free_port()}/acme/board.rss"}}']):  # fmt: skip
        subprocess.run([str(PLAZA), *command], env=env, check=True, capture_output=True)
    served = Served(env, "--workers", "2")
    folders: list[str] = []
    scraped: list[Scrape] = []

    def check() -> None:
        for _ in range(40):
            assert served.get("/healthz")[0] == 200
        served.wait_for_line('"logger": "app.ingest.due"')  # the worker refreshed, and said so
        asked = urllib.request.Request(
            f"http://127.0.0.1:{served.port}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(asked, timeout=10) as response:
            scraped.append(Scrape(response.read().decode()))
        for pid in descendants(served.process.pid):  # the worker was started with it
            folder = psutil.Process(pid).environ().get("PROMETHEUS_MULTIPROC_DIR")
            if folder and folder not in folders:
                folders.append(folder)

    said = run_until_stopped(served, check)
    (seen,) = scraped
    assert seen.value("plaza_http_responses_total", status="2xx") >= 40 + 1, seen.text  # readyz
    assert seen.value("plaza_provider_refreshes_total", outcome="failed", reason="source") == 1
    (folder,) = folders
    assert not Path(folder).exists()
    refreshed = [line for line in said.splitlines() if '"app.ingest.due"' in line]
    assert '"job_run": "refresh_due_providers-' in refreshed[0], said
