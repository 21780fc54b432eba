"""Ranking through the real app and database: what a consumer does changes what comes next."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from app.ingest.refresh import refresh_provider
from app.ingest.sources import context_for
from app.models import Card, Event, EventKind
from app.ranking.candidates import build_page, load_profile

HX = {"HX-Request": "true"}
ARTICLE = re.compile(
    r'<article class="card[^"]*"[^>]*data-card-id="(\d+)"[^>]*>\s*<p class="card__reason">([^<]*)<'
)
NEXT = re.compile(r'hx-get="(/feed\?cursor=[^"]+)"')


def feed(client) -> list[tuple[int, str]]:
    """(card id, reason) of every card, scrolling through all pages of a new visit."""
    page = client.get("/").get_data(as_text=True)
    seen = []
    while True:
        seen += [(int(i), html.unescape(reason)) for i, reason in ARTICLE.findall(page)]
        more = NEXT.search(page)
        if not more:
            return seen
        page = client.get(more.group(1).replace("&amp;", "&"), headers=HX).get_data(as_text=True)


def test_a_consumer_who_follows_only_running_gets_running_cards_first(world):
    world.consumer(follows=("sports/running",))
    running = []
    for name in ("Stride", "Pace", "Tempo"):
        running += world.cards(world.provider(name), 4, interests=("sports/running",))
    camping = world.cards(world.provider("Basecamp"), 4, interests=("sports/camping",))
    kitchen = world.cards(world.provider("Brew"), 4, interests=("home/kitchen",))
    world.login()
    shown = feed(world.client)
    ids = [card_id for card_id, _ in shown]
    assert set(ids) == set(running) | set(camping)  # the kitchen is no neighbour of running
    assert not set(ids) & set(kitchen)
    assert ids[:5] == [i for i in ids if i in running][:5]
    last_running = max(ids.index(i) for i in running)
    for position, (card_id, reason) in enumerate(shown[:last_running]):
        if card_id in camping:  # only an exploration slot may put a neighbour ahead
            assert reason == "Something new for you", (position, reason)
    assert all(r == "Because you follow Running" for i, r in shown if i in running)


def test_one_not_interested_removes_the_topic_from_every_later_page(world):
    world.consumer(follows=("shoes",))
    trail = world.cards(world.provider("Trail"), 30, interests=("shoes/running/trail",))
    road = world.cards(world.provider("Road"), 10, interests=("shoes/running",))
    hiking = world.cards(world.provider("Hike"), 10, interests=("shoes/hiking",))
    token = world.login()
    assert set(trail) & {i for i, _ in feed(world.client)}
    world.client.post(
        f"/cards/{trail[0]}/not-interested",
        data={"csrf_token": token, "interest": "shoes/running"},
        headers=HX,
    )
    for _ in range(2):  # this visit and the next one, every page
        shown = {i for i, _ in feed(world.client)}
        assert shown == set(hiking)
        assert not shown & (set(trail) | set(road))


def test_saving_three_items_of_one_provider_lifts_it(world):
    world.consumer(follows=("shoes",))
    fresh = world.cards(world.provider("Fresh"), 10, interests=("shoes/running",), age_hours=1)
    older = world.cards(world.provider("Older"), 10, interests=("shoes/running",), age_hours=30)
    token = world.login()
    before = [i for i, _ in feed(world.client)]
    assert before[0] in fresh
    for card_id in older[-3:]:
        world.client.post(f"/cards/{card_id}/save", data={"csrf_token": token}, headers=HX)
    shown = feed(world.client)
    after = [i for i, _ in shown]
    assert after[0] in older
    mean = {
        name: sum(after.index(i) for i in ids) / len(ids)
        for name, ids in (("fresh", fresh), ("older", older))
    }
    assert mean["older"] < mean["fresh"]
    assert mean["older"] < sum(before.index(i) for i in older) / len(older)


def test_explanations_name_what_the_consumer_did(world):
    user = world.consumer(follows=("shoes",))
    saved = world.cards(world.provider("Saved"), 3, interests=("shoes/running",))
    world.cards(world.provider("Other"), 3, interests=("shoes/hiking",))
    token = world.login()
    for card_id in saved:
        world.client.post(f"/cards/{card_id}/save", data={"csrf_token": token}, headers=HX)
    now = datetime.now(UTC)
    taxonomy = world.app.extensions["plaza.taxonomy"]
    profile = load_profile(world.db, user, taxonomy=taxonomy, now=now)
    assert profile.affinities.providers[world.db.get(Card, saved[0]).provider_id] > 0
    assert "shoes/running" in profile.affinities.saved_interests
    page = ranked_page(world, user, now=now, page_size=20)
    by_card = {r.candidate.card_id: r for r in page.ranked}
    codes = {r.code for r in by_card[saved[0]].reasons}
    assert "liked_source" in codes
    assert by_card[saved[0]].signals["provider"] > 1.0


def test_a_card_shown_again_and_again_without_an_open_sinks_then_leaves(world):
    world.consumer(follows=("shoes",))
    ids = world.cards(world.provider("Loud"), 3, interests=("shoes/running",))
    world.login()
    seen = [set(i for i, _ in feed(world.client)) for _ in range(6)]
    assert all(set(ids) == s for s in seen[:4])
    assert seen[-1] == set()
    opened = ids[0]
    world.client.get(f"/cards/{opened}/open", headers={"Sec-Fetch-Site": "same-origin"})
    assert {i for i, _ in feed(world.client)} == {opened}


def test_promotions_are_labelled_capped_and_targeted(world):
    user = world.consumer(follows=("shoes",))
    now = datetime.now(UTC)
    world.cards(world.provider("Shop"), 12, interests=("shoes/running",))
    promo = world.provider("Promo", kind="promotion")
    other = world.provider("Elsewhere", kind="promotion")
    flight = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=1)}
    caps = {"daily_impression_cap": 1000, "per_consumer_cap": 2, "sponsor": "Brand X"}
    (promo_id,) = world.cards(promo, 1, interests=("shoes/running",), **caps)
    (off_target,) = world.cards(other, 1, interests=("home/kitchen",), **caps)
    for card_id in (promo_id, off_target):
        card = world.db.get(Card, card_id)
        card.starts_at, card.ends_at = flight["starts_at"], flight["ends_at"]
    world.db.commit()
    world.login()
    visits = [feed(world.client) for _ in range(3)]
    shown = [[i for i, _ in visit] for visit in visits]
    assert [promo_id in ids for ids in shown] == [True, True, False]  # two a day for one shopper
    assert all(off_target not in ids for ids in shown)
    first = dict(visits[0])
    assert first[promo_id] == "Sponsored by Brand X, shown to people interested in Shoes"
    assert shown[0].index(promo_id) % 5 == 4
    impressions = world.db.exec(
        Event.__table__.select().where(Event.card_id == promo_id, Event.user_id == user)
    ).all()
    assert len(impressions) == 2


def test_a_running_promotion_is_a_candidate_however_many_newer_cards_there_are(world):
    user = world.consumer(follows=("shoes",))
    now = datetime.now(UTC)
    caps = {"daily_impression_cap": 1000, "per_consumer_cap": 2, "sponsor": "Brand X"}
    (promo_id,) = world.cards(
        world.provider("Promo", kind="promotion"), 1, interests=("shoes",), age_hours=120, **caps
    )
    card = world.db.get(Card, promo_id)
    card.starts_at, card.ends_at = now - timedelta(days=5), now + timedelta(days=1)
    world.db.commit()
    world.cards(world.provider("Busy"), 12, interests=("shoes/running",))
    # far fewer candidates than the newer cards
    page = ranked_page(world, user, feed_session="window", page_size=10, candidate_limit=5)
    assert [r.candidate.card_id for r in page.ranked].index(promo_id) == 4


def running_survey(world, **caps):  # type: ignore[no-untyped-def]
    """A survey about running shoes with three questions, open since yesterday, stored
    through the survey kind's real refresh; returns its question card ids."""
    now = datetime.now(UTC)
    config = {
        "title": "Your next pair",
        "questions": [
            {"id": f"q{n}", "prompt": f"Question {n}?", "type": "single", "choices": ["A", "B"]}
            for n in range(3)
        ],
        "starts_at": (now - timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=3)).isoformat(),
        **caps,
    }
    survey = world.provider("Poll", kind="survey", config=config, interests=["shoes/running"])
    with world.app.app_context():
        assert refresh_provider(world.db, survey, context_for(world.app, survey, now), now).ok
    return set(world.db.exec(select(Card.id).where(Card.provider_id == survey.id)).all())


def test_a_shopper_who_saw_a_survey_per_consumer_cap_times_today_gets_it_no_more(world):
    user = world.consumer(follows=("shoes",))
    world.cards(world.provider("Shop"), 12, interests=("shoes/running",))
    questions = running_survey(world, per_consumer_cap=2)
    world.login()
    visits = [{i for i, _ in feed(world.client)} & questions for _ in range(3)]
    assert [len(shown) for shown in visits] == [1, 1, 0]  # one a page, two a day in all
    seen = world.db.exec(
        select(Event.id).where(
            col(Event.card_id).in_(questions),
            Event.user_id == user,
            Event.kind == EventKind.IMPRESSION,
        )
    ).all()
    assert len(seen) == 2
    world.consumer("second@example.com", follows=("shoes",))
    other = world.app.test_client()
    world.login("second@example.com", client=other)
    assert {i for i, _ in feed(other)} & questions  # the cap is per shopper


def test_a_survey_at_its_daily_cap_disappears_for_everyone_until_tomorrow(world):
    first = world.consumer(follows=("shoes",))
    world.cards(world.provider("Shop"), 12, interests=("shoes/running",))
    questions = running_survey(world, daily_impression_cap=1)
    world.login()
    assert len({i for i, _ in feed(world.client)} & questions) == 1  # the day's one view
    assert not {i for i, _ in feed(world.client)} & questions
    second = world.consumer("second@example.com", follows=("shoes",))
    other = world.app.test_client()
    world.login("second@example.com", client=other)
    assert not {i for i, _ in feed(other)} & questions  # never saw it, still none today
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for user in (first, second):
        page = ranked_page(world, user, now=tomorrow, feed_session="tomorrow", page_size=20)
        assert {r.candidate.card_id for r in page.ranked} & questions


def ranked_page(  # type: ignore[no-untyped-def]
    world,
    user: int,
    *,
    now: datetime | None = None,
    feed_session: str = "scenario",
    page_size: int = 40,
    candidate_limit: int = 100,
):
    """The consumer's next page, ranked at ``now`` as the request path ranks it."""
    now = now or datetime.now(UTC)
    return build_page(
        world.db,
        user,
        world.app.extensions["plaza.taxonomy"],
        world.app.extensions["plaza.catalog"],
        as_of=now,
        now=now,
        feed_session=feed_session,
        page_size=page_size,
        candidate_limit=candidate_limit,
    )


def _scores(world, user: int) -> dict[int, float]:
    """Each card's score on the consumer's next page (before the page's layout mixes
    topics for variety)."""
    return {r.candidate.card_id: r.score for r in ranked_page(world, user).ranked}


def test_one_save_elsewhere_does_not_outrank_what_the_consumer_follows(world):
    user = world.consumer(follows=("sports/running",))
    running = world.cards(world.provider("Stride"), 12, interests=("sports/running",))
    coffee = world.cards(world.provider("Brew"), 12, interests=("home/kitchen/coffee",))
    token = world.login()
    world.client.post(f"/cards/{coffee[0]}/save", data={"csrf_token": token}, headers=HX)
    scores = _scores(world, user)
    assert min(scores[i] for i in running) > max(scores[i] for i in coffee if i in scores)
    shown = feed(world.client)
    for card_id, reason in shown:
        if card_id in coffee and reason != "Something new for you":
            assert reason == "Similar to the Brew item 0 you saved", reason

    for card_id in coffee[1:5]:  # a habit: five coffee cards saved in all
        world.client.post(f"/cards/{card_id}/save", data={"csrf_token": token}, headers=HX)
    scores = _scores(world, user)
    unsaved = coffee[5:]
    ahead = sorted(scores, key=scores.__getitem__, reverse=True)[:12]
    assert len(set(ahead) & set(unsaved)) >= 4  # now some of them beat running cards
    reasons = {reason for card_id, reason in feed(world.client) if card_id in unsaved}
    assert reasons == {"You saved 5 cards about Coffee gear"}
