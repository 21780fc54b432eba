"""Errors as clear messages: a page for browsers, a small fragment for htmx.

A 4xx never becomes a 500, and a CSRF failure says what happened instead of
Flask-WTF's terse default.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from app.web.htmx import is_htmx

TITLES = {
    400: "That request was not valid",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    409: "Already done",
    413: "Too large",
    422: "Please check your answer",
    429: "Slow down",
    500: "Something went wrong",
}


def _render(code: int, message: str) -> ResponseReturnValue:
    title = TITLES.get(code, "Something went wrong")
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return {"title": title, "status": code, "detail": message}, code
    template = "errors/_message.html" if is_htmx() else "errors/page.html"
    response = render_template(template, code=code, title=title, message=message)
    return response, code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        return _render(
            400,
            "Your session expired or the form was sent from elsewhere. Reload the page and "
            "try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        code = error.code or 500
        return _render(code, error.description or TITLES.get(code, ""))

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        return _render(500, "Plaza hit an error. It has been logged; please try again.")
