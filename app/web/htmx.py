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
    """An htmx request that wants a fragment: not a boosted link, nor a history restore
    (back to a pushed URL whose page htmx no longer holds), which both want the page."""
    return (
        bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request
    )


def render_page_or_fragment(page_template: str, fragment: str, **context: Any) -> Response:
    response = make_response(render_template(fragment if is_htmx() else page_template, **context))
    response.vary.add("HX-Request")
    return response


def fragment_or_back(
    render: Callable[[], Response | str], *, anchor: str | None = None
) -> ResponseReturnValue:
    """After a form post: htmx gets the fragment ``render`` draws; a browser without
    JavaScript goes back to the page it came from (nothing is drawn for it), scrolled to
    ``anchor`` (an element id) when given."""
    return render() if is_htmx() else redirect_back(anchor=anchor)


def card_anchor(card_id: int | None) -> str:
    """The id of a card's element on every page that shows it (``cards/_frame.html``):
    where a page without JavaScript returns after acting on the card, not its top."""
    return f"card-{card_id}"


def redirect_back(*, anchor: str | None = None) -> ResponseReturnValue:
    """Where a no-JavaScript form post returns: the page it came from, on this site,
    at ``anchor`` when given (instead of the fragment it came with)."""
    return redirect(back_url(anchor=anchor), code=303)


def back_url(*, anchor: str | None = None) -> str:
    """The page this request came from (a form's ``next``, else the referrer) when it is
    one of Plaza's own, else the feed; at ``anchor`` when given. A "back" link or a
    redirect may use it: it never leads to another site."""
    target = request.form.get("next") or request.referrer or ""
    parts = urlsplit(target)
    if parts.scheme in ("http", "https") and parts.netloc == request.host:
        target = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    back = same_site_path(target) or url_for("feed.home")
    if anchor:
        back = urlunsplit(urlsplit(back)._replace(fragment=anchor))
    return back
