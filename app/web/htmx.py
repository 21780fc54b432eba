"""One URL, two answers: the whole page, or just the fragment htmx asked for.

Full pages ``{% include %}`` their fragments, so both answers come from the
same template and cannot drift apart. Responses say ``Vary: HX-Request`` so
that no cache hands a fragment to a browser that navigated to the page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Response, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from htmx_flask import request

from app.web.redirects import same_site_path


def is_htmx() -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def render_page_or_fragment(page_template: str, fragment: str, **context: Any) -> Response:
    response = make_response(render_template(fragment if is_htmx() else page_template, **context))
    response.vary.add("HX-Request")
    return response


def fragment_or_back(render: Callable[[], Response | str]) -> ResponseReturnValue:
    """After a form post: htmx gets the fragment ``render`` draws; a browser without
    JavaScript goes back to the page it came from (nothing is drawn for it)."""
    return render() if is_htmx() else redirect_back()


def redirect_back() -> ResponseReturnValue:
    """Where a no-JavaScript form post returns: the page it came from, on this site."""
    target = request.form.get("next") or request.referrer or ""
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        target = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    return redirect(same_site_path(target) or url_for("feed.home"), code=303)
