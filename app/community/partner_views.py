"""An organisation's page at ``/o/<slug>``, and following it.

The page says who the partner is (the profile its members write in the portal), lists
its sources and its newest cards as the feed shows them, and leads to its questions
(``/o/<slug>/questions``: general ones, asked from there) and ideas board. Anyone may
read them, signed in or not, as anyone may be sent a link to them: a signed-out visitor
sees the cards without their actions, and "Follow" or "Ask" asks them to log in first,
as opening a card does. A suspended organisation has no page: a 404, the
same as for one that never existed.

Following is a POST (CSRF-checked) that works without JavaScript (back to the page it
came from) and, with htmx, swaps the button in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from sqlmodel import col, select

from app import db
from app.community import posting, threads
from app.models import Card, Organization, Provider, ProviderStatus
from app.partners.health import kind_label
from app.partners.orgs import organization_by_slug
from app.partners.profile import link_label
from app.ranking.candidates import shown_now
from app.ranking.catalog import scheduled_kinds
from app.shopper.display import card_views
from app.shopper.follows import change_following, followed_among, is_available
from app.web.htmx import fragment_or_back, render_page_or_fragment

bp = Blueprint("partners", __name__)

NEWEST_CARDS = 12
NOT_FOUND = "There is no such organisation on Plaza."


def organization_or_404(slug: str, *, available: bool = True) -> Organization:
    """The organisation ``slug`` names; with ``available``, only while not suspended."""
    organization = organization_by_slug(db.session(), slug)
    if organization is None or (available and not is_available(organization)):
        abort(404, description=NOT_FOUND)
    return organization


def _follows(organization: Organization) -> bool:
    if not current_user.is_authenticated:
        return False
    return bool(followed_among(db.session(), current_user.id, [organization.id or 0]))


@bp.get("/o/<slug>")
def page(slug: str) -> ResponseReturnValue:
    organization = organization_or_404(slug)
    session = db.session()
    now = datetime.now(UTC)
    providers = session.exec(
        select(Provider)
        .where(
            Provider.organization_id == organization.id,
            Provider.status != ProviderStatus.SUSPENDED,
        )
        .order_by(col(Provider.name), col(Provider.id))
    ).all()
    # Its catalogue as the feed may show it now; promotions and surveys run under the
    # feed's targeting and caps, so they reach shoppers only there.
    cards = session.exec(
        select(Card)
        .join(Provider, col(Provider.id) == col(Card.provider_id))
        .where(
            Provider.organization_id == organization.id,
            col(Card.kind).not_in(scheduled_kinds()),
            *shown_now(now),
        )
        .order_by(col(Card.published_at).desc(), col(Card.id).desc())
        .limit(NEWEST_CARDS)
    ).all()
    user_id = current_user.id if current_user.is_authenticated else None
    return render_template(
        "partners/page.html",
        organization=organization,
        links=[(link_label(url), url) for url in organization.social_links],
        sources=[(provider.name, kind_label(provider.kind)) for provider in providers],
        views=card_views(session, [(card, None) for card in cards], user_id),
        following=_follows(organization),
    )


def questions_context(organization: Organization, **extra: Any) -> dict[str, Any]:
    """What the organisation's questions page shows: its general questions (a held one to
    its author only, as on a card's thread) and the Ask form's state."""
    user_id = current_user.id if current_user.is_authenticated else None
    return {
        "organization": organization,
        "questions": threads.general(db.session(), organization, user_id),
        "ask_action": url_for("community.ask_organization", slug=organization.slug),
        "values": {"title": "", "body": ""},
        "error": None,
        "limits": posting,
        **extra,
    }


@bp.get("/o/<slug>/questions")
def questions(slug: str) -> ResponseReturnValue:
    """General questions to the organisation, readable signed out like its page; asking
    (:func:`app.community.views.ask_organization`) asks a visitor to log in first."""
    organization = organization_or_404(slug)
    return render_page_or_fragment(
        "community/org_questions.html",
        "community/_questions.html",
        **questions_context(organization),
    )


def _follow(slug: str, *, wanted: bool) -> ResponseReturnValue:
    """Follow or unfollow; a suspended organisation may be unfollowed (from the list of
    followed partners: it has no page), not followed."""
    organization = organization_or_404(slug, available=False)
    change_following(current_user.id, organization, wanted=wanted)
    return fragment_or_back(
        lambda: render_template(
            "partners/_follow.html", organization=organization, following=wanted
        )
    )


@bp.post("/o/<slug>/follow")
@login_required
def follow_organization(slug: str) -> ResponseReturnValue:
    return _follow(slug, wanted=True)


@bp.post("/o/<slug>/unfollow")
@login_required
def unfollow_organization(slug: str) -> ResponseReturnValue:
    return _follow(slug, wanted=False)
