"""Results pages: charts over time, the same numbers as tables and CSV, survey answers.

Every page takes ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (the last 30 days by
default) and reads only the current organisation's providers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlmodel import col, select

from app import db
from app.community.threads import counts as community_counts
from app.models import Card, Provider
from app.partners.stats import (
    METRICS,
    DateRange,
    DayCounts,
    RangeProblems,
    daily,
    parse_range,
    per_card,
    per_provider,
    total,
)
from app.partners.surveys import asks_questions, survey_results
from app.portal.access import org, partner_blueprint, provider_or_404
from app.portal.charts import LineChart, bar_chart, line_chart
from app.portal.csv_export import csv_response
from app.web.converters import parse_id

bp = partner_blueprint("portal_results", "/portal/<org>/results")

DAILY_HEADER = ["date", *METRICS.values(), "open_rate"]


def _period() -> tuple[DateRange, list[str]]:
    """The requested range, or the default one with what was wrong with the request."""
    today = datetime.now(UTC).date()
    try:
        return parse_range(request.args.get("from"), request.args.get("to"), today), []
    except RangeProblems as problems:
        return parse_range(None, None, today), [m for _, m in problems.problems]


def _charts(title: str, rows: Sequence[DayCounts]) -> list[LineChart]:
    days = [row.day for row in rows]
    summed = total(rows)
    counts = line_chart(
        f"{title}: shown, opened, saved, dismissed per day",
        days,
        [
            (
                key,
                key.capitalize(),
                [getattr(r, key) for r in rows],
                f"{getattr(summed, key):,} in total",
            )
            for key in METRICS.values()
        ],
    )
    overall = (
        "no impressions yet" if summed.open_rate is None else f"{summed.open_rate:.1%} overall"
    )
    rate = line_chart(
        f"{title}: open rate per day",
        days,
        [("open_rate", "Open rate", [r.open_rate for r in rows], overall)],
        percent=True,
    )
    return [counts, rate]


def _daily_csv(filename: str, rows: Sequence[DayCounts]) -> ResponseReturnValue:
    return csv_response(
        filename,
        DAILY_HEADER,
        (
            [r.day.isoformat(), *(getattr(r, m) for m in METRICS.values()), _rate(r.open_rate)]
            for r in rows
        ),
    )


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _providers() -> list[Provider]:
    return list(
        db.session().exec(
            select(Provider)
            .where(Provider.organization_id == org().id)
            .order_by(col(Provider.name), col(Provider.id))
        )
    )


@bp.get("/")
def overview() -> ResponseReturnValue:
    """All of the organisation's providers together, and each one's totals."""
    period, range_errors = _period()
    providers = _providers()
    ids = [p.id for p in providers if p.id is not None]
    session = db.session()
    rows = daily(session, ids, period)
    totals = per_provider(session, ids, period)
    return render_template(
        "portal/results.html",
        period=period,
        range_errors=range_errors,
        rows=rows,
        summary=total(rows),
        charts=_charts(org().name, rows),
        providers=[(p, totals[p.id]) for p in providers if p.id is not None],
        counts=community_counts(session, org().id or 0),
    ), 400 if range_errors else 200


@bp.get("/daily.csv")
def overview_csv() -> ResponseReturnValue:
    period, _ = _period()
    ids = [p.id for p in _providers() if p.id is not None]
    rows = daily(db.session(), ids, period)
    return _daily_csv(f"{org().slug}-{period.start}-{period.end}.csv", rows)


def _card_or_none(provider: Provider) -> Card | None:
    """The card named by ``?card=``, which must be one of this provider's."""
    raw = request.args.get("card", "")
    if not raw:
        return None
    card_id = parse_id(raw)
    card = db.session().get(Card, card_id) if card_id is not None else None
    if card is None or card.provider_id != provider.id:
        abort(404, description="This provider has no such card.")
    return card


@bp.get("/providers/<id:provider_id>")
def provider(provider_id: int) -> ResponseReturnValue:
    """One provider over time (or one of its cards with ``?card=``), and each card's totals."""
    chosen = provider_or_404(provider_id)
    card = _card_or_none(chosen)
    period, range_errors = _period()
    session = db.session()
    rows = daily(session, [provider_id], period, card.id if card else None)
    return render_template(
        "portal/provider_results.html",
        provider=chosen,
        card=card,
        period=period,
        range_errors=range_errors,
        rows=rows,
        summary=total(rows),
        charts=_charts(card.title if card else chosen.name, rows),
        cards=[] if card else per_card(session, provider_id, period),
    ), 400 if range_errors else 200


@bp.get("/providers/<id:provider_id>/daily.csv")
def provider_csv(provider_id: int) -> ResponseReturnValue:
    chosen = provider_or_404(provider_id)
    card = _card_or_none(chosen)
    period, _ = _period()
    rows = daily(db.session(), [provider_id], period, card.id if card else None)
    subject = f"card-{card.id}" if card else f"provider-{provider_id}"
    return _daily_csv(f"{org().slug}-{subject}-{period.start}-{period.end}.csv", rows)


@bp.get("/providers/<id:provider_id>/cards.csv")
def cards_csv(provider_id: int) -> ResponseReturnValue:
    provider_or_404(provider_id)
    period, _ = _period()
    rows = per_card(db.session(), provider_id, period)
    return csv_response(
        f"{org().slug}-provider-{provider_id}-cards-{period.start}-{period.end}.csv",
        ["card_id", "title", *METRICS.values(), "open_rate"],
        (
            [r.card_id, r.title, *(getattr(r, m) for m in METRICS.values()), _rate(r.open_rate)]
            for r in rows
        ),
    )


def _survey_or_404(provider_id: int) -> Provider:
    survey = provider_or_404(provider_id)
    if not asks_questions(survey):
        abort(404, description="This provider is not a survey.")
    return survey


@bp.get("/surveys/<id:provider_id>")
def survey(provider_id: int) -> ResponseReturnValue:
    """Each question's answers as a bar chart and a table; written answers listed."""
    chosen = _survey_or_404(provider_id)
    questions = survey_results(db.session(), chosen)
    charts = {
        q.card_id: bar_chart(q.prompt, [(c.label, c.count, c.share) for c in q.choices])
        for q in questions
        if q.choices
    }
    return render_template(
        "portal/survey_results.html", provider=chosen, questions=questions, charts=charts
    )


@bp.get("/surveys/<id:provider_id>/answers.csv")
def survey_csv(provider_id: int) -> ResponseReturnValue:
    """One row per choice (with its count) and one per written answer."""
    chosen = _survey_or_404(provider_id)
    rows: list[list[object]] = []
    for q in survey_results(db.session(), chosen):
        rows += [
            [q.question_id, q.prompt, c.label, c.count, round(c.share, 4), ""] for c in q.choices
        ]
        rows += [[q.question_id, q.prompt, "", "", "", t.text] for t in q.texts]
    return csv_response(
        f"{org().slug}-survey-{provider_id}.csv",
        ["question_id", "question", "choice", "count", "share", "text_answer"],
        rows,
    )
