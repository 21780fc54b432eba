"""Answers shared by the portal's views: where to go after a form succeeds."""

from __future__ import annotations

from flask import Response, redirect
from flask.typing import ResponseReturnValue

from app.web.htmx import is_htmx


def see_other(target: str) -> ResponseReturnValue:
    """Go to ``target`` after a successful POST, for a plain form and for htmx alike.

    htmx follows a 303 inside its request and would swap a whole page into the
    form, so it is told to navigate instead.
    """
    if is_htmx():
        response = Response(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target, code=303)
