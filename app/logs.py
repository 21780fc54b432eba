"""Plaza's log lines: text for people (``make run``) or one JSON object a line for a log
pipeline (``PLAZA_LOG_FORMAT=json``, as the Dockerfile and fly.toml set it).

Every line says what it happened in: the request's id during a request
(:mod:`app.web.request_ids`), the job run's id in the worker (:func:`job_run`), so
that everything one page or one run logged can be found together. Both travel in
context variables and are added by a filter on the one handler, whichever library
logged the line.

A log is read by more people, and kept longer, than the database's personal data:
nothing logs passwords, tokens or link secrets, and as a last guard the filter
masks email addresses in messages and tracebacks (``a***@example.com``), and the
database engines never put a statement's parameters in their errors
(:func:`app.db.make_engine`). The JSON comes from python-json-logger, which keeps
extra fields, exceptions and time stamps as JSON without code of Plaza's own.
"""

from __future__ import annotations

import logging
import logging.config
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
REQUEST_ID: ContextVar[str | None] = ContextVar("plaza_request_id", default=None)
JOB_RUN: ContextVar[str | None] = ContextVar("plaza_job_run", default=None)
_EMAIL = re.compile(r"\b([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def masked_emails(text: str) -> str:
    """``text`` with every email address cut to its first letter and its domain."""
    return _EMAIL.sub(r"\1***@\2", text)


@contextmanager
def job_run(job: str) -> Iterator[str]:
    """Within it, every line this thread logs carries a new id of this run of ``job``."""
    run = f"{job}-{secrets.token_hex(4)}"
    token = JOB_RUN.set(run)
    try:
        yield run
    finally:
        JOB_RUN.reset(token)


class Context(logging.Filter):
    """Adds the request's or job run's id to a record, and masks email addresses."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id, run = REQUEST_ID.get(), JOB_RUN.get()
        if request_id:
            record.request_id = request_id
        if run:
            record.job_run = run
        message = record.getMessage()
        masked = masked_emails(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class TextLines(logging.Formatter):
    """``time LEVEL logger [request or job run] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(context)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        where = getattr(record, "request_id", None) or getattr(record, "job_run", None)
        record.context = f" [{where}]" if where else ""
        return super().format(record)

    def formatException(self, ei: Any) -> str:
        return masked_emails(super().formatException(ei))


class JsonLines(JsonFormatter):
    """``{"time": ..., "level": ..., "logger": ..., "message": ..., "request_id": ...}``."""

    def __init__(self) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            json_ensure_ascii=False,
        )

    def formatException(self, ei: Any) -> str:
        formatted = super().formatException(ei)  # a list only when asked for one line each
        return masked_emails(formatted if isinstance(formatted, str) else "\n".join(formatted))


def dict_config(log_format: str) -> dict[str, Any]:
    """Logging for a Plaza process, as ``logging.config.dictConfig`` takes it; Granian is
    given it too, so its own lines and its server processes' are formatted alike."""
    formatter = JsonLines if log_format == "json" else TextLines
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": Context}},
        "formatters": {"plaza": {"()": formatter}},
        "handlers": {
            "plaza": {
                "class": "logging.StreamHandler",
                "formatter": "plaza",
                "filters": ["context"],
            }
        },
        "root": {"handlers": ["plaza"], "level": "INFO"},
        "loggers": {
            "apscheduler": {"level": "WARNING"},  # its every-tick chatter only when it matters
            "_granian": {"handlers": [], "propagate": True, "level": "INFO"},
            "granian.access": {"handlers": [], "propagate": True, "level": "INFO"},
        },
    }


def configure(log_format: str) -> None:
    logging.config.dictConfig(dict_config(log_format))
