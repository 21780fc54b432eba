"""The register/edit form of a provider: its kind's generated settings, plus name,
target interests and refresh interval, which every kind shares.

The form only carries values; every rule lives in :mod:`app.partners.providers`, whose
(field, message) problems come back here as ``errors`` keyed by the same
names the inputs use.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Response, current_app
from werkzeug.datastructures import MultiDict

from app.ingest.sources import fetch_policy
from app.models import Organization, Provider, stored_id
from app.partners.preview import PreviewResult, run_preview
from app.partners.providers import MAX_INTERVAL, check_settings
from app.portal.intervals import UNITS, interval_words, read_interval, split_interval
from app.portal.schema_form import (
    FormField,
    build_fields,
    field_id,
    field_labels,
    read_form_with_action,
)
from app.shopper.display import CardView
from app.taxonomy_store import taxonomy
from app.web.current import current_app_object
from app.web.htmx import render_page_or_fragment
from cards.spec import CardKind
from cards.taxonomy import Interest, Taxonomy

COMMON_LABELS = {
    "config": "Settings",
    "interests": "Target interests",
    "name": "Name",
    "interval": "Refresh every",
    "kind": "Kind",
}


def interest_path(taxonomy: Taxonomy, slug: str) -> list[str]:
    """The names from the top of the tree down to ``slug`` ("Shoes", "Running shoes"):
    several interests share a name ("Accessories"), their paths tell them apart."""
    return [taxonomy.name(s) for s in [*reversed(taxonomy.ancestors(slug)), slug]]


@dataclass
class InterestGroup:
    """A top-level interest and everything under it, for the picker."""

    top: Interest
    members: list[Interest]
    chosen: int


@dataclass
class ProviderForm:
    kind: CardKind[Any]
    config: dict[str, Any] = field(default_factory=dict)
    name: str = ""
    interests: list[str] = field(default_factory=list)
    interval: str = ""
    interval_unit: str = "minutes"
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def for_provider(cls, kind: CardKind[Any], provider: Provider) -> ProviderForm:
        default = int(kind.default_interval.total_seconds())
        number, unit = split_interval(provider.interval_seconds)
        return cls(
            kind=kind,
            config=dict(provider.config),
            name=provider.name,
            interests=list(provider.interests),
            interval="" if provider.interval_seconds == default else number,
            interval_unit=unit,
        )

    @classmethod
    def from_submission(
        cls, kind: CardKind[Any], form: MultiDict[str, str]
    ) -> tuple[ProviderForm, bool]:
        """The form as submitted, and whether the button was one that adds or removes a row."""
        schema = kind.config_model.model_json_schema()
        config, changed_rows = read_form_with_action(schema, form, form.get("action", ""))
        submitted = cls(
            kind=kind,
            config=config,
            name=form.get("name", "").strip(),
            interests=list(dict.fromkeys(s for s in form.getlist("interests") if s)),
            interval=form.get("interval", "").strip(),
            interval_unit=form.get("interval_unit", "minutes"),
        )
        return submitted, changed_rows

    def add_problems(self, problems: Iterable[tuple[str, str]]) -> None:
        for name, message in problems:
            if name == "interval":  # the service counts seconds; the form, minutes or hours
                message = f"Choose an interval between {self.interval_range}."
            self.errors[name].append(message)

    @property
    def interval_range(self) -> str:
        """The intervals this kind allows, in words: "5 minutes and 7 days"."""
        low = int(self.kind.min_interval.total_seconds())
        return f"{interval_words(low)} and {interval_words(int(MAX_INTERVAL.total_seconds()))}"

    @property
    def default_interval_words(self) -> str:
        return interval_words(int(self.kind.default_interval.total_seconds()))

    @property
    def interval_units(self) -> list[str]:
        return list(UNITS)

    def interval_seconds(self) -> int | None:
        """The interval typed, in seconds; None for the kind's default or when it is not a
        number (a problem is added then)."""
        if not self.interval:
            return None
        try:
            return read_interval(self.interval, self.interval_unit)
        except ValueError as exc:
            self.errors["interval"].append(str(exc))
            return None

    def config_fields(self) -> tuple[list[FormField], list[str]]:
        """The generated settings fields, and settings errors that belong to no single field."""
        schema = self.kind.config_model.model_json_schema()
        settings = {k: v for k, v in self.errors.items() if k.split(".")[0] == "config"}
        return build_fields(schema, self.config, settings)

    def problem_list(self, fields: list[FormField]) -> list[tuple[str, str]]:
        """(anchor, "Field: message") for the summary above the form, in form order."""
        labels = {**COMMON_LABELS, **field_labels(fields)}
        return [
            (field_id(key), f"{labels.get(key, key)}: {message}")
            for key, messages in self.errors.items()
            for message in messages
        ]

    def chosen_paths(self, taxonomy: Taxonomy) -> list[list[str]]:
        """The chosen interests as people read them, each a path of names."""
        return [interest_path(taxonomy, slug) for slug in self.interests]

    def interest_groups(self, taxonomy: Taxonomy) -> list[InterestGroup]:
        chosen = set(self.interests)
        groups = []
        for slug in taxonomy.children(None):
            top = taxonomy.get(slug)
            assert top is not None
            members = [taxonomy.get(s) for s in sorted(taxonomy.descendants(slug))]
            present = [m for m in members if m is not None]
            groups.append(InterestGroup(top, present, sum(1 for m in present if m.slug in chosen)))
        return groups

    def preview(
        self,
        organization: Organization,
        now: datetime,
        demo_samples: Mapping[str, str] | None = None,
    ) -> PreviewResult | None:
        """Validate like a save would, then run the refresh without storing anything; None
        when the form has errors (they are added to it)."""
        config, problems = check_settings(
            self.kind,
            self.config,
            self.interests,
            self.name or None,
            self.interval_seconds(),
            taxonomy=taxonomy(),
            policy=fetch_policy(current_app),
        )
        self.add_problems(problems)
        if self.errors or config is None:
            return None
        return run_preview(
            current_app_object(),
            organization,
            self.kind,
            config,
            now,
            interests=self.interests,
            demo_samples=demo_samples,
        )

    def render(
        self,
        page_template: str,
        organization: Organization,
        preview: PreviewResult | None = None,
        **context: Any,
    ) -> Response:
        """The form in ``page_template`` (its fragment alone for htmx), with ``context``
        (the page's own links); a 422 while it has errors."""
        fields, general_errors = self.config_fields()
        response = render_page_or_fragment(
            page_template,
            "portal/_provider_form.html",
            form=self,
            fields=fields,
            general_errors=general_errors,
            interest_groups=self.interest_groups(taxonomy()),
            chosen_paths=self.chosen_paths(taxonomy()),
            preview=preview,
            preview_views=self.preview_views(preview, organization),
            **context,
        )
        if self.errors:
            response.status_code = 422
        return response

    def preview_views(
        self, preview: PreviewResult | None, organization: Organization
    ) -> list[CardView]:
        """The previewed cards as the kind's template shows them."""
        if preview is None:
            return []
        stand_in = Provider(
            organization_id=stored_id(organization), kind=self.kind.name, name=self.name
        )
        return [
            CardView(
                card=card,
                provider=stand_in,
                organization_name=organization.name,
                reason="",
                interests=[],
            )
            for card in preview.cards
        ]

    @property
    def problem_count(self) -> int:
        return sum(len(messages) for messages in self.errors.values())
