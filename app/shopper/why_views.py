""" "Why this card?": every reason a card is in the feed, with controls to change them.

The panel explains from the consumer's current profile (the same ``explain``
the ranker uses), and its controls change that profile: follow or unfollow a
topic, show less like this, hide the source. With JavaScript, the cards on
screen below the one asked about are then ranked again in place
(``POST /feed/rerank``); without it, the form returns to a fresh feed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from app import db
from app.models import EventKind
from app.ranking.candidates import load_profile
from app.shopper.card_actions import record_event
from app.shopper.display import card_or_404, card_views, reason_text, saved_titles
from app.shopper.interests import declared_states
from app.taxonomy_store import taxonomy
from app.web.htmx import back_url, card_anchor, fragment_or_back, render_page_or_fragment

bp = Blueprint("why", __name__, url_prefix="/cards")


@bp.get("/<id:card_id>/why")
@login_required
def why(card_id: int) -> ResponseReturnValue:
    card = card_or_404(card_id)
    session = db.session()
    tax = taxonomy()
    profile = load_profile(session, current_user.id, taxonomy=tax, now=datetime.now(UTC))
    (view,) = card_views(session, [(card, None)], current_user.id, profile=profile)
    source = view.organization_name or "this source"
    titles = saved_titles(session, view.reasons)
    texts = list(
        dict.fromkeys(
            reason_text(r, tax, source, card.payload.get("sponsor"), titles) for r in view.reasons
        )
    ) or [f"From {source}"]
    topics = [tax.get(s) for s in sorted(view.topics, key=lambda s: -s.count("/")) if s in tax][:3]
    return render_page_or_fragment(
        "cards/why_page.html",
        "cards/_why.html",
        card=card,
        view=view,
        reasons=texts,
        topics=topics,
        states=declared_states(profile),
        provider=view.provider,
        # Without JavaScript the panel is a page: Close leads back to the card it explains.
        close_url=back_url(anchor=card_anchor(card.id)),
    )


@bp.post("/<id:card_id>/less")
@login_required
def show_less(card_id: int) -> ResponseReturnValue:
    """Turn the card's topics, kind and source down a notch, and say so."""
    card = card_or_404(card_id)
    session = db.session()
    record_event(session, current_user.id, card, EventKind.SHOW_LESS)
    session.commit()
    return fragment_or_back(
        lambda: render_template("cards/_less.html", card=card), anchor=card_anchor(card.id)
    )
