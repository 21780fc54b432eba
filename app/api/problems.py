"""Errors as RFC 9457 ``application/problem+json``, every field problem listed at once.

Views raise :class:`ApiProblem` (or let a werkzeug HTTP error through); the
blueprint's handlers turn both into the same shape, so a client handles one
format whatever went wrong, routing errors under ``/api/`` included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, json
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

PROBLEM_TYPE = "application/problem+json"
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
}


class ApiProblem(Exception):
    """An error to answer with; ``errors`` are (field, message) pairs."""

    def __init__(
        self,
        status: int,
        detail: str,
        errors: Iterable[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


def problem_response(problem: ApiProblem) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": problem.detail,
    }
    if problem.errors:
        body["errors"] = [{"field": f, "message": m} for f, m in problem.errors]
    response = Response(json.dumps(body), status=problem.status, mimetype=PROBLEM_TYPE)
    response.headers.update(problem.headers)
    return response


def from_http_error(error: HTTPException) -> Response:
    """A werkzeug error (404, 405, 413...) in the problem format, keeping its headers."""
    status = error.code or 500
    detail = error.description if status < 500 else "Plaza hit an error; it has been logged."
    headers = {k: v for k, v in error.get_headers() if k.lower() in ("allow", "retry-after")}
    return problem_response(ApiProblem(status, detail or TITLES.get(status, ""), (), headers))


def validation_problem(error: ValidationError, prefix: str = "") -> ApiProblem:
    """A pydantic error of a request body, each problem at its JSON path."""
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "body"
        message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
        problems.append((prefix + where, message))
    return ApiProblem(422, "The request body is not valid; see errors.", problems)
