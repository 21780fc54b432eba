"""Results pages: charts over time, the same numbers as tables and CSV, survey answers.

Every page takes ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (the last 30 days by
default) and reads only the current organisation's providers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from math import ceil
from typing import Any

from flask import abort, render_template, request
from flask.typing import ResponseReturnValue
from sqlmodel import col, select

from app import db
from app.community.threads import counts as community_counts
from app.models import Card, Provider
from app.partners.stats import (
    METRICS,
    CardCounts,
    Counts,
    DateRange,
    DayCounts,
    RangeProblems,
    daily,
    parse_range,
    per_card,
    per_provider,
    total,
)
from app.partners.surveys import answers_in, asks_questions, survey_results
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


@dataclass(frozen=True)
class Uptake:
    """What counts as a shopper taking a card up: opening it, or, for a survey's
    questions, answering it on the feed (a question is never opened, so its open rate
    would read 0% however well it did)."""

    key: str  # the chart series' key, for its colour
    label: str
    rate: str


OPENED = Uptake("opens", "Opened", "Open rate")
ANSWERED = Uptake("opens", "Answered", "Response rate")
CARDS_PER_PAGE = 25


@dataclass(frozen=True)
class Totals:
    """One row of a results table (a day, a provider or a card), in the page's words."""

    shown: int
    taken_up: int
    saves: int
    dismisses: int

    @property
    def rate(self) -> float | None:
        return self.taken_up / self.shown if self.shown else None

    @classmethod
    def of(cls, counts: Counts, answers: int | None = None) -> Totals:
        taken_up = counts.opens if answers is None else answers
        return cls(counts.impressions, taken_up, counts.saves, counts.dismisses)


def _charts(
    title: str, rows: Sequence[DayCounts], uptake: Uptake, taken_up: Sequence[int]
) -> list[LineChart]:
    """Shown on a scale of its own, then the (far smaller) uptake, saves and dismisses,
    then the rate: one axis for all of them drew everything but "shown" as a flat line."""
    days = [row.day for row in rows]
    summed = total(rows)
    shown = line_chart(
        f"{title}: shown per day",
        days,
        [("impressions", "Shown", [r.impressions for r in rows], f"{summed.impressions:,}")],
    )
    actions = line_chart(
        f"{title}: {uptake.label.lower()}, saved and dismissed per day",
        days,
        [
            (uptake.key, uptake.label, list(taken_up), f"{sum(taken_up):,}"),
            ("saves", "Saved", [r.saves for r in rows], f"{summed.saves:,}"),
            ("dismisses", "Dismissed", [r.dismisses for r in rows], f"{summed.dismisses:,}"),
        ],
    )
    whole = sum(taken_up) / summed.impressions if summed.impressions else None
    rate = line_chart(
        f"{title}: {uptake.rate.lower()} per day",
        days,
        [
            (
                "open_rate",
                uptake.rate,
                [
                    n / r.impressions if r.impressions else None
                    for r, n in zip(rows, taken_up, strict=True)
                ],
                "nothing shown yet" if whole is None else f"{whole:.1%} overall",
            )
        ],
        percent=True,
    )
    return [shown, actions, rate]


def _daily_view(
    rows: Sequence[DayCounts], answers: Mapping[date, int] | None
) -> list[tuple[date, Totals]]:
    return [(r.day, Totals.of(r, None if answers is None else answers.get(r.day, 0))) for r in rows]


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
    """All of the organisation's providers together, and each one's totals (a survey's
    with its answers, the others' with their opens)."""
    period, range_errors = _period()
    providers = _providers()
    ids = [p.id for p in providers if p.id is not None]
    session = db.session()
    rows = daily(session, ids, period)
    totals = per_provider(session, ids, period)
    surveys = [p.id for p in providers if p.id is not None and asks_questions(p)]
    answered = answers_in(session, surveys, period, "provider")
    return render_template(
        "portal/results.html",
        period=period,
        range_errors=range_errors,
        days=_daily_view(rows, None),
        summary=Totals.of(total(rows)),
        uptake=OPENED,
        charts=_charts(org().name, rows, OPENED, [r.opens for r in rows]),
        providers=[
            (
                p,
                Totals.of(totals[p.id], answered.get(p.id, 0) if p.id in surveys else None),
                ANSWERED if p.id in surveys else OPENED,
            )
            for p in providers
            if p.id is not None
        ],
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


SORTS: dict[str, Callable[[tuple[CardCounts, Totals]], Any]] = {
    "card": lambda row: (row[0].title or "").casefold(),
    "shown": lambda row: row[1].shown,
    "taken-up": lambda row: row[1].taken_up,
    "saved": lambda row: row[1].saves,
    "dismissed": lambda row: row[1].dismisses,
    "rate": lambda row: -1.0 if row[1].rate is None else row[1].rate,
}


@dataclass(frozen=True)
class CardTable:
    """One page of the per-card table, in the order asked for."""

    rows: list[tuple[CardCounts, Totals]]
    sort: str
    descending: bool
    page: int
    pages: int
    count: int


def _card_table(
    cards: list[CardCounts], answers: Mapping[int, int] | None, problems: list[str]
) -> CardTable:
    """Sorted by ``?sort=`` (a column; ``-`` first for descending, as the headers link
    it), ``?page=`` of 25; what cannot be read falls back to most shown first."""
    rows = [
        (c, Totals.of(c, None if answers is None else answers.get(c.card_id, 0))) for c in cards
    ]
    wanted = request.args.get("sort", "-shown")
    sort = wanted.removeprefix("-")
    if sort not in SORTS:
        problems.append(f"Cards cannot be sorted by {wanted!r}; they are shown most shown first.")
        wanted, sort = "-shown", "shown"
    descending = wanted.startswith("-")
    rows.sort(key=lambda row: row[0].card_id)
    rows.sort(key=SORTS[sort], reverse=descending)
    pages = max(1, ceil(len(rows) / CARDS_PER_PAGE))
    raw_page = request.args.get("page", "1")
    page = int(raw_page) if raw_page.isdigit() and 1 <= int(raw_page) <= pages else 0
    if page == 0:
        problems.append(f"There is no page {raw_page!r} of cards; here is the first.")
        page = 1
    start = (page - 1) * CARDS_PER_PAGE
    return CardTable(rows[start : start + CARDS_PER_PAGE], sort, descending, page, pages, len(rows))


@bp.get("/providers/<id:provider_id>")
def provider(provider_id: int) -> ResponseReturnValue:
    """One provider over time (or one of its cards with ``?card=``), and each card's
    totals, sortable and paged."""
    chosen = provider_or_404(provider_id)
    card = _card_or_none(chosen)
    period, range_errors = _period()
    session = db.session()
    rows = daily(session, [provider_id], period, card.id if card else None)
    survey = asks_questions(chosen)
    uptake = ANSWERED if survey else OPENED
    by_day = (
        answers_in(session, [provider_id], period, "day", card.id if card else None)
        if survey
        else None
    )
    taken_up = [r.opens for r in rows] if by_day is None else [by_day.get(r.day, 0) for r in rows]
    problems: list[str] = []
    table = None
    if card is None:
        by_card = answers_in(session, [provider_id], period, "card") if survey else None
        table = _card_table(per_card(session, provider_id, period), by_card, problems)
    return render_template(
        "portal/provider_results.html",
        provider=chosen,
        card=card,
        period=period,
        range_errors=range_errors,
        table_problems=problems,
        days=_daily_view(rows, by_day),
        summary=Totals.of(total(rows), None if by_day is None else sum(taken_up)),
        uptake=uptake,
        charts=_charts(card.title if card else chosen.name, rows, uptake, taken_up),
        table=table,
    ), 400 if range_errors or problems else 200


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
