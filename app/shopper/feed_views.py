"""The consumer's home feed: the full page, the next pages, and the Saved page.

``/`` renders the first page inside the layout; ``/feed?cursor=...`` renders
the next page, as a fragment for htmx's infinite scroll or as a full page
when JavaScript is off (the "More cards" link). The cursor is signed, so a
tampered one is a clear 400, never a 500. ``/?only=deals`` (a filter chip) is a feed
session narrowed to some cards; its cursor carries the filter, so scrolling keeps it.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from sqlmodel import Session, col, delete, select
from werkzeug.exceptions import BadRequest

from app import db
from app.catalog_store import catalog, feed_plans
from app.metrics import recorded
from app.models import Event, EventKind, Role
from app.ranking.candidates import (
    FeedPage,
    as_candidate,
    build_page,
    load_profile,
    shown_cards,
)
from app.ranking.catalog import interests_of
from app.ranking.choices import FILTERS, FeedChoices, filter_kinds, narrowing
from app.ranking.overview import popular_fill
from app.ranking.prepared import last_visit, prepared_plan, record_visit, visit_row
from app.ranking.rank import Ranked, search_order
from app.shopper.display import CardView, card_frames, card_views
from app.shopper.impressions import record_impressions
from app.shopper.saved import saved_cards, saved_count_query
from app.taxonomy_store import taxonomy
from app.web import top_bar
from app.web.converters import parse_id
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


def encode_cursor(feed_session: str, as_of: datetime, page: int, only: str | None = None) -> str:
    data: dict[str, object] = {"s": feed_session, "t": as_of.timestamp(), "p": page}
    if only is not None:
        data["o"] = only  # a filter chip's session keeps its filter as it scrolls
    return _serializer().dumps(data)


def decode_cursor(cursor: str) -> tuple[str, datetime, int, str | None]:
    try:
        data = _serializer().loads(cursor)
        only = data.get("o")
        if only is not None and only not in FILTERS:
            raise ValueError(only)
        return (
            str(data["s"]),
            datetime.fromtimestamp(float(data["t"]), UTC),
            int(data["p"]),
            only,
        )
    except (BadSignature, AttributeError, KeyError, TypeError, ValueError) as exc:
        raise BadRequest("This feed link is not valid any more. Reload the page.") from exc


def filter_chosen(value: str | None) -> str | None:
    """The filter chip ``/?only=`` names (None: All); anything else is a clear 400."""
    if value is None or value == "":
        return None
    if value not in FILTERS:
        names = ", ".join(FILTERS)
        raise BadRequest(f"The feed can show only {names}, or everything: not {value!r}.")
    return value


@bp.get("/")
def home() -> ResponseReturnValue:
    if not current_user.is_authenticated:
        return render_template("landing.html")
    if current_user.onboarded_at is None and current_user.role == Role.CONSUMER:
        # Partners and staff looking at the shopper feed get popular cards, not onboarding.
        return redirect(url_for("interests.onboarding"))
    only = filter_chosen(request.args.get("only"))
    now = datetime.now(UTC)
    # A filter chip narrows the visit under way: a first page of its own, not a new visit.
    return _render_feed(secrets.token_hex(8), as_of=now, page=1, visit=only is None, only=only)


@bp.get("/feed")
@login_required
def next_page() -> ResponseReturnValue:
    cursor = request.args.get("cursor", "")
    if not cursor:
        return redirect(url_for("feed.home"))
    feed_session, as_of, page, only = decode_cursor(cursor)
    served = _served_page(db.session(), current_user.id, feed_session, page)
    if served:
        return _render_again(served, feed_session, as_of=as_of, page=page, only=only)
    return _render_feed(feed_session, as_of=as_of, page=page, only=only)


def _served_page(session: Session, user_id: int, feed_session: str, page: int) -> list[int]:
    """The cards page ``page`` of the feed session showed, in order, if it was shown: one
    indexed read of the session's impressions (a few pages' worth)."""
    rows = session.exec(
        select(Event.card_id, Event.detail)
        .where(
            Event.user_id == user_id,
            Event.feed_session == feed_session,
            Event.kind == EventKind.IMPRESSION,
        )
        .order_by(col(Event.id))
    ).all()
    return [
        card_id
        for card_id, detail in rows
        if card_id is not None and (detail or {}).get("page") == page
    ]


def _render_again(
    card_ids: list[int], feed_session: str, *, as_of: datetime, page: int, only: str | None
) -> ResponseReturnValue:
    """A later page of the feed asked for again (a reload, or the way back after acting
    on one of its cards without JavaScript): the same cards in the same order, less
    those the shopper has turned away since (dismissed, muted, hidden), rather than the
    cards after them. Nothing is counted as shown again."""
    session = db.session()
    now = datetime.now(UTC)
    tax = taxonomy()
    cards = shown_cards(session, card_ids, now)
    topics = interests_of(session, list(cards))
    profile = load_profile(session, current_user.id, taxonomy=tax, now=now)
    candidates = [(as_candidate(cards[i], topics.get(i, ())), 1.0) for i in card_ids if i in cards]
    # Only which cards remain is wanted here: their reasons are the feed's (card_views).
    order = search_order(profile, candidates, now, tax, explained=slice(0))
    kept = {r.candidate.card_id for r in order}
    views = card_views(
        session,
        [(cards[i], None) for i in card_ids if i in kept],
        current_user.id,
        interests=topics,
        profile=profile,
    )
    full = len(card_ids) >= current_app.config["FEED_PAGE_SIZE"]
    return _feed_response(
        "feed/_page.html",
        profile.feed,
        views=views,
        catch_up=[],
        popular_views=[],
        next_cursor=encode_cursor(feed_session, as_of, page + 1, only) if full else None,
        page=page,
        feed_cursor=encode_cursor(feed_session, as_of, page, only),
        only=only,
        turned_off=False,
    )


def _feed_response(fragment: str, choices: FeedChoices, **context: Any) -> ResponseReturnValue:
    """A page of the feed, whole or as htmx's ``fragment``, drawn with the feed settings
    it was ranked with (``choices``, read with the profile): the list's density comes
    from them, never from a read of its own. Only the feed's list draws cards by
    density; the Saved list and search results do not ask for it."""
    return render_page_or_fragment(
        "feed/home.html", fragment, filters=FILTERS, feed_density=choices.density, **context
    )


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
    feed_session, as_of, _, only = decode_cursor(request.form.get("cursor", ""))
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
    return _render_feed(feed_session, as_of=as_of, page=2, only=only)


CATCH_UP = 6  # the most cards under "Since your last visit"


def _render_feed(
    feed_session: str,
    *,
    as_of: datetime,
    page: int,
    visit: bool = False,
    only: str | None = None,
) -> ResponseReturnValue:
    """A page of the feed session that began ``as_of``, narrowed to the filter ``only``;
    with ``visit``, its first page, taken from the plan the worker prepared when there is
    one that may be used (see :mod:`app.ranking.prepared`): the visit then begins when
    the plan was ranked. A visit after a gap of ``PLAZA_CATCH_UP_GAP_HOURS`` is ranked
    on the request instead, with the best cards stored since the previous one on top."""
    started = time.perf_counter()
    session = db.session()
    user_id = current_user.id
    prepared = None
    new_since = None
    if visit:
        row = visit_row(session, user_id)
        previous = last_visit(session, user_id, row)
        gap = timedelta(hours=current_app.config["CATCH_UP_GAP_HOURS"])
        if previous is not None and as_of - previous >= gap:
            new_since = previous
        else:
            max_age = timedelta(minutes=current_app.config["PREPARED_FEED_MAX_AGE_MINUTES"])
            prepared = prepared_plan(session, row, catalog(), now=as_of, max_age=max_age)
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
        keep=narrowing(only, as_of) if only is not None else None,
        new_since=new_since,
        catch_up=CATCH_UP,
    )
    shown_at = datetime.now(UTC)
    if visit and not record_visit(session, user_id, prepared, shown_at):
        # Another visit used the plan a moment ago: this one ranks its own first page.
        feed_plans().forget(user_id, feed_session)
        return _render_feed(secrets.token_hex(8), as_of=shown_at, page=1)
    popular = _popular_fill(session, feed, as_of=as_of, page=page, only=only)
    placed = [*feed.caught_up, *feed.ranked]
    record_impressions(
        session,
        [r.candidate.card_id for r in [*placed, *popular]],
        user_id=user_id,
        feed_session=feed_session,
        viewer_rate=feed.viewer_rate,
        page=page,
        shown_at=shown_at,
    )
    session.commit()
    # The page's cards and its popular ones in one go: one read each of their sources,
    # organisations and saved marks, not one per list (nor any for an empty list).
    shown = card_views(
        session,
        [(feed.cards[r.candidate.card_id], r.reasons) for r in [*placed, *popular]],
        user_id,
        interests=feed.interests,
        now=shown_at,
    )
    views, popular_views = shown[: len(placed)], shown[len(placed) :]
    caught_up = len(feed.caught_up)
    next_cursor = encode_cursor(feed_session, as_of, page + 1, only) if feed.has_more else None
    response = _feed_response(
        "feed/_view.html" if page == 1 else "feed/_page.html",
        feed.profile.feed,
        views=views[caught_up:],
        catch_up=views[:caught_up],
        popular_views=popular_views,
        next_cursor=next_cursor,
        page=page,
        feed_cursor=encode_cursor(feed_session, as_of, page, only),
        only=only,
        turned_off=only is not None and feed.profile.feed.turned_off(filter_kinds(only)),
    )
    recorded.feed_page(first=page == 1, planned=feed.planned, seconds=time.perf_counter() - started)
    return response


def _popular_fill(
    session: Session,
    feed: FeedPage,
    *,
    as_of: datetime,
    page: int,
    only: str | None,
) -> list[Ranked]:
    """A first page with less than half a page of cards about the shopper's interests
    (new interests with few cards, everything muted, none picked) is filled up to a page
    with popular cards, added to ``feed``'s cards; the page says so. A feed never ends
    empty while Plaza has cards to show it. The popular cards are weighed against the
    profile the page was ranked with."""
    page_size = current_app.config["FEED_PAGE_SIZE"]
    own = [*feed.caught_up, *feed.ranked]
    # A filter chip that leaves little says so and offers All instead (feed/_view.html).
    if only is not None or page != 1 or feed.has_more or len(own) >= max(page_size // 2, 1):
        return []
    snapshot = catalog().current(session, as_of)
    wanted = page_size - len(own)
    fill = popular_fill(
        snapshot,
        feed.profile,
        taxonomy(),
        as_of=as_of,
        now=as_of,
        skip={r.candidate.card_id for r in own},
        limit=wanted * 2,  # room for a card the snapshot could not know was gone
    )
    cards = shown_cards(session, [r.candidate.card_id for r in fill], as_of)
    kept = [r for r in fill if r.candidate.card_id in cards][:wanted]
    for r in kept:
        feed.cards[r.candidate.card_id] = cards[r.candidate.card_id]
        feed.interests[r.candidate.card_id] = list(r.candidate.interests)
    return kept


@bp.record_once
def _saved_tab_count(state: BlueprintSetupState) -> None:
    """The Saved tab's number, read with the top bar's others when a page draws it."""
    top_bar.register(state.app, "saved", saved_count_query)


@bp.get("/saved")
@login_required
def saved() -> ResponseReturnValue:
    """A compact list of saved cards, each with Remove. Without JavaScript, a removal
    comes back here with ``?removed=<card id>``, which offers to undo it."""
    session = db.session()
    now = datetime.now(UTC)
    cards = saved_cards(session, current_user.id, now)
    views = card_views(session, [(card, None) for card in cards], current_user.id)
    removed_id = parse_id(request.args.get("removed", ""))
    removed = None
    if removed_id is not None and all(card.id != removed_id for card in cards):
        removed = shown_cards(session, [removed_id], now).get(removed_id)
    return render_template("feed/saved.html", views=views, removed=removed)
