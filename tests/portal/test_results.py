"""Results in the portal: SVG charts readable without JavaScript, tables, CSV, survey answers."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from app.ingest.refresh import refresh_provider
from app.ingest.retention import MAX_AGE, prune_cards
from app.ingest.sources import context_for
from app.models import Card, EventKind
from app.partners.rollup import roll_up_results
from app.portal.charts import bar_chart, line_chart, nice_step
from app.ranking.rollup import roll_up
from cards.survey import choice_id
from tests.accounts.test_retention import prune


@pytest.fixture
def shown(partners, world, acme):  # type: ignore[no-untyped-def]
    """A provider with two cards: one shown 8 times and opened twice today, one saved."""
    provider = partners.provider(acme, "Feed")
    first, second = world.cards(provider, 2)
    shopper = world.consumer()
    now = datetime.now(UTC)
    partners.events(shopper, first, provider.id, EventKind.IMPRESSION, 8, now)
    partners.events(shopper, first, provider.id, EventKind.OPEN, 2, now)
    partners.events(shopper, second, provider.id, EventKind.IMPRESSION, 1, now - timedelta(days=3))
    partners.events(shopper, second, provider.id, EventKind.SAVE, 1, now - timedelta(days=3))
    return provider, first, second


def numbers(page: str) -> dict[str, str]:
    return dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page))


def test_the_overview_charts_every_provider_together(client, shown):
    page = client.get("/portal/acme/results/").get_data(as_text=True)
    tiles = numbers(page)
    assert tiles["Shown"] == "9" and tiles["Opened"] == "2" and tiles["Saved"] == "1"
    assert tiles["Open rate"] == "22.2%"
    # Shown on its own scale; opens, saves and dismisses on theirs; then the rate.
    assert page.count('<svg class="chart__svg"') == 3 and 'role="img"' in page
    assert '<title id="chart-1-title">Acme Outfitters: shown per day</title>' in page
    assert "Acme Outfitters: opened, saved and dismissed per day" in page
    assert "Shown: 9" in page and "Opened: 2" in page and "22.2% overall" in page
    assert "Impressions" not in page and "Opens" not in page  # one vocabulary
    assert "The numbers, day by day" in page and page.count("<tr>") >= 30
    assert ">Feed</a></th>" in page


def test_a_provider_and_each_card_over_time_and_as_csv(client, shown):
    provider, first, _ = shown
    base = f"/portal/acme/results/providers/{provider.id}"
    page = client.get(base).get_data(as_text=True)
    assert numbers(page)["Shown"] == "9"
    by_card = page[page.index("By card") :]
    assert by_card.index("Feed item 0") < by_card.index("Feed item 1")  # most shown first
    card_page = client.get(base, query_string={"card": first}).get_data(as_text=True)
    assert numbers(card_page)["Shown"] == "8" and numbers(card_page)["Open rate"] == "25.0%"
    assert "Results: Feed item 0" in card_page

    today = datetime.now(UTC).date()
    week = {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()}
    daily = client.get(f"{base}/daily.csv", query_string=week)
    assert daily.mimetype == "text/csv" and "attachment" in daily.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(daily.get_data(as_text=True))))
    assert len(rows) == 7 and rows[-1]["date"] == today.isoformat()
    assert rows[-1]["impressions"] == "8" and rows[-1]["open_rate"] == "0.25"
    assert rows[-4]["saves"] == "1" and rows[-4]["open_rate"] == "0.0"
    assert rows[0]["open_rate"] == ""
    cards = list(
        csv.DictReader(io.StringIO(client.get(f"{base}/cards.csv").get_data(as_text=True)))
    )
    assert [(r["title"], r["impressions"]) for r in cards] == [
        ("Feed item 0", "8"),
        ("Feed item 1", "1"),
    ]


def test_a_bad_range_is_explained_and_another_providers_card_is_refused(
    client, partners, world, shown
):
    provider, _, _ = shown
    base = f"/portal/acme/results/providers/{provider.id}"
    bad = client.get(base, query_string={"from": "2026-13-01"})
    assert bad.status_code == 400 and "Give a date as YYYY-MM-DD." in bad.get_data(as_text=True)
    other = partners.provider(partners.org("other"), "Elsewhere")
    (theirs,) = world.cards(other, 1)
    assert client.get(base, query_string={"card": theirs}).status_code == 404
    assert client.get(base, query_string={"card": "x"}).status_code == 404


def stored_survey(app, db, partners, acme, questions):  # type: ignore[no-untyped-def]
    """A survey "Runs" of ``questions``, open until 2030, its question cards stored through
    the survey kind's real refresh."""
    config = {"title": "Running", "questions": questions,
              "starts_at": "2026-01-01T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z"}  # fmt: skip
    survey = partners.provider(acme, "Runs", kind="survey", config=config)
    now = datetime.now(UTC)
    with app.app_context():
        refresh_provider(db, survey, context_for(app, survey, now), now)
    return survey


def test_survey_answers_as_bar_charts_text_and_safe_csv(app, client, db, partners, world, acme):
    questions = [
        {"id": "where", "prompt": "Where?", "type": "multiple", "choices": ["Road", "Trail"]},
        {"id": "why", "prompt": "Why?", "type": "text"},
    ]
    survey = stored_survey(app, db, partners, acme, questions)
    cards = {
        c.external_id: c.id for c in db.exec(select(Card).where(Card.provider_id == survey.id))
    }
    road, trail = choice_id("Road"), choice_id("Trail")
    for n, (choices, text) in enumerate(
        [([road, trail], '=HYPERLINK("http://x")'), ([trail], "Fresh air")]
    ):
        shopper = world.consumer(f"s{n}@example.com")
        partners.answer(shopper, cards["where"], {"choices": choices, "text": None})
        partners.answer(shopper, cards["why"], {"choices": [], "text": text})
    page = client.get(f"/portal/acme/results/surveys/{survey.id}").get_data(as_text=True)
    assert (
        '<rect class="chart__bar"' in page and "Trail: 2 (100%)" in page and "Road: 1 (50%)" in page
    )
    assert "Fresh air" in page and "=HYPERLINK(&#34;http://x&#34;)" in page
    assert "never who said it" in page and "s0@example.com" not in page
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(f"/portal/acme/results/surveys/{survey.id}/answers.csv").get_data(
                    as_text=True
                )
            )
        )
    )
    assert ["where", "Where?", "Trail", "2", "1.0", ""] in rows
    texts = [r[5] for r in rows[1:] if r[5]]
    assert sorted(texts) == ['\'=HYPERLINK("http://x")', "Fresh air"]
    not_a_survey = partners.provider(acme, "Feed")
    assert client.get(f"/portal/acme/results/surveys/{not_a_survey.id}").status_code == 404


def test_a_survey_is_judged_by_its_answers_not_by_opens(app, client, db, partners, world, acme):
    questions = [
        {"id": "where", "prompt": "Where?", "type": "single", "choices": ["Road", "Trail"]}
    ]
    survey = stored_survey(app, db, partners, acme, questions)
    now = datetime.now(UTC)
    (question,) = db.exec(select(Card.id).where(Card.provider_id == survey.id)).all()
    for n in range(4):  # shown to four shoppers, answered by three, opened by none
        shopper = world.consumer(f"s{n}@example.com")
        partners.events(shopper, question, survey.id, EventKind.IMPRESSION, 1, now)
        if n:
            partners.answer(shopper, question, {"choices": [choice_id("Trail")], "text": None})

    page = client.get(f"/portal/acme/results/providers/{survey.id}").get_data(as_text=True)
    tiles = numbers(page)
    assert tiles["Shown"] == "4" and tiles["Answered"] == "3"
    assert tiles["Response rate"] == "75.0%" and "Open rate" not in tiles
    assert "Runs: response rate per day" in page and "75.0% overall" in page
    by_card = page[page.index('id="by-card"') :]
    assert "<td>4</td><td>3</td>" in by_card and "75.0%" in by_card
    overview = client.get("/portal/acme/results/").get_data(as_text=True)
    row = overview[overview.index(">Runs</a>") :].split("</tr>")[0]
    assert "(survey: answers)" in row and "<td>3</td>" in row and "75.0%" in row


def test_the_card_table_sorts_by_any_column_and_pages_with_thumbnails(
    client, partners, world, acme
):
    provider = partners.provider(acme, "Big")
    ids = world.cards(provider, 30)
    for card in world.db.exec(select(Card).where(col(Card.id).in_(ids))):
        card.image_url = "https://img.example/x.jpg"
    world.db.commit()
    shopper = world.consumer()
    now = datetime.now(UTC)
    for n, card_id in enumerate(ids):  # card n shown n + 1 times, opened once if n is even
        partners.events(shopper, card_id, provider.id, EventKind.IMPRESSION, n + 1, now)
        if n % 2 == 0:
            partners.events(shopper, card_id, provider.id, EventKind.OPEN, 1, now)
    base = f"/portal/acme/results/providers/{provider.id}"

    def titles(page: str) -> list[str]:
        return re.findall(r'card=\d+[^"]*">(Big item \d+)</a>', page)

    first = client.get(base).get_data(as_text=True)
    assert titles(first)[:3] == ["Big item 29", "Big item 28", "Big item 27"]  # most shown
    assert len(titles(first)) == 25 and "Page 1 of 2 · 30 cards" in first
    assert first.count('src="https://img.example/x.jpg"') == 25
    assert 'aria-sort="descending"' in first and f"{base}?sort=shown&amp;" in first  # reverses
    second = client.get(base, query_string={"sort": "-shown", "page": 2}).get_data(as_text=True)
    assert titles(second) == [f"Big item {n}" for n in range(4, -1, -1)]
    by_name = client.get(base, query_string={"sort": "card"}).get_data(as_text=True)
    assert titles(by_name)[:3] == ["Big item 0", "Big item 1", "Big item 10"]
    by_rate = client.get(base, query_string={"sort": "-rate"}).get_data(as_text=True)
    assert titles(by_rate)[0] == "Big item 0"  # opened once in one showing: 100%

    bad = client.get(base, query_string={"sort": "price", "page": "9"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "Cards cannot be sorted by &#39;price&#39;" in page and "There is no page" in page
    assert titles(page)[0] == "Big item 29"
    csv_rows = list(csv.DictReader(io.StringIO(client.get(f"{base}/cards.csv").text)))
    assert len(csv_rows) == 30 and csv_rows[0]["title"] == "Big item 29"  # the CSV as before


def test_chart_geometry():
    assert [nice_step(v) for v in (0, 3, 9, 40, 1234)] == [1, 1, 5, 10, 500]
    days = [datetime(2026, 1, d, tzinfo=UTC).date() for d in (1, 2, 3)]
    chart = line_chart(
        "t",
        days,
        [("opens", "Opens", [0, 4, None], "4 in total"), ("saves", "Saves", [1, 1, 1], "3")],
    )
    opens, saves = chart.series
    assert opens.segments == ["44.0,160.0 197.0,10.0"]  # broken where the value is unknown
    assert len(saves.segments[0].split()) == 3 and opens.total == "4 in total"
    assert chart.y_ticks[-1][1] == "4" and chart.x_ticks[0][1] == "01 Jan"
    rates = line_chart("r", days[:1], [("open_rate", "Open rate", [0.25], "25%")], percent=True)
    assert rates.series[0].segments == ["197.0,35.0"]
    assert [label for _, label in rates.y_ticks] == ["0%", "10%", "20%", "30%"]
    bars = bar_chart("q", [("A" * 80, 3, 0.75), ("B", 0, 0.0)])
    assert bars.bars[0].label.endswith("…") and len(bars.bars[0].label) == 46
    assert bars.bars[1].width == 0 and bars.height == 92


def test_results_of_days_past_raw_event_retention_survive_pruning(
    app, client, partners, world, acme
):
    """Once the worker rolled them up, a year of results reads the same on the pages, in
    the CSV and from the API after raw events past their retention are deleted, and after
    housekeeping pruned an old card."""
    provider = partners.provider(acme, "Feed")
    (kept,) = world.cards(provider, 1)
    (stale,) = world.cards(provider, 1, start=9, age_hours=MAX_AGE.total_seconds() / 3600 + 24)
    shopper = world.consumer()
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=250), now - timedelta(days=2)
    partners.events(shopper, kept, provider.id, EventKind.IMPRESSION, 5, old)
    partners.events(shopper, kept, provider.id, EventKind.OPEN, 2, old)
    partners.events(shopper, stale, provider.id, EventKind.IMPRESSION, 3, old)
    partners.events(shopper, stale, provider.id, EventKind.DISMISS, 1, old)
    partners.events(shopper, kept, provider.id, EventKind.IMPRESSION, 4, recent)
    partners.events(shopper, kept, provider.id, EventKind.SAVE, 1, recent)
    today = now.date()
    year = {"from": (today - timedelta(days=365)).isoformat(), "to": today.isoformat()}
    base = f"/portal/acme/results/providers/{provider.id}"
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {partners.token(acme, 'read')}"}

    def table(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
        return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))

    def everything() -> dict[str, object]:
        stats = api.get("/api/v1/stats", query_string={**year, "provider": provider.id},
                        headers=bearer).json  # fmt: skip
        return {
            "overview": numbers(client.get("/portal/acme/results/", query_string=year).text),
            "provider": numbers(client.get(base, query_string=year).text),
            "card": numbers(client.get(base, query_string={**year, "card": kept}).text),
            "daily_csv": table(client.get(f"{base}/daily.csv", query_string=year)),
            "cards_csv": [{**row, "title": None} for row in
                          table(client.get(f"{base}/cards.csv", query_string=year))],
            "api": {**stats, "cards": [{**c, "title": None} for c in stats["cards"]]},
        }  # fmt: skip

    before = everything()  # straight from the events
    assert before["provider"]["Shown"] == "12" and before["provider"]["Dismissed"] == "1"
    assert before["card"]["Shown"] == "9" and before["api"]["totals"]["opens"] == 2
    assert {row["date"]: row["impressions"] for row in before["daily_csv"]}[
        old.date().isoformat()
    ] == "8"

    roll_up(world.db, now)
    roll_up_results(world.db, now)
    pruned = prune(world, now)
    assert pruned.events == 11  # every event of that old day
    assert prune_cards(world.db, now) == 1
    assert world.db.get(Card, stale) is None

    assert everything() == before
    page = client.get(base, query_string=year).text
    assert f"Card {stale} (no longer in the catalog)" in page
    assert f"card={stale}" not in page  # no link to a card that is gone
