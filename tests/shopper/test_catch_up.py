""" "Since your last visit": a shopper back after a gap finds the best cards stored since
their previous visit grouped at the top of their feed, foldable, at most six, and the
feed below never repeats them; before the gap there is no such group."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import time_machine
from sqlmodel import delete

from app.models import PreparedFeed
from tests.shopper.test_feed import card_ids, scroll_all
from tests.statements import recorded_sql, statements

HEADING = "<summary>Since your last visit</summary>"


def text(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


class _Group(HTMLParser):
    """The cards inside the page's "Since your last visit" group (cards have <details>
    menus of their own, so the group's end is found by nesting)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0  # of <details> inside the group, the group's own counted
        self.cards: list[int] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "details" and (self.depth or "catch-up" in (found.get("class") or "")):
            self.depth += 1
        elif tag == "article" and self.depth and found.get("data-card-id"):
            self.cards.append(int(found["data-card-id"] or 0))

    def handle_endtag(self, tag: str) -> None:
        if tag == "details" and self.depth:
            self.depth -= 1


def caught_up(page: str) -> list[int]:
    group = _Group()
    group.feed(page)
    return group.cards


def first_visit(world: Any, start: datetime) -> list[int]:
    with time_machine.travel(start, tick=False):
        world.consumer(follows=("shoes",))
        old = world.cards(world.provider("Shop"), 30, interests=("shoes/running",))
        world.login()
        page = text(world.client.get("/"))
    assert HEADING not in page  # a first visit has nothing to catch up on
    return list(old)


def come_back(world: Any, at: datetime, new_cards: int = 9) -> tuple[list[int], str]:
    """At ``at``: a shop stores ``new_cards`` cards about running shoes, then the shopper
    opens their feed; returns the new cards and the first page."""
    with time_machine.travel(at, tick=False):
        new = world.cards(world.provider(f"Fresh {at:%H%M}"), new_cards, age_hours=0.2)
        return list(new), text(world.client.get("/"))


def start_time() -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(days=10)


def test_after_a_gap_the_best_new_cards_come_first_and_are_not_repeated(world):
    start = start_time()
    old = first_visit(world, start)
    back = start + timedelta(hours=world.app.config["CATCH_UP_GAP_HOURS"], minutes=5)
    new, page = come_back(world, back)
    assert '<details class="catch-up" open>' in page  # foldable, open to begin with
    grouped = caught_up(page)
    assert len(grouped) == 6 and set(grouped) <= set(new)
    with time_machine.travel(back, tick=False):
        visit = scroll_all(world.client, page)
    assert len(visit) == len(set(visit))  # the feed below never repeats them
    assert set(visit) == set(old) | set(new)
    # Opened again a minute later, the feed has nothing new to group.
    with time_machine.travel(back + timedelta(minutes=1), tick=False):
        assert caught_up(text(world.client.get("/"))) == []


def test_before_the_gap_there_is_no_group(world):
    start = start_time()
    first_visit(world, start)
    gap = world.app.config["CATCH_UP_GAP_HOURS"]
    new, page = come_back(world, start + timedelta(hours=gap) - timedelta(minutes=5))
    assert HEADING not in page
    assert set(new) & set(card_ids(page))  # the new cards are in the feed all the same


def test_the_gap_is_a_setting(world):
    world.app.config["CATCH_UP_GAP_HOURS"] = 1.5
    start = start_time()
    first_visit(world, start)
    new, page = come_back(world, start + timedelta(hours=2), new_cards=3)
    assert sorted(caught_up(page)) == sorted(new)  # fewer than six: all of them


def test_a_shopper_back_after_a_long_absence_is_caught_up_too(world):
    start = start_time()
    first_visit(world, start)
    # The worker forgets the visit rows of shoppers away for days; their events remain.
    world.db.execute(delete(PreparedFeed))
    world.db.commit()
    new, page = come_back(world, start + timedelta(days=6))
    assert len(caught_up(page)) == 6 and set(caught_up(page)) <= set(new)


def test_a_filter_chip_is_not_a_new_visit(world):
    start = start_time()
    first_visit(world, start)
    back = start + timedelta(hours=world.app.config["CATCH_UP_GAP_HOURS"], minutes=5)
    with time_machine.travel(back, tick=False):
        world.cards(world.provider("Later"), 3, age_hours=0.2)
        assert HEADING not in text(world.client.get("/?only=new"))
        assert len(caught_up(text(world.client.get("/")))) == 3  # the visit is still due


def test_knowing_the_previous_visit_costs_no_query_of_its_own(world):
    first_visit(world, start_time())
    engine = world.app.extensions["plaza.engine"]
    with recorded_sql(engine) as sql, statements(world.app) as seen:
        world.client.get("/")
    assert seen["SELECT", "prepared_feed"] == 1  # the row the prepared page is read from
    assert not [s for s in sql if "max(event.created_at)" in s]  # no history read for it
    # Once the row is gone (a long absence), the newest event says when they came.
    world.db.execute(delete(PreparedFeed))
    world.db.commit()
    with recorded_sql(engine) as sql:
        world.client.get("/")
    assert len([s for s in sql if "max(event.created_at)" in s]) == 1
