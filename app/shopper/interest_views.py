"""Choosing interests: onboarding before the first feed, and /interests later.

Every chip is a small form, so following works without JavaScript; with htmx
the chip swaps itself in place. Search-as-you-type asks ``/interests/search``.
Onboarding offers the top-level interests that have cards, each pictured by one and
with its number of cards (from the feed's catalog snapshot, never a count of the card
table), and counts the shopper's picks towards :data:`MIN_PICKS`.
Browsing lists the top-level interests with the shopper's counts; one's
interests come from ``/interests/browse/<slug>`` when it is opened (a fragment
for htmx, a page of their own without JavaScript), so a page never carries all
the taxonomy's chips.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import col, select

from app import db
from app.catalog_store import catalog
from app.models import Card, InterestState
from app.ranking.overview import TopicCount, TopicCounts, topic_counts
from app.shopper.display import card_or_404, render_card
from app.shopper.follows import followed_organizations
from app.shopper.interests import clear_interest, interest_states, set_interest_state
from app.taxonomy_store import taxonomy
from app.web.converters import parse_id
from app.web.htmx import card_anchor, fragment_or_back, is_htmx, render_page_or_fragment
from cards.taxonomy import Interest

bp = Blueprint("interests", __name__)

SUGGESTED = (
    "sports/running",
    "shoes/athletic-shoes/running-shoes",
    "apparel/activewear",
    "sports/hiking",
    "sports/camping",
    "home/kitchen",
    "lifestyle/cooking",
    "electronics/audio",
    "beauty/skincare",
    "garden/gardening",
    "home/decor",
    "lifestyle/travel",
)


def _known_slug(slug: str) -> str:
    if slug not in taxonomy():
        abort(404, description="There is no such interest.")
    return slug


def _chip(interest: Interest, states: dict[str, str]) -> str:
    return render_template(
        "interests/_chip.html", interest=interest, state=states.get(interest.slug)
    )


def _top_level() -> list[Interest]:
    tax = taxonomy()
    return [i for i in (tax.get(slug) for slug in tax.children(None)) if i is not None]


def branch_counts(states: dict[str, str]) -> dict[str, tuple[int, int]]:
    """For each top-level interest, how many interests in it are followed and muted."""
    counts: dict[str, tuple[int, int]] = {}
    tax = taxonomy()
    for slug, state in states.items():
        if slug not in tax:
            continue
        top = slug.partition("/")[0]
        followed, muted = counts.get(top, (0, 0))
        if state == InterestState.FOLLOW:
            counts[top] = (followed + 1, muted)
        elif state == InterestState.MUTE:
            counts[top] = (followed, muted + 1)
    return counts


def suggestions() -> list[Interest]:
    tax = taxonomy()
    picks = [tax.get(slug) for slug in SUGGESTED]
    found = [i for i in picks if i is not None]
    return found or [i for i in (tax.get(s) for s in tax.children(None)) if i][:10]


MIN_PICKS = 3  # interests onboarding asks for: enough for a feed with some variety


@dataclass(frozen=True)
class Topic:
    """A top-level interest as onboarding offers it: its cards now, and a picture of one."""

    interest: Interest
    count: TopicCount
    image_url: str | None


def _counts() -> TopicCounts:
    """Every interest's current cards, from the feed's catalog snapshot (worked out once
    per snapshot: no request counts the card table)."""
    snapshot = catalog().current(db.session(), datetime.now(UTC))
    return topic_counts(snapshot, taxonomy(), catalog().depth)


def _topics(counts: TopicCounts) -> list[Topic]:
    """The top-level interests, those with cards first (the most first), each pictured by
    its newest current card that has an image: one read of at most a few cards each."""
    tops = _top_level()
    wanted = [card_id for top in tops for card_id in counts[top.slug].newest]
    images: dict[int, str] = {}
    if wanted:
        rows = db.session().exec(
            select(Card.id, Card.image_url).where(
                col(Card.id).in_(wanted),
                col(Card.image_url).is_not(None),
                col(Card.removed_at).is_(None),
            )
        )
        images = {card_id: url for card_id, url in rows if card_id is not None and url}
    topics = [
        Topic(
            top,
            counts[top.slug],
            next((images[i] for i in counts[top.slug].newest if i in images), None),
        )
        for top in tops
    ]
    return sorted(topics, key=lambda t: (t.count.cards == 0, -t.count.cards, t.interest.name))


def _picked(states: dict[str, str]) -> int:
    return sum(state == InterestState.FOLLOW for state in states.values())


@bp.get("/onboarding")
@login_required
def onboarding() -> ResponseReturnValue:
    """Top-level topics with a picture and their number of cards (those without cards
    are shown as such, not offered), a search that stays here (``?q=`` without
    JavaScript), and a counter towards :data:`MIN_PICKS`."""
    states = interest_states(db.session(), current_user.id)
    query = request.args.get("q", "")[:100]
    counts = _counts()
    topics = _topics(counts)
    return render_template(
        "interests/onboarding.html",
        topics=topics,
        nothing_yet=not any(topic.count.cards for topic in topics),
        counts=counts,
        results=taxonomy().search(query) if query.strip() else [],
        query=query,
        states=states,
        picked=_picked(states),
        min_picks=MIN_PICKS,
        onboarding=True,
    )


@bp.post("/onboarding")
@login_required
def finish_onboarding() -> ResponseReturnValue:
    states = interest_states(db.session(), current_user.id)
    counts = _counts()
    nothing_yet = not any(counts[top.slug].cards for top in _top_level())
    if not nothing_yet and not any(state == InterestState.FOLLOW for state in states.values()):
        # (While Plaza has no cards at all there is nothing to pick: the shopper goes on.)
        flash("Pick at least one interest so we can fill your feed.", "error")
        return redirect(url_for("interests.onboarding"), code=303)
    current_user.onboarded_at = datetime.now(UTC)
    session = db.session()
    session.add(current_user)
    session.commit()
    return redirect(url_for("feed.home"), code=303)


@bp.get("/interests")
@login_required
def manage() -> ResponseReturnValue:
    states = interest_states(db.session(), current_user.id)
    tax = taxonomy()
    return render_template(
        "interests/manage.html",
        states=states,
        followed=sorted(
            (tax.get(s) for s, st in states.items() if st == "follow" and s in tax),
            key=lambda i: i.name,
        ),
        muted=sorted(
            (tax.get(s) for s, st in states.items() if st == "mute" and s in tax),
            key=lambda i: i.name,
        ),
        top_level=_top_level(),
        branch_counts=branch_counts(states),
        partners=[org for org, _ in followed_organizations(db.session(), current_user.id)],
    )


@bp.get("/interests/browse/<path:slug>")
@login_required
def branch(slug: str) -> ResponseReturnValue:
    """A top-level interest and everything inside it: the chips a browse section shows
    when opened, or the same as a page without JavaScript."""
    tax = taxonomy()
    top = tax.get(_known_slug(slug))
    if top is None or top.parent is not None:
        abort(404, description="There is no such interest category.")
    return render_page_or_fragment(
        "interests/branch_page.html",
        "interests/_branch.html",
        top=top,
        states=interest_states(db.session(), current_user.id),
        taxonomy=tax,
    )


@bp.get("/interests/search")
@login_required
def search() -> ResponseReturnValue:
    """Interests matching ``q``; from onboarding (``onboarding=1``), with their cards'
    counts, and the onboarding page itself when JavaScript is off."""
    query = request.args.get("q", "")[:100]
    if request.args.get("onboarding") and not is_htmx():
        return redirect(url_for("interests.onboarding", q=query or None))
    states = interest_states(db.session(), current_user.id)
    results = taxonomy().search(query) if query.strip() else suggestions()
    extra: dict[str, Any] = {}
    if request.args.get("onboarding"):
        extra = {"counts": _counts(), "onboarding": True}
        results = results if query.strip() else []
    return render_page_or_fragment(
        "interests/search_page.html",
        "interests/_results.html",
        results=results,
        states=states,
        query=query,
        **extra,
    )


def _change(slug: str, action: str) -> ResponseReturnValue:
    slug = _known_slug(slug)
    session = db.session()
    if action == "follow":
        set_interest_state(session, current_user.id, slug, InterestState.FOLLOW)
    elif action == "mute":
        set_interest_state(session, current_user.id, slug, InterestState.MUTE)
    else:
        clear_interest(session, current_user.id, slug)
    session.commit()
    interest = taxonomy().get(slug)
    assert interest is not None
    shape = request.form.get("onboarding")
    if shape in ("topic", "chip"):
        return fragment_or_back(lambda: _onboarding_choice(interest, shape))
    return fragment_or_back(lambda: _chip(interest, interest_states(session, current_user.id)))


def _onboarding_choice(interest: Interest, shape: str) -> str:
    """An onboarding topic or chip after a tap, and the counter of picks out of band."""
    states = interest_states(db.session(), current_user.id)
    counts = _counts()
    context: dict[str, Any] = {"states": states, "counts": counts, "onboarding": True}
    if shape == "topic":
        (topic,) = [t for t in _topics(counts) if t.interest.slug == interest.slug] or [
            Topic(interest, counts[interest.slug], None)
        ]
        choice = render_template("interests/_topic.html", topic=topic, **context)
    else:
        choice = render_template(
            "interests/_chip.html", interest=interest, state=states.get(interest.slug), **context
        )
    picks = render_template(
        "interests/_picks.html", picked=_picked(states), min_picks=MIN_PICKS, oob=True
    )
    return choice + picks


@bp.post("/interests/<path:slug>/follow")
@login_required
def follow(slug: str) -> ResponseReturnValue:
    return _change(slug, "follow")


@bp.post("/interests/<path:slug>/unfollow")
@login_required
def unfollow(slug: str) -> ResponseReturnValue:
    return _change(slug, "clear")


@bp.post("/interests/<path:slug>/mute")
@login_required
def mute(slug: str) -> ResponseReturnValue:
    return _change(slug, "mute")


@bp.post("/interests/<path:slug>/unmute")
@login_required
def unmute(slug: str) -> ResponseReturnValue:
    """Undo a mute; from a card's "not interested" note, bring the card back."""
    if "card_id" not in request.args:
        return _change(slug, "clear")
    card_id = parse_id(request.args["card_id"])
    if card_id is None:
        abort(404, description="This card does not exist or was removed.")
    _known_slug(slug)
    session = db.session()
    if request.args.get("refollow") == "yes":  # the mute had replaced following it
        set_interest_state(session, current_user.id, slug, InterestState.FOLLOW)
    else:
        clear_interest(session, current_user.id, slug)
    session.commit()
    return fragment_or_back(lambda: render_card(card_or_404(card_id)), anchor=card_anchor(card_id))
