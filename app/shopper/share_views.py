"""A card's own page at ``/c/<id>-<title's words>``: what a shopper's Share sends to
someone else. The words make the link readable where it is pasted; the id alone finds
the card too, and any other words after it are sent on to the canonical address.

The link must work for whoever receives it, signed in or not, and read well where it is
pasted: a chat app or a social site shows its Open Graph and Twitter card tags (title,
description, an absolute image URL and the canonical address). The card is shown only
while the feed may show it (:func:`app.shopper.display.card_or_404`): removed by staff,
ended, pruned, not yet started, or from a suspended provider or organisation, it is the
same friendly 404 as a card that never existed, so a shared link never outlives what
the feed's rules allow.

A signed-out visitor reads the card without actions and is invited to join; a card that
asks something (a survey) shows its question, and answering needs signing in. The link
to the shop goes there directly (``rel="noopener nofollow"``): a signed-out visitor is
never sent through Plaza's ``/open`` redirect, which asks them to log in first.

Signed out, the page is the same for everyone, so a shared cache may keep it a few
minutes (``Cache-Control: public``, ``Vary: Cookie``), and it carries nothing of a
session: no CSRF token, no cookie. Signed in, it is that shopper's (``no-store``, see
:mod:`app.web.security`), with the card's usual actions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin, urlsplit

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from app import db
from app.shopper.display import card_frames, card_or_404, card_views
from app.web.csrf import masked_csrf_token
from cards.registry import UnknownKind, get_kind
from cards.spec import Question

bp = Blueprint("share", __name__)

SLUG_CHARS = 60  # of a title in the address: enough to recognise it in a chat
NOT_WORD = re.compile(r"[^a-z0-9]+")
PUBLIC_MAX_AGE = 300  # seconds a shared cache may keep the signed-out page
DESCRIPTION_CHARS = 200  # link previews cut longer descriptions anyway
WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class Preview:
    """What a link preview shows (Open Graph and Twitter card tags)."""

    title: str
    description: str
    url: str
    image: str | None


def slug(title: str) -> str:
    """``title`` as words in an address ("cafe-creme-mug"): only ASCII letters and
    digits, so it is the same in every browser and needs no escaping; empty for a title
    with none."""
    ascii_ = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = NOT_WORD.sub("-", ascii_.lower()).strip("-")
    if len(words) <= SLUG_CHARS:
        return words
    cut = words[: SLUG_CHARS + 1]  # a whole last word, when one ends at the limit
    return cut.rsplit("-", 1)[0] if "-" in cut else words[:SLUG_CHARS]


@bp.app_template_global()
def card_page_url(card_id: int | None, title: str, *, external: bool = False) -> str:
    """A card's canonical page: its id, then its title's words (the id alone finds it)."""
    words = slug(title)
    if words:
        return url_for("share.card", card_id=card_id, words=words, _external=external)
    return url_for("share.card", card_id=card_id, _external=external)


def short(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """``text`` on one line, cut at a word within ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,.;:") + "…"


def absolute(url: str | None) -> str | None:
    """``url`` made absolute against this site, when it is a web address at all."""
    if not url:
        return None
    joined = urljoin(request.url_root, url)
    return joined if urlsplit(joined).scheme in WEB_SCHEMES else None


def outside_link(url: str | None) -> str | None:
    """The card's own address elsewhere (a shop's product page), never one of Plaza's."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in WEB_SCHEMES or not parts.hostname or parts.netloc == request.host:
        return None
    return url


@bp.get("/c/<id:card_id>")
@bp.get("/c/<id:card_id>-<words>")
def card(card_id: int, words: str = "") -> ResponseReturnValue:
    """The card's page; an address with other words after its id (the id alone, or a
    title since changed) is sent to the canonical one, once the card may be shown."""
    now = datetime.now(UTC)
    found = card_or_404(card_id, now)
    here = card_page_url(found.id, found.title)
    if request.path != here:
        moved = redirect(here, code=301)
        moved.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        return moved
    signed_in = bool(current_user.is_authenticated)
    (view,) = card_views(db.session(), [(found, None)], current_user.id if signed_in else None)
    try:
        kind = get_kind(found.kind)
        label, asks, sponsored = kind.card_label, kind.asks_questions, kind.sponsored
        question: Question | None = kind.question(found.payload) if asks else None
    except UnknownKind:
        label, asks, sponsored, question = "", False, False, None
    source = view.organization_name or "Plaza"
    canonical = card_page_url(found.id, found.title, external=True)
    preview = Preview(
        title=found.title,
        description=short(found.summary) or f"{label or 'A card'} from {source}, on Plaza",
        url=canonical,
        image=absolute(found.image_url),
    )
    # A signed-out visitor gets no session: the frame's CSRF stand-in is left empty (it
    # has no actions), and a question is shown without its form.
    markup: Markup | None = None
    if signed_in or not asks:
        csrf = masked_csrf_token() if signed_in else ""
        markup = card_frames().html(view, csrf, now)
    response = make_response(
        render_template(
            "share/card.html",
            view=view,
            card=found,
            card_markup=markup,
            question=question,
            label=label,
            preview=preview,
            shop_url=outside_link(found.url),
            shop_host=urlsplit(found.url or "").hostname or "",
            sponsored=sponsored,
            login_url=url_for("auth.login", next=here),
            public_page=not signed_in,
        )
    )
    if not signed_in:
        response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        response.vary.add("Cookie")
    return response
