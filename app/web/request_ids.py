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

from flask import Flask, Response, request

from app.logs import REQUEST_ID

HEADER = "X-Request-ID"
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")


def _begin() -> None:
    given = request.headers.get(HEADER, "")
    REQUEST_ID.set(given if SANE.fullmatch(given) else secrets.token_hex(16))


def _echo(response: Response) -> Response:
    request_id = REQUEST_ID.get()
    if request_id:
        response.headers[HEADER] = request_id
    return response


def _end(_error: BaseException | None) -> None:
    """The thread's next lines, outside any request, carry no request's id."""
    REQUEST_ID.set(None)


def init_app(app: Flask) -> None:
    """Registered before every other hook, so that their lines carry the id too."""
    app.before_request(_begin)
    app.after_request(_echo)
    app.teardown_request(_end)
