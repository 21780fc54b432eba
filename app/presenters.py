"""Turn stored cards and ranking reasons into what templates show."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from jinja2 import TemplateNotFound

from app.models import Card, Provider
from app.ranking import Reason
from cards.registry import UnknownKind, get_kind
from cards.taxonomy import Taxonomy


@dataclass
class CardView:
    card: Card
    provider: Provider
    organization_name: str
    reason: str
    interests: list[tuple[str, str]]  # (slug, name) the consumer can say "not interested" to
    saved: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return card_template(self.card.kind)


def reason_text(
    reason: Reason | None, taxonomy: Taxonomy, source: str, sponsor: str | None = None
) -> str:
    if reason is None:
        # No longer matches the consumer's interests (a saved card, say): say where it is from.
        return f"From {source}"
    name = taxonomy.name(reason.interest) if reason.interest else ""
    if reason.code == "sponsored":
        by = f"Sponsored by {sponsor}" if sponsor else "Sponsored"
        return f"{by}, shown to people interested in {name}" if name else by
    texts = {
        "related": f"Related to {name}, which you follow",
        "saved_similar": f"You saved similar {name}",
        "opened_similar": f"You looked at similar {name}",
        "liked_source": f"You liked other cards from {source}",
        "popular": "Popular with shoppers like you",
        "explore": "Something new for you",
        "price_drop": "Price dropped",
        "new": "New",
    }
    return texts.get(reason.code, f"Because you follow {name}")


def card_template(kind: str) -> str:
    """The kind's own template, or the default one when it has none."""
    try:
        name = get_kind(kind).template()
        current_app.jinja_env.get_template(name)
    except (UnknownKind, TemplateNotFound):
        return "cards/_default.html"
    return name
