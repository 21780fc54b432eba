"""The consumer's home feed: the full page, the next pages, and the Saved page.

``/`` renders the first page inside the layout; ``/feed?cursor=...`` renders
the next page, as a fragment for htmx's infinite scroll or as a full page
when JavaScript is off (the "More cards" link). The cursor is signed, so a
tampered one is a clear 400, never a 500.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlalchemy import insert
from sqlmodel import col, delete, select
from werkzeug.exceptions import BadRequest

from app import db
from app.catalog_store import catalog, feed_plans
from app.metrics import recorded
from app.models import Card, CardState, Event, EventKind, Provider
from app.ranking.candidates import build_page, shown_now
from app.ranking.prepared import prepared_plan, record_visit
from app.shopper.display import CardView, card_frames, card_views
from app.taxonomy_store import taxonomy
from app.web.csrf import masked_csrf_token
from app.web.htmx import render_page_or_fragment

bp = Blueprint("feed", __name__)


@bp.app_template_global()
def card_html(view: CardView) -> Markup:
    """A card as ``cards/_card.html`` shows it wherever a card is shown: its frame, shared
    by every shopper it is shown to (see :class:`app.shopper.display.CardFrames`)."""
    return card_frames().html(view, masked_csrf_token(), datetime.now(UTC))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="plaza.feed-cursor")


def encode_cursor(feed_session: str, as_of: datetime, page: int) -> str:
    return _serializer().dumps({"s": feed_session, "t": as_of.timestamp(), "p": page})


def decode_cursor(cursor: str) -> tuple[str, datetime, int]:
    try:
        data = _serializer().loads(cursor)
        return (
            str(data["s"]),
            datetime.fromtimestamp(float(data["t"]), UTC),
            int(data["p"]),
        )
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadRequest("This feed link is not valid any more. Reload the page.") from exc


@bp.get("/")
def home() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return render_template("landing.html")
    if current_user.onboarded_at is None:
        return redirect(url_for("interests.onboarding"))
    now = datetime.now(UTC)
    return _render_feed(secrets.token_hex(8), as_of=now, page=1, visit=True)


@bp.get("/feed")
@login_required
def next_page() -> ResponseReturnValue:
    cursor = request.args.get("cursor", "")
    if not cursor:
        return redirect(url_for("feed.home"))
    feed_session, as_of, page = decode_cursor(cursor)
    return _render_feed(feed_session, as_of=as_of, page=page)


MAX_RERANKED = 500  # cards below the one acted on: far more than anyone scrolls


@bp.post("/feed/rerank")
@login_required
def rerank() -> ResponseReturnValue:
    """The rest of the feed again, after a "Why this card?" control changed the profile.

    The page's script sends the feed's cursor and the cards on screen below the one
    acted on; it removes them once the new ranking arrives. They were served but are
    taken back, so their impressions in this feed session are withdrawn: they may come
    back in the new order, and fatigue does not count a card twice. The feed keeps its
    start time, so the new ranking holds the same cards the first one could.
    """
    feed_session, as_of, _ = decode_cursor(request.form.get("cursor", ""))
    try:
        withdrawn = {int(card_id) for card_id in request.form.getlist("replace")}
    except ValueError as exc:
        raise BadRequest("The cards to replace must be card numbers.") from exc
    if len(withdrawn) > MAX_RERANKED:
        raise BadRequest(f"At most {MAX_RERANKED} cards can be replaced at once.")
    session = db.session()
    feed_plans().forget(current_user.id, feed_session)  # ranked before the change
    if withdrawn:
        session.execute(
            delete(Event).where(
                col(Event.user_id) == current_user.id,
                col(Event.feed_session) == feed_session,
                col(Event.kind) == EventKind.IMPRESSION,
                col(Event.card_id).in_(withdrawn),
            )
        )
    return _render_feed(feed_session, as_of=as_of, page=2)


def _render_feed(
    feed_session: str, *, as_of: datetime, page: int, visit: bool = False
) -> ResponseReturnValue:
    """A page of the feed session that began ``as_of``; with ``visit``, its first page,
    taken from the plan the worker prepared when there is one that may be used (see
    :mod:`app.ranking.prepared`): the visit then begins when the plan was ranked."""
    started = time.perf_counter()
    session = db.session()
    user_id = current_user.id
    prepared = None
    if visit:
        max_age = timedelta(minutes=current_app.config["PREPARED_FEED_MAX_AGE_MINUTES"])
        prepared = prepared_plan(session, user_id, catalog(), now=as_of, max_age=max_age)
        if prepared is not None:
            feed_plans().put(user_id, feed_session, prepared.plan)
            as_of = prepared.as_of
    feed = build_page(
        session,
        user_id,
        taxonomy(),
        catalog(),
        as_of=as_of,
        now=as_of,
        feed_session=feed_session,
        page_size=current_app.config["FEED_PAGE_SIZE"],
        candidate_limit=current_app.config["CANDIDATE_LIMIT"],
        plans=feed_plans(),
    )
    shown_at = datetime.now(UTC)
    if visit and not record_visit(session, user_id, prepared, shown_at):
        # Another visit used the plan a moment ago: this one ranks its own first page.
        feed_plans().forget(user_id, feed_session)
        return _render_feed(secrets.token_hex(8), as_of=shown_at, page=1)
    if feed.ranked:  # one statement for the page's impressions, not one per card
        session.execute(
            insert(Event),
            [
                {
                    "user_id": user_id,
                    "card_id": r.candidate.card_id,
                    "provider_id": r.candidate.provider_id,
                    "kind": EventKind.IMPRESSION,
                    "feed_session": feed_session,
                    "viewer_rate": feed.viewer_rate,
                    "detail": {},
                    "created_at": shown_at,
                }
                for r in feed.ranked
            ],
        )
    session.commit()
    views = card_views(
        session,
        [(feed.cards[r.candidate.card_id], r.reasons) for r in feed.ranked],
        user_id,
        interests=feed.interests,
    )
    next_cursor = encode_cursor(feed_session, as_of, page + 1) if feed.has_more else None
    response = render_page_or_fragment(
        "feed/home.html",
        "feed/_page.html",
        views=views,
        next_cursor=next_cursor,
        page=page,
        feed_cursor=encode_cursor(feed_session, as_of, page),
    )
    recorded.feed_page(first=page == 1, planned=feed.planned, seconds=time.perf_counter() - started)
    return response


@bp.get("/saved")
@login_required
def saved() -> ResponseReturnValue:
    session = db.session()
    cards = session.exec(
        select(Card)
        .join(CardState, col(CardState.card_id) == Card.id)
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(
            CardState.user_id == current_user.id,
            col(CardState.saved_at).is_not(None),
            *shown_now(datetime.now(UTC)),
        )
        .order_by(col(CardState.saved_at).desc())
    ).all()
    views = card_views(session, [(card, None) for card in cards], current_user.id)
    return render_template("feed/saved.html", views=views)
