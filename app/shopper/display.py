"""Turn stored cards and ranking reasons into what templates show: a :class:`CardView`
per card, assembled for a whole page in a few queries, not one per card."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import cast

from cachetools import LRUCache
from flask import abort, current_app, render_template
from flask_login import current_user
from jinja2 import TemplateNotFound
from markupsafe import Markup, escape
from sqlmodel import Session, col, select

from app import db
from app.models import Card, CardState, Organization, Provider
from app.ranking.candidates import as_candidate, load_profile, shown_cards
from app.ranking.catalog import interests_of
from app.ranking.rank import Profile, Reason, explain
from app.shopper.badges import Badge, Stock, card_badges, stock_state
from app.shopper.feed_settings import asked_reason
from app.shopper.follows import followed_among
from app.taxonomy_store import taxonomy
from cards.registry import UnknownKind, get_kind
from cards.taxonomy import Taxonomy

MAX_INTEREST_CHOICES = 3


@dataclass
class CardView:
    card: Card
    provider: Provider
    organization_name: str
    reason: str
    interests: list[tuple[str, str]]  # (slug, name) the consumer can say "not interested" to
    saved: bool = False
    organization_slug: str = ""  # its page is /o/<slug>
    following: bool = False  # the shopper follows the card's organisation
    actions: bool = True  # a signed-out visitor reads the card, with nothing to act on
    extra: dict[str, object] = field(default_factory=dict)
    reasons: tuple[Reason, ...] = ()  # every reason, best first ("Why?" lists them)
    topics: list[str] = field(default_factory=list)  # every interest the card is about
    badges: tuple[Badge, ...] = ()  # what the card claims now ("-20%", "New"), strongest first
    stock: Stock | None = None  # a product's availability, when its feed gave it

    @property
    def template(self) -> str:
        return card_template(self.card.kind)


REASON_TITLE_MAX = 48  # characters of a saved card's title a reason quotes


def reason_text(
    reason: Reason | None,
    taxonomy: Taxonomy,
    source: str,
    sponsor: str | None = None,
    titles: Mapping[int, str] | None = None,
) -> str:
    """A reason as one short English sentence that claims only what happened: interests
    by their names (never a slug), counts as they are ("You saved 3 cards about Audio"),
    and a single saved card by its title (``titles``: card id -> title, from
    :func:`saved_titles`)."""
    if reason is None:
        # No longer matches the consumer's interests (a saved card, say): say where it is from.
        return f"From {source}"
    if asked := asked_reason(reason.code):  # a feed setting moved the card
        return asked
    interest = taxonomy.get(reason.interest) if reason.interest else None
    name = interest.name if interest else ""
    if reason.code == "sponsored":
        by = f"Sponsored by {sponsor}" if sponsor else "Sponsored"
        return f"{by}, shown to people interested in {name}" if name else by
    if reason.code in ("saved_similar", "opened_similar"):
        return _learned_text(reason, name, (titles or {}).get(reason.card_id or 0))
    texts = {
        "related": f"Related to {name}, which you follow" if name else f"From {source}",
        "liked_source": f"You often open cards from {source}",
        "followed_partner": f"Because you follow {source}",
        "popular": "Popular with shoppers like you",
        "explore": "Something new for you",
        "price_drop": "Price dropped",
        "new": "New",
    }
    return texts.get(reason.code, f"Because you follow {name}" if name else f"From {source}")


def _learned_text(reason: Reason, name: str, title: str | None) -> str:
    """What the shopper did, counted, so the words never claim more: "Similar to the
    Trail Runner 2 you saved", "You saved 3 cards about Audio", "You opened 4 cards
    about Hiking"."""
    saved = reason.code == "saved_similar"
    did = "saved" if saved else "opened"
    if reason.count >= 2 and name:
        return f"You {did} {reason.count} cards about {name}"
    if saved and reason.count == 1 and title:
        if len(title) > REASON_TITLE_MAX:
            title = title[:REASON_TITLE_MAX].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
        article = "" if title.split(" ", 1)[0].lower() in ("the", "a", "an") else "the "
        return f"Similar to {article}{title} you {did}"
    if reason.count == 1:
        return f"Similar to a card you {did}"
    return f"Similar to cards you {did}"


def saved_titles(db: Session, reasons: Iterable[Reason]) -> dict[int, str]:
    """The titles of the saved cards ``reasons`` name, in one query."""
    ids = {r.card_id for r in reasons if r.card_id is not None}
    if not ids:
        return {}
    rows = db.exec(select(Card.id, Card.title).where(col(Card.id).in_(ids))).all()
    return {card_id: title for card_id, title in rows if card_id is not None}


FRAME_CACHE_SIZE = 5_000  # cards' frames kept per process: about 20 MB of HTML
# Stand-ins for the two parts of a shared frame that differ per response. HTML comments:
# Plaza's escaping turns anything a card or a shopper wrote into text that cannot match.
REASON_SLOT = Markup("<!--plaza:card-reason-->")
CSRF_SLOT = Markup("<!--plaza:csrf-token-->")


class CardFrames:
    """Each card as it is shown (``cards/_frame.html``: the kind's content and the
    actions around it), rendered once a minute per card and shared by every shopper it
    is shown to. A feed page of twenty cards used to render twenty frames and twenty
    kind templates, about a quarter of the page's time, most of them rendered moments
    before for someone else.

    What differs per shopper is in the key (saved or not, its organisation followed or
    not, a signed-out visitor's card without actions) or put in afterwards: the reason,
    and the response's CSRF token (masked afresh per response, see
    :mod:`app.web.csrf`), by replacing two stand-ins. The minute is in the key because
    a template may say how long ago something happened; the card's ``updated_at``,
    because a refresh may change what it shows; its badges, because "New" and "Price
    dropped" end at a time of their own. Kinds whose ``shared_template`` is
    false (a survey shows the shopper's own answer), and views with a message of their
    own, are rendered for each shopper."""

    def __init__(self, size: int = FRAME_CACHE_SIZE) -> None:
        self._cache: LRUCache[tuple[object, ...], str] = LRUCache(maxsize=size)
        self._lock = threading.Lock()  # LRUCache is not safe across request threads

    def html(self, view: CardView, csrf: str, now: datetime) -> Markup:
        card = view.card
        if view.extra or not shares_template(card.kind):
            return self._render(view, reason=view.reason, csrf=csrf)
        key = (
            card.id,
            card.updated_at,
            int(now.timestamp() // 60),
            view.saved,
            view.following,
            view.actions,
            view.organization_name,
            view.provider.name,
            tuple(view.interests),
            view.badges,
        )
        with self._lock:
            shared = self._cache.get(key)
        if shared is None:
            shared = str(self._render(view, reason=REASON_SLOT, csrf=CSRF_SLOT))
            with self._lock:
                self._cache[key] = shared
        own = shared.replace(REASON_SLOT, escape(view.reason)).replace(CSRF_SLOT, escape(csrf))
        return Markup(own)  # noqa: S704 -- Plaza's template, and the two parts escaped

    @staticmethod
    def _render(view: CardView, *, reason: str, csrf: str) -> Markup:
        card = view.card
        html = render_template("cards/_frame.html", view=view, card=card, reason=reason,
                               csrf=csrf)  # fmt: skip
        return Markup(html)  # noqa: S704 -- a template Plaza rendered, autoescaped


def card_frames() -> CardFrames:
    """This app's cache of card frames."""
    return cast(CardFrames, current_app.extensions.setdefault("plaza.card_frames", CardFrames()))


def shares_template(kind: str) -> bool:
    try:
        return get_kind(kind).shared_template
    except UnknownKind:
        return False


def card_template(kind: str) -> str:
    """The kind's own template, or the default one when it has none."""
    try:
        name = get_kind(kind).template()
        current_app.jinja_env.get_template(name)
    except (UnknownKind, TemplateNotFound):
        return "cards/_default.html"
    return name


def card_views(
    db: Session,
    items: Sequence[tuple[Card, Sequence[Reason] | None]],
    user_id: int | None,
    *,
    interests: Mapping[int, Sequence[str]] | None = None,
    profile: Profile | None = None,
    now: datetime | None = None,
) -> list[CardView]:
    """A view of each card for ``user_id``, or for a signed-out visitor when None (no
    marks, no reasons but the card's source, no actions). A card given without its
    reasons is explained from ``profile`` (loaded once for all of them when not given);
    ``interests``, when the caller has read them already (a feed page), spare reading the
    cards' interests again. ``now`` (the caller's clock, the time now when not given)
    decides what the cards' badges still claim."""
    cards = [card for card, _ in items]
    card_ids = [c.id for c in cards]
    provider_ids = {c.provider_id for c in cards}
    providers = {
        p.id: p for p in db.exec(select(Provider).where(col(Provider.id).in_(provider_ids)))
    }
    org_ids = {p.organization_id for p in providers.values()}
    orgs = {o.id: o for o in db.exec(select(Organization).where(col(Organization.id).in_(org_ids)))}
    saved: set[int | None] = set()
    following: set[int] = set()
    if user_id is None:
        profile = Profile()
    else:
        saved.update(
            db.exec(
                select(CardState.card_id).where(
                    CardState.user_id == user_id,
                    col(CardState.card_id).in_(card_ids),
                    col(CardState.saved_at).is_not(None),
                )
            ).all()
        )
        following = followed_among(db, user_id, org_ids)
    slugs: Mapping[int, Sequence[str]] = (
        interests if interests is not None else interests_of(db, [c.id or 0 for c in cards])
    )
    tax = taxonomy()
    now = now or datetime.now(UTC)
    if profile is None and any(reasons is None for _, reasons in items):
        assert user_id is not None  # a signed-out visitor's profile is the empty one
        profile = load_profile(db, user_id, taxonomy=tax, now=now)
    explained = []
    for card, given in items:
        topics = list(slugs.get(card.id or 0, ()))
        if given is not None:
            reasons = tuple(given)
        else:
            assert profile is not None
            reasons = explain(profile, as_candidate(card, topics), tax, now)
        explained.append((card, topics, reasons))
    titles = saved_titles(db, (reason for *_, reasons in explained for reason in reasons[:1]))
    views = []
    for card, topics, reasons in explained:
        provider = providers[card.provider_id]
        primary = reasons[0] if reasons else None
        # The card's own interests, most specific first, the same for every shopper (so
        # the card's frame is shared): "not interested in trail shoes" rather than an
        # offer to mute all of a broad interest the shopper follows.
        choices = sorted(topics, key=lambda s: -s.count("/"))
        unique = list(dict.fromkeys(s for s in choices if s in tax))[:MAX_INTEREST_CHOICES]
        organization = orgs.get(provider.organization_id)
        name = organization.name if organization else ""
        views.append(
            CardView(
                card=card,
                provider=provider,
                organization_name=name,
                reason=reason_text(primary, tax, name, card.payload.get("sponsor"), titles),
                interests=[(slug, tax.name(slug)) for slug in unique],
                saved=card.id in saved,
                organization_slug=organization.slug if organization else "",
                following=provider.organization_id in following,
                actions=user_id is not None,
                reasons=reasons,
                topics=topics,
                badges=card_badges(card, now),
                stock=stock_state(card.payload or {}),
            )
        )
    return views


def card_or_404(card_id: int, now: datetime | None = None) -> Card:
    """The card, when the feed could show it now; anything else is a 404, the same for a
    card that never existed, was removed, has not started, has ended, or whose provider is
    suspended (ids are sequential: a different answer would tell what is scheduled)."""
    card = shown_cards(db.session(), [card_id], now or datetime.now(UTC)).get(card_id)
    if card is None:
        abort(404, description="This card does not exist or was removed.")
    return card


def render_card(card: Card) -> str:
    """One card as the current consumer sees it now (after an action)."""
    (view,) = card_views(db.session(), [(card, None)], current_user.id)
    return render_template("cards/_one.html", view=view)
