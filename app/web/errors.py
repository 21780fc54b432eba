"""Errors as clear messages: a page for browsers, a small fragment for htmx.

A 4xx never becomes a 500, and a CSRF failure says what happened instead of
Flask-WTF's terse default. When the database is unavailable (see
:func:`app.db.unavailable`) every route answers 503 with ``Retry-After``: a page
that needs nothing from the database, a toast for htmx, a problem for the API.
"""

from __future__ import annotations

from flask import (
    Flask,
    Response,
    current_app,
    g,
    json,
    make_response,
    render_template,
    request,
)
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException, InternalServerError

from app import db
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
RETRY_AFTER_SECONDS = 5
UNAVAILABLE_TITLE = "Plaza is briefly unavailable"
UNAVAILABLE_MESSAGE = "Try again in a moment."


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _render(code: int, message: str) -> ResponseReturnValue:
    title = TITLES.get(code, "Something went wrong")
    if _wants_json():
        return {"title": title, "status": code, "detail": message}, code
    template = "errors/_message.html" if is_htmx() else "errors/page.html"
    try:  # the page's top bar asks the database who is signed in
        response = render_template(template, code=code, title=title, message=message)
    except SQLAlchemyError as error:
        if not db.unavailable(error):
            raise
        return unavailable_response(error)
    return response, code


def unavailable_response(error: BaseException) -> Response:
    """503 for a request that met the database unavailable; the outage is logged once."""
    g.db_unavailable = True
    db.outage().failed(error)
    if _wants_json():
        body = {
            "type": "about:blank",
            "title": "Service unavailable",
            "status": 503,
            "detail": f"{UNAVAILABLE_TITLE}; try again in a moment.",
        }
        response = Response(json.dumps(body), status=503, mimetype="application/problem+json")
    else:
        # Rendered without the context processors, which look up the signed-in user:
        # neither template needs the database (no account menu, no notification badge).
        template = "errors/_unavailable.html" if is_htmx() else "errors/unavailable.html"
        html = current_app.jinja_env.get_template(template).render(
            title=UNAVAILABLE_TITLE,
            message=UNAVAILABLE_MESSAGE,
            retry_url=request.full_path.rstrip("?") if request.method == "GET" else None,
        )
        response = make_response(html, 503)
        response.vary.add("HX-Request")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


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

    @app.errorhandler(SQLAlchemyError)
    def database_error(error: SQLAlchemyError) -> ResponseReturnValue:
        if not db.unavailable(error):
            raise error  # a mistake, not an outage: a 500, logged with its traceback
        return unavailable_response(error)

    @app.errorhandler(InternalServerError)
    def server_error(error: InternalServerError) -> ResponseReturnValue:
        original = error.original_exception
        if original is not None and db.unavailable(original):
            return unavailable_response(original)  # met again while answering another error
        return _render(500, "Plaza hit an error. It has been logged; please try again.")
