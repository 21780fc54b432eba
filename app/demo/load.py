"""``plaza demo``: organisations, providers, cards and logins to try Plaza offline,
and a crowd of made-up shoppers (:mod:`app.demo.activity`) whose past activity
gives the results pages and the ranking's popularity signal their numbers.

The demo consumer starts with no activity of its own, only the interests it
follows, so its feed visibly follows what its user picks and does.

Idempotent: organisations, accounts and providers are looked up by their
natural keys before being created, and refreshing unchanged samples changes
no card, so a second run adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from app.accounts.lookalikes import skeleton
from app.accounts.users import create_user, find_user
from app.community.feed_posts import sync_community_cards
from app.demo.activity import CROWD_DOMAIN, seed_shoppers
from app.demo.community import seed_community
from app.demo.moderation import seed_moderation
from app.demo.reports import seed_reports
from app.ingest.refresh import refresh_provider
from app.ingest.sources import SampleContext, read_sample, sample_shift, shift_dates
from app.models import Organization, Provider, Role, User, stored_id
from app.partners.rollup import roll_up_results
from app.ranking.rollup import roll_up
from app.shopper.interests import onboard
from cards.community import CommunityKind
from cards.registry import get_kind
from cards.taxonomy import Taxonomy

DEMO_PASSWORD = "plaza-demo-pass"  # noqa: S105 (documented demo login)
DEMO_LOGINS = {
    "demo@example.com": Role.CONSUMER,
    "retailer@example.com": Role.RETAILER,
    "staff@example.com": Role.STAFF,
}
DEMO_CONSUMER_INTERESTS = (
    "shoes/athletic-shoes/running-shoes",
    "sports/running",
    "sports/hiking",
    "sports/camping",
    "home/kitchen",
    "electronics/audio",
)


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    refreshed: list[str] = field(default_factory=list)


def load_demo(db: Session, taxonomy: Taxonomy, now: datetime | None = None) -> DemoReport:
    now = now or datetime.now(UTC)
    manifest = json.loads(read_sample("providers.json"))
    report = DemoReport()
    orgs = {spec["slug"]: _organization(db, spec, report) for spec in manifest["organisations"]}
    first_retailer = next(o for o in orgs.values() if o.kind == "retailer")
    for email, role in DEMO_LOGINS.items():
        user = find_user(db, email)
        if user is None:
            org = first_retailer if role == Role.RETAILER else None
            user = create_user(db, email, DEMO_PASSWORD, role, org)
            report.created.append(f"{role.value} {email}")
            if role == Role.CONSUMER:
                onboard(db, user, DEMO_CONSUMER_INTERESTS, taxonomy, now)
    db.commit()
    written_answers: dict[int, dict[str, list[str]]] = {}
    for spec in manifest["providers"]:
        provider = _provider(db, orgs[spec["org"]], spec, taxonomy, report, now)
        context = SampleContext(samples=provider.demo_samples or {}, now=now, taxonomy=taxonomy)
        outcome = refresh_provider(db, provider, context, now)
        report.refreshed.append(f"{provider.name}: {outcome}")
        written_answers[provider.id or 0] = spec.get("shopper_answers", {})
    crowd = seed_shoppers(db, taxonomy, now, written_answers)
    if crowd.shoppers:
        report.created.append(
            f"{crowd.shoppers} demo shoppers with two weeks of activity "
            f"({crowd.events} events, {crowd.answers} survey answers)"
        )
    reports = seed_reports(db, now)
    if reports:
        report.created.append(f"{reports} open reports waiting for staff at /staff")
    crowd_ids = list(
        db.exec(
            select(User.id).where(col(User.email).endswith(CROWD_DOMAIN)).order_by(col(User.id))
        )
    )
    talk = seed_community(db, now, [i for i in crowd_ids if i is not None])
    if talk.questions or talk.suggestions:
        report.created.append(
            f"a community: {talk.questions} questions, {talk.answers} answers, "
            f"{talk.suggestions} ideas, {talk.votes} votes"
        )
    staff_work = seed_moderation(db, taxonomy, now, [i for i in crowd_ids if i is not None])
    if staff_work.screened or staff_work.reports or staff_work.editorial:
        report.created.append(
            f"for staff: {staff_work.screened} held or flagged texts, {staff_work.reports} "
            f"reports about texts, {staff_work.editorial} editorial cards"
        )
    _surface_community(db, taxonomy, now)
    roll_up(db, now)  # ranking reads popularity from the rollup, as the worker keeps it
    roll_up_results(db, now)  # and the results pages their past days
    return report


def _surface_community(db: Session, taxonomy: Taxonomy, now: datetime) -> None:
    """Answered questions and popular ideas in the feed at once, as the worker's jobs
    would put them there within a minute."""
    sync_community_cards(db, now)
    db.commit()
    due = db.exec(
        select(Provider).where(
            Provider.kind == CommunityKind.name, col(Provider.next_run_at) <= now
        )
    ).all()
    for provider in due:
        refresh_provider(db, provider, SampleContext(samples={}, now=now, taxonomy=taxonomy), now)


def _organization(db: Session, spec: dict[str, Any], report: DemoReport) -> Organization:
    org = db.exec(select(Organization).where(Organization.slug == spec["slug"])).first()
    if org is None:
        org = Organization(slug=spec["slug"], name=spec["name"], kind=spec.get("role", "retailer"),
                           name_skeleton=skeleton(spec["name"]),
                           description=spec.get("description", ""),
                           website_url=spec.get("website"),
                           social_links=spec.get("social", []))  # fmt: skip
        db.add(org)
        db.flush()
        report.created.append(f"organisation {org.name}")
    return org


def _provider(
    db: Session,
    org: Organization,
    spec: dict[str, Any],
    taxonomy: Taxonomy,
    report: DemoReport,
    now: datetime,
) -> Provider:
    """The demo provider ``spec`` describes, created if missing. Dates in its settings (a
    promotion's run) move with the samples, so a demo loaded on any day has the same mix
    of running, ended and upcoming promotions; loading it again on a later day moves them
    again, as a retailer would keep a demo campaign current."""
    kind = get_kind(spec["kind"])
    dated = json.loads(shift_dates(json.dumps(spec["config"]).encode(), sample_shift(now)))
    config = kind.config_model.model_validate(dated).model_dump(mode="json")
    provider = db.exec(
        select(Provider).where(Provider.organization_id == org.id, Provider.name == spec["name"])
    ).first()
    if provider is not None:
        if provider.config != config:
            provider.config = config
            db.commit()
        return provider
    provider = Provider(
        organization_id=stored_id(org),
        kind=kind.name,
        name=spec["name"],
        config=config,
        interests=[s for s in spec.get("interests", []) if s in taxonomy],
        interval_seconds=int(kind.default_interval.total_seconds()),
        demo_samples=spec.get("samples") or {},
    )
    db.add(provider)
    db.commit()
    report.created.append(f"provider {provider.name} ({kind.name})")
    return provider
