"""Every request gets an id: echoed in the ``X-Request-ID`` header of its response and
carried by every line logged while it is answered (:mod:`app.logs`).

A proxy or a client may send its own id, which is kept so that one request can be
followed through every system it crossed; but only a short token of letters, digits
and ``._:-``, since it is written into every log line: anything else (spaces, quotes,
new lines, a page of text) is replaced by an id of Plaza's own.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, request

from app.logs import REQUEST_ID

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def _begin() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if SANE.fullmatch(given) else secrets.token_hex(16)
    g.request_id_token = REQUEST_ID.set(g.request_id)


def _echo(response: Response) -> Response:
    if "request_id" in g:
        response.headers[HEADER] = g.request_id
    return response


def _end(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        REQUEST_ID.reset(token)


def init_app(app: Flask) -> None:
    """Registered before every other hook, so that their lines carry the id too."""
    app.before_request(_begin)
    app.after_request(_echo)
    app.teardown_request(_end)
