"""What consumers do to cards: open, save, dismiss (with undo), not interested,
hide a provider, follow or unfollow its organisation, answer a survey.

Every action is a POST (CSRF-checked) that records an event and changes the
consumer's own state only; state lives per (consumer, card), so no one can act
on another consumer's choices. htmx requests get the card's replacement
fragment; without JavaScript the browser is sent back to the page it came from.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from werkzeug.exceptions import BadRequest

from app import db
from app.models import (
    Card,
    CardState,
    EventKind,
    InterestState,
    Organization,
    Provider,
    ProviderBlock,
    SurveyAnswer,
    stored_id,
)
from app.shopper.card_actions import (
    answer_tally,
    has_answered,
    record_event,
    set_mark,
    was_shown,
)
from app.shopper.display import card_or_404, card_views, render_card
from app.shopper.follows import change_following
from app.shopper.interests import followed_within, mute_needs_confirming, set_interest_state
from app.taxonomy_store import taxonomy
from app.web.htmx import (
    card_anchor,
    fragment_or_back,
    is_htmx,
    redirect_back,
    render_page_or_fragment,
)
from cards.errors import ActionError
from cards.registry import UnknownKind, get_kind

bp = Blueprint("cards", __name__, url_prefix="/cards")

YOUTUBE_EMBED = "https://www.youtube-nocookie.com/embed/"


@bp.get("/<id:card_id>/open")
def open_card(card_id: int) -> ResponseReturnValue:
    """Tracked click-through: count the open, then go to the retailer's page.

    Only a shopper's tap on one of Plaza's own pages counts: another site could link
    here (or load it in an image) to add opens to a card, so a request the browser says
    came from elsewhere goes to the retailer uncounted. A signed-out visitor (a shared
    link, a search engine) is not sent on at all: Plaza's address would lend its name to
    whatever the card links to, so they get the sign-in page, which comes back here.
    """
    card = card_or_404(card_id)
    if not card.url:
        abort(404, description="This card has no page to open.")
    if not current_user.is_authenticated:
        here = url_for("cards.open_card", card_id=card.id)
        return redirect(url_for("auth.login", next=here), code=303)
    if from_plaza_page():
        session = db.session()
        record_event(session, current_user.id, card, EventKind.OPEN)
        session.commit()
    return redirect(card.url, code=303)


def from_plaza_page() -> bool:
    """Whether the browser says this navigation started on one of Plaza's pages.

    ``Sec-Fetch-Site`` cannot be set by a page; every current browser sends it. A
    browser too old to send it is believed when its ``Referer`` is a Plaza page.
    """
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    referrer = urlsplit(request.referrer or "")
    return referrer.scheme == request.scheme and referrer.netloc == request.host


@bp.get("/<id:card_id>/player")
@login_required
def player(card_id: int) -> str:
    """The video player, loaded only when the consumer taps the thumbnail."""
    card = card_or_404(card_id)
    embed = str(card.payload.get("embed_url") or "")
    if not embed.startswith(YOUTUBE_EMBED):
        abort(404, description="This card has no video to play.")
    session = db.session()
    record_event(session, current_user.id, card, EventKind.OPEN, via="player")
    session.commit()
    return render_template("cards/_player.html", card=card)


def _mark(card_id: int, field: str, on: bool, event: EventKind) -> Card:
    """Set or clear one of the consumer's marks on a card; repeating it changes nothing."""
    card = card_or_404(card_id)
    session = db.session()
    set_mark(session, current_user.id, card, field, on, event, datetime.now(UTC))
    session.commit()
    return card


@bp.post("/<id:card_id>/save")
@login_required
def save(card_id: int) -> ResponseReturnValue:
    """Save a card, and say so with a way to Saved. From the Saved list (its Undo), the
    card's row comes back instead."""
    card = _mark(card_id, "saved_at", True, EventKind.SAVE)
    if _from_saved_list():
        return fragment_or_back(
            lambda: _saved_row(card) + _saved_count(), anchor=f"saved-{card.id}"
        )
    if not is_htmx():
        flash("Saved", "saved")
    return fragment_or_back(
        lambda: render_card(card) + render_template("feed/_saved_toast.html"),
        anchor=card_anchor(card.id),
    )


@bp.post("/<id:card_id>/unsave")
@login_required
def unsave(card_id: int) -> ResponseReturnValue:
    """Take a card out of Saved. From the Saved list (its Remove), the row becomes a note
    with Undo; without JavaScript the list itself offers the undo."""
    card = _mark(card_id, "saved_at", False, EventKind.UNSAVE)
    if _from_saved_list():
        if not is_htmx():
            return redirect(url_for("feed.saved", removed=card.id), code=303)
        return render_template("feed/_saved_removed.html", card=card) + _saved_count()
    return fragment_or_back(lambda: render_card(card) + _saved_count(), anchor=card_anchor(card.id))


def _from_saved_list() -> bool:
    return request.form.get("from") == "saved"


def _saved_row(card: Card) -> str:
    (view,) = card_views(db.session(), [(card, None)], current_user.id)
    return render_template("feed/_saved_item.html", view=view)


def _saved_count() -> str:
    """The Saved tab's count, out of band, beside an action's own fragment."""
    return render_template("feed/_saved_count.html", oob=True)


@bp.post("/<id:card_id>/dismiss")
@login_required
def dismiss(card_id: int) -> ResponseReturnValue:
    card = _mark(card_id, "dismissed_at", True, EventKind.DISMISS)
    return fragment_or_back(
        lambda: render_template(
            "cards/_undo.html",
            card=card,
            message="Card dismissed.",
            undo_url=url_for("cards.undismiss", card_id=card.id),
        ),
        anchor=card_anchor(card.id),
    )


@bp.post("/<id:card_id>/undismiss")
@login_required
def undismiss(card_id: int) -> ResponseReturnValue:
    card = card_or_404(card_id)
    session = db.session()
    state = session.get(CardState, (current_user.id, card.id))
    if state is None or state.dismissed_at is None:
        abort(409, description="There is nothing to undo for this card.")
    state.dismissed_at = None
    record_event(session, current_user.id, card, EventKind.UNDISMISS)
    session.commit()
    return fragment_or_back(lambda: render_card(card), anchor=card_anchor(card.id))


@bp.post("/<id:card_id>/not-interested")
@login_required
def not_interested(card_id: int) -> ResponseReturnValue:
    """Mute one of the card's interests: no card about it comes back, on any page.

    When that would silence an interest the shopper follows, or a whole top-level
    interest, it asks first (a small confirmation in place of the card; without
    JavaScript, a page); Confirm posts again with ``confirm=yes``, Cancel with
    ``cancel=yes`` puts the card back. Otherwise it is one tap, with Undo."""
    card = card_or_404(card_id)
    slug = request.form.get("interest", "")
    if slug not in taxonomy():
        raise BadRequest("Choose one of the card's topics.")
    if request.form.get("cancel") == "yes":
        return fragment_or_back(lambda: render_card(card))
    session = db.session()
    followed = followed_within(session, current_user.id, slug)
    if request.form.get("confirm") != "yes" and mute_needs_confirming(slug, followed):
        return render_page_or_fragment(
            "cards/confirm_mute_page.html",
            "cards/_confirm_mute.html",
            card=card,
            slug=slug,
            question=mute_question(slug, followed),
            next=request.form.get("next") or request.referrer or "",
        )
    set_interest_state(session, current_user.id, slug, InterestState.MUTE)
    record_event(session, current_user.id, card, EventKind.NOT_INTERESTED, interest=slug)
    session.commit()
    # Undo gives back what the mute took: following the interest, when it was followed.
    refollow = "yes" if slug in followed else None  # url_for leaves out None
    return fragment_or_back(
        lambda: render_template(
            "cards/_undo.html",
            card=card,
            message=f"You won't see cards about {taxonomy().name(slug)}.",
            undo_url=url_for("interests.unmute", slug=slug, card_id=card.id, refollow=refollow),
            muted_interest=slug,
        ),
        anchor=card_anchor(card.id),
    )


def mute_question(slug: str, followed: list[str]) -> str:
    """What the confirmation asks, naming what the shopper would stop seeing:
    "Mute all of Apparel? You follow Running shoes, which is in it." """
    tax = taxonomy()
    name = tax.name(slug)
    inside = [tax.name(s) for s in followed if s != slug]
    if slug in followed:
        return f"Stop following {name} and mute it? You won't see cards about {name}."
    ask = f"Mute all of {name}?" if "/" not in slug or inside else f"Mute {name}?"
    if not inside:
        return f"{ask} You won't see cards about anything in it."
    shown = inside[:3] + ([f"{len(inside) - 3} more"] if len(inside) > 3 else [])
    listed = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]
    verb = "is" if len(inside) == 1 else "are"
    return f"{ask} You follow {listed}, which {verb} in it."


@bp.post("/<id:card_id>/hide-provider")
@login_required
def hide_provider(card_id: int) -> ResponseReturnValue:
    card = card_or_404(card_id)
    session = db.session()
    provider = session.get(Provider, card.provider_id)
    if session.get(ProviderBlock, (current_user.id, card.provider_id)) is None:
        session.add(ProviderBlock(user_id=current_user.id, provider_id=card.provider_id))
        record_event(session, current_user.id, card, EventKind.HIDE_PROVIDER)
    session.commit()
    return fragment_or_back(
        lambda: render_template(
            "cards/_undo.html",
            card=card,
            message=f"You won't see cards from {provider.name if provider else 'this source'}.",
            undo_url=url_for("cards.unhide_provider", card_id=card.id),
            hidden_provider=card.provider_id,
        ),
        anchor=card_anchor(card.id),
    )


@bp.post("/<id:card_id>/unhide-provider")
@login_required
def unhide_provider(card_id: int) -> ResponseReturnValue:
    card = card_or_404(card_id)
    session = db.session()
    block = session.get(ProviderBlock, (current_user.id, card.provider_id))
    if block is None:
        abort(409, description="This source is not hidden.")
    session.delete(block)
    session.commit()
    return fragment_or_back(lambda: render_card(card), anchor=card_anchor(card.id))


def _follow_partner(card_id: int, *, wanted: bool) -> ResponseReturnValue:
    """Follow or unfollow the card's organisation: its cards rank higher, or no longer."""
    card = card_or_404(card_id)
    session = db.session()
    provider = session.get(Provider, card.provider_id)
    organization = session.get(Organization, provider.organization_id) if provider else None
    if organization is None:
        abort(404, description="This card does not exist or was removed.")
    change_following(current_user.id, organization, wanted=wanted)
    return fragment_or_back(lambda: render_card(card), anchor=card_anchor(card.id))


@bp.post("/<id:card_id>/follow-partner")
@login_required
def follow_partner(card_id: int) -> ResponseReturnValue:
    """The card menu's "Follow <organisation>"."""
    return _follow_partner(card_id, wanted=True)


@bp.post("/<id:card_id>/unfollow-partner")
@login_required
def unfollow_partner(card_id: int) -> ResponseReturnValue:
    return _follow_partner(card_id, wanted=False)


@bp.post("/<id:card_id>/answer")
@login_required
def answer(card_id: int) -> ResponseReturnValue:
    """Store a survey answer once; answering again is refused, never double counted."""
    card = card_or_404(card_id)
    try:
        kind = get_kind(card.kind)
    except UnknownKind:
        abort(404, description="This card cannot be answered.")
    session = db.session()
    if not was_shown(session, current_user.id, card):
        # Survey stuffing: an answer counts only from a shopper the question was served to
        # (which also means one who finished onboarding), while it runs (card_or_404).
        abort(404, description="This question was not asked of you.")
    if has_answered(session, current_user.id, card):
        abort(409, description="You already answered this question.")
    form = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
    try:
        stored = kind.handle_action(card.payload, "answer", form)
    except ActionError as exc:
        return _answer_error(card, exc.message)
    session.add(SurveyAnswer(user_id=current_user.id, card_id=stored_id(card), answer=stored))
    record_event(session, current_user.id, card, EventKind.ANSWER)
    session.commit()
    return fragment_or_back(
        lambda: render_template(
            "cards/_survey_result.html",
            card=card,
            results=answer_tally(session, card, current_user.id),
        ),
        anchor=card_anchor(card.id),
    )


def _answer_error(card: Card, message: str) -> ResponseReturnValue:
    if not is_htmx():
        flash(message, "error")
        return redirect_back(anchor=card_anchor(card.id))
    session = db.session()
    (view,) = card_views(session, [(card, None)], current_user.id)
    view.extra["error"] = message
    return render_template("cards/_one.html", view=view), 422
