"""A shopper's feed settings (``/settings/feed``): read, checked, stored, and put into
words.

The settings are one row per shopper (:class:`app.models.FeedPreference`); ranking
reads them with the rest of the profile (:mod:`app.ranking.choices`). Every card kind
registered is offered by the name shoppers know it by (``feed_label``), so a plugin
kind has its row as soon as it is installed. A form is checked whole before anything
is stored: one unknown value and nothing changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from app.models import FeedPreference
from app.ranking.candidates import feed_choices
from app.ranking.choices import (
    AS_IS,
    DENSITIES,
    KIND_CHOICES,
    LESS,
    MORE,
    NONE,
    SPONSORED_CHOICES,
    FeedChoices,
)
from app.ranking.prepared import interests_changed
from cards.registry import UnknownKind, all_kinds, get_kind
from cards.spec import CardKind

CHOICE_LABELS = {MORE: "More", AS_IS: "As is", LESS: "Less", NONE: "None"}
DENSITY_LABELS = {"compact": "Compact", "comfortable": "Comfortable"}
ON = ("1", "on")  # what a checked box sends: ours says "1", a bare checkbox "on"


class InvalidFeedSettings(ValueError):
    """A form Plaza did not offer: its message says what was wrong."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class KindRow:
    """One row of the settings page: a kind, the name shoppers know it by, its choices."""

    name: str
    label: str
    choices: tuple[str, ...]
    sponsored: bool


def kind_label(kind: CardKind[Any]) -> str:
    return kind.feed_label or kind.label or kind.name


def kind_rows() -> list[KindRow]:
    """Every registered kind, ordinary ones first, then promotions, each by name."""
    rows = [
        KindRow(
            name,
            kind_label(kind),
            SPONSORED_CHOICES if kind.sponsored else KIND_CHOICES,
            kind.sponsored,
        )
        for name, kind in all_kinds().items()
    ]
    return sorted(rows, key=lambda row: (row.sponsored, row.label.lower()))


def settings_for(db: Session, user_id: int) -> FeedChoices:
    return feed_choices(db.get(FeedPreference, user_id))


def parse_form(form: Mapping[str, str]) -> FeedChoices:
    """The settings a form asks for. Fields: ``kind.<name>`` per kind (left out: as is),
    ``in_stock_only`` and ``deals_only`` (checked or left out), ``density``."""
    offered = {row.name: row for row in kind_rows()}
    unknown = set(form) - {"csrf_token", "next", "density", *FILTER_LABELS}
    if stray := sorted(f for f in unknown if not f.startswith("kind.")):
        raise InvalidFeedSettings(f"The feed settings have no {stray[0]!r}.")
    getlist = getattr(form, "getlist", None)  # a form may send a field twice: which one?
    if getlist is not None and (twice := sorted(f for f in form if len(getlist(f)) > 1)):
        raise InvalidFeedSettings(f"The form sent {twice[0]!r} more than once.")
    kinds: dict[str, str] = {}
    for field, value in form.items():
        if not field.startswith("kind."):
            continue
        name = field.removeprefix("kind.")
        row = offered.get(name)
        if row is None:
            raise InvalidFeedSettings(f"There is no kind of card called {name!r}.")
        if value not in row.choices:
            allowed = ", ".join(CHOICE_LABELS[c].lower() for c in row.choices)
            raise InvalidFeedSettings(f"{row.label} can be {allowed}, not {value!r}.")
        if value != AS_IS:
            kinds[name] = value
    density = form.get("density", "compact")
    if density not in DENSITIES:
        raise InvalidFeedSettings(f"Cards can be compact or comfortable, not {density!r}.")
    return FeedChoices(
        kinds=kinds,
        in_stock_only=_checked(form, "in_stock_only"),
        deals_only=_checked(form, "deals_only"),
        density=density,
    )


FILTER_LABELS = {"in_stock_only": "Only in stock", "deals_only": "Only deals"}


def _checked(form: Mapping[str, str], name: str) -> bool:
    value = form.get(name)
    if value is not None and value not in ON:
        raise InvalidFeedSettings(f"{FILTER_LABELS[name]} is either on or off, not {value!r}.")
    return value is not None


def save(db: Session, user_id: int, choices: FeedChoices, now: datetime) -> None:
    """Store ``choices`` (in the caller's transaction). A first page the worker ranked
    before them is not served (see :func:`app.ranking.prepared.interests_changed`)."""
    row = db.get(FeedPreference, user_id)
    if row is None:
        row = FeedPreference(user_id=user_id)
        db.add(row)
    row.kinds = dict(choices.kinds)
    row.in_stock_only = choices.in_stock_only
    row.deals_only = choices.deals_only
    row.density = choices.density
    row.updated_at = now
    interests_changed(db, user_id)


def asked_reason(code: str) -> str | None:
    """The words of a reason a feed setting gave (``more:<kind>``, ``less:<kind>``, see
    :meth:`app.ranking.choices.FeedChoices.reason_code`); None for any other reason."""
    choice, _, name = code.partition(":")
    if not name or choice not in (MORE, LESS):
        return None
    try:
        label = kind_label(get_kind(name))
    except UnknownKind:
        return None
    if choice == MORE:
        return f"More {_lower(label)}, as you asked"
    return f"{label} lower down, as you asked"


def _lower(label: str) -> str:
    """ "Videos" reads "videos" mid-sentence; a name like "YouTube" keeps its capitals."""
    return label if label[1:2].isupper() else label[:1].lower() + label[1:]
