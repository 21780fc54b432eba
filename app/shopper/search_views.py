"""Search: ``/search?q=...`` finds the cards a shopper came for.

One URL answers three ways: the whole page (a plain GET form, so it works without
JavaScript), the results alone for htmx as the shopper types (``HX-Request``), and a
further page of results alone for htmx's "More results" as it scrolls into view. The
cards are shown as the feed shows them, with the same actions. Searching changes
nothing: no impression is recorded, so a GET stays a GET. Signed-out visitors are sent
to sign in, as for the feed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, request
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest

from app import db
from app.models import InterestState
from app.search.query import MAX_CHARS, SearchQuery
from app.search.results import MAX_PAGES, search_cards
from app.shopper.display import card_views
from app.shopper.interests import interest_states
from app.taxonomy_store import taxonomy
from app.web.htmx import is_htmx, render_page_or_fragment

bp = Blueprint("search", __name__)

SUGGESTIONS = 6  # followed interests offered as searches on the empty page


@bp.get("/search")
@login_required
def search() -> ResponseReturnValue:
    query = SearchQuery.parse(request.args.get("q", ""))
    page = _page_number(request.args.get("page", "1"))
    session = db.session()
    tax = taxonomy()
    context: dict[str, object] = {
        "query": query,
        "page": page,
        "max_chars": MAX_CHARS,
    }
    if query.words:
        results = search_cards(
            session, current_user.id, query, tax, now=datetime.now(UTC), page=page
        )
        context |= {
            "views": card_views(
                session, results.cards, current_user.id, interests=results.interests
            ),
            "has_more": results.has_more,
            "also": results.also,
        }
    else:
        follows = [
            slug
            for slug, state in interest_states(session, current_user.id).items()
            if state == InterestState.FOLLOW and slug in tax
        ]
        context["suggestions"] = sorted(tax.name(slug) for slug in follows)[:SUGGESTIONS]
    fragment = "search/_more.html" if page > 1 and is_htmx() else "search/_results.html"
    return render_page_or_fragment("search/page.html", fragment, **context)


def _page_number(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_PAGES:
        raise BadRequest(f"Results go from page 1 to page {MAX_PAGES}.")
    return int(text)
