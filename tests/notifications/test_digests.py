"""Digests on a frozen clock: one per channel per local morning, whatever the day.

A shopper who gets new products as a daily email and new boards as a weekly one
meets both digests on Monday morning; they get one email with both parts, never
two. The week is walked day by day from every weekday, across both of 2026's
daylight-saving changes in Paris, so the outcome cannot depend on the day the
suite runs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.models.notifications import NotificationSettings

PARIS = ZoneInfo("Europe/Paris")
# Monday 23 March 2026 starts the week whose Sunday the clocks go forward (29 March);
# Monday 19 October starts the week whose Sunday they go back (25 October).
SPRING_WEEK = [datetime(2026, 3, 23 + n, 12, 0, tzinfo=PARIS) for n in range(7)]
AUTUMN_WEEK = [datetime(2026, 10, 19 + n, 12, 0, tzinfo=PARIS) for n in range(7)]


def local_date(message: EmailMessage) -> date:
    return parsedate_to_datetime(message["Date"]).astimezone(PARIS).date()


def paris_shopper(world, notify) -> int:  # type: ignore[no-untyped-def]
    """Products by daily email, boards by weekly email (the default for email)."""
    user = notify.consumer(world, timezone="Europe/Paris", follows=("shoes",))
    notify.choose(user, "products", "email", "daily")
    return user


def test_a_daily_and_a_weekly_digest_that_meet_go_out_as_one_email(world, notify, db):
    sunday = datetime(2026, 3, 29, 12, 0, tzinfo=PARIS)  # also the day clocks go forward
    with time_machine.travel(sunday, tick=False) as traveller:
        user = paris_shopper(world, notify)
        notify.run()
        products = world.provider("Northwind")
        boards = world.provider("Boards", kind="pinterest")
        world.cards(products, 2, interests=("shoes",))
        world.cards(boards, 1, interests=("shoes",))
        notify.run()
        settings = db.get(NotificationSettings, user)
        assert settings.daily_due_at == settings.weekly_due_at  # Monday 08:00 in Paris
        monday_eight = settings.daily_due_at
        assert monday_eight.astimezone(PARIS).strftime("%A %H:%M") == "Monday 08:00"

        traveller.move_to(monday_eight + timedelta(minutes=1))
        totals = notify.run()
        assert totals["digests"] == 1  # in Plaza these cards went out at once
        (message,) = notify.mail.messages
        assert message["Subject"] == "Your picks for today and this week"
        text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        today, this_week = text.index("\nToday\n====="), text.index("\nThis week\n=====")
        assert today < text.index("* Northwind item 0", today) < this_week
        assert text.index("* New board: Boards item 0") > this_week
        html = message.get_body(("html",)).get_content()
        assert ">Today</h2>" in html and ">This week</h2>" in html
        (digest,) = [r for r in notify.rows(user, channel="email") if r.category == "digest"]
        assert [part["mode"] for part in digest.content["parts"]] == ["daily", "weekly"]
        # Both are rescheduled: the daily for Tuesday, the weekly for the next Monday.
        settings = db.get(NotificationSettings, user)
        assert settings.daily_due_at == monday_eight + timedelta(days=1)
        assert settings.weekly_due_at == monday_eight + timedelta(days=7)

        traveller.shift(timedelta(hours=2))
        notify.run()
        assert len(notify.mail.messages) == 1

        # The email's digest page in Plaza shows the parts under their own headings.
        world.login()
        page = world.client.get(f"/notifications/{digest.id}").get_data(as_text=True)
        assert "Your picks for today and this week" in page
        assert page.index("Today") < page.index("This week")


def test_a_weekly_digest_alone_keeps_its_own_heading(world, notify, db):
    sunday = datetime(2026, 10, 25, 12, 0, tzinfo=PARIS)  # the day clocks go back
    with time_machine.travel(sunday, tick=False) as traveller:
        user = paris_shopper(world, notify)
        notify.run()
        world.cards(world.provider("Boards", kind="pinterest"), 2, interests=("shoes",))
        notify.run()
        due = db.get(NotificationSettings, user).weekly_due_at
        assert due.astimezone(PARIS).strftime("%A %H:%M") == "Monday 08:00"
        traveller.move_to(due + timedelta(minutes=1))
        notify.run()
        (message,) = notify.mail.messages
        assert message["Subject"] == "Your weekly picks"
        assert "Today" not in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("start", SPRING_WEEK + AUTUMN_WEEK, ids=lambda d: d.strftime("%a-%d-%b"))
def test_at_most_one_digest_email_a_morning_whatever_day_the_week_starts(world, notify, db, start):
    """Eight days from ``start``: new products and boards every day, the worker running
    before and after each local morning. Every morning brings at most one email, each
    morning after the first brings the day's products, and Monday's carries both parts."""
    with time_machine.travel(start, tick=False) as traveller:
        user = paris_shopper(world, notify)
        notify.run()
        products = world.provider("Northwind")
        boards = world.provider("Boards", kind="pinterest")
        for day in range(8):
            noon = datetime.combine(start.date() + timedelta(days=day), start.timetz())
            traveller.move_to(noon)
            world.cards(products, 1, interests=("shoes",), start=day)
            world.cards(boards, 1, interests=("shoes",), start=day)
            notify.run()
            for hour, minute in ((7, 59), (8, 1), (8, 30)):
                traveller.move_to(noon.replace(hour=hour, minute=minute) + timedelta(days=1))
                notify.run()
        sent = [(local_date(m), m["Subject"]) for m in notify.mail.messages]
        mornings = Counter(day for day, _ in sent)
        assert set(mornings.values()) == {1}
        first = start.date() + timedelta(days=1)
        assert sorted(mornings) == [first + timedelta(days=n) for n in range(8)]
        assert {subject for day, subject in sent if day.weekday() == 0} == {
            "Your picks for today and this week"
        }
        assert {subject for day, subject in sent if day.weekday() != 0} == {"Your daily picks"}
        # Nothing was left waiting for a digest that never came.
        waiting = [r for r in notify.rows(user, channel="email") if r.state == "waiting"]
        assert all(r.mode == "weekly" for r in waiting)
