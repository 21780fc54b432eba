""" "Why this card?": every reason a card is in the feed, with controls to change them.

The panel explains from the consumer's current profile (the same ``explain``
the ranker uses), and its controls change that profile: follow or unfollow a
topic, show less like this, hide the source. With JavaScript, the cards on
screen below the one asked about are then ranked again in place
(``POST /feed/rerank``); without it, the form returns to a fresh feed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, render_template
from flask_login import current_user, login_required
from sqlmodel import select

from app import db
from app.models import CardInterest, EventKind, Organization, Provider
from app.ranking.candidates import as_candidate, load_profile
from app.ranking.rank import explain
from app.shopper.card_actions import record_event
from app.shopper.display import card_or_404, card_views, reason_text
from app.shopper.interests import interest_states
from app.taxonomy_store import taxonomy
from app.web.htmx import fragment_or_back, render_page_or_fragment

bp = Blueprint("why", __name__, url_prefix="/cards")


@bp.get("/<int:card_id>/why")
@login_required
def why(card_id: int) -> Response:
    card = card_or_404(card_id)
    session = db.session()
    tax = taxonomy()
    slugs = session.exec(select(CardInterest.slug).where(CardInterest.card_id == card.id)).all()
    profile = load_profile(session, current_user.id, taxonomy=tax, now=datetime.now(UTC))
    provider = session.get(Provider, card.provider_id)
    organization = session.get(Organization, provider.organization_id) if provider else None
    source = organization.name if organization else "this source"
    reasons = explain(profile, as_candidate(card, slugs), tax, datetime.now(UTC))
    texts = list(
        dict.fromkeys(reason_text(r, tax, source, card.payload.get("sponsor")) for r in reasons)
    ) or [f"From {source}"]
    topics = [tax.get(s) for s in sorted(slugs, key=lambda s: -s.count("/")) if s in tax][:3]
    (view,) = card_views(session, [(card, None)], current_user.id)
    return render_page_or_fragment(
        "cards/why_page.html",
        "cards/_why.html",
        card=card,
        view=view,
        reasons=texts,
        topics=topics,
        states=interest_states(session, current_user.id),
        provider=provider,
    )


@bp.post("/<int:card_id>/less")
@login_required
def show_less(card_id: int) -> Response | str:
    """Turn the card's topics, kind and source down a notch, and say so."""
    card = card_or_404(card_id)
    session = db.session()
    record_event(session, current_user.id, card, EventKind.SHOW_LESS)
    session.commit()
    return fragment_or_back(lambda: render_template("cards/_less.html", card=card))
