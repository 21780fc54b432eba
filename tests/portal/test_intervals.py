"""The refresh interval is asked, hinted and shown in minutes or hours, and stored in
seconds as the worker and the API count it."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from app.models import Provider
from app.portal.intervals import interval_words, read_interval, split_interval

CHANNEL = "UC-4GqbeZrTUSQzcNdMVn3_g"
PATH = "/portal/acme/providers/new/youtube"


def youtube(token: str, **fields: str) -> dict[str, str]:
    return {"csrf_token": token, "action": "save", "config.source": "channel",
            "config.channel_id": CHANNEL, "interests": "shoes", **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("seconds", "shown", "words"),
    [
        (300, ("5", "minutes"), "5 minutes"),
        (5400, ("90", "minutes"), "90 minutes"),
        (3600, ("1", "hours"), "1 hour"),
        (21600, ("6", "hours"), "6 hours"),
        (604800, ("168", "hours"), "7 days"),
        (450, ("7.5", "minutes"), "7.5 minutes"),
    ],
)
def test_a_stored_interval_round_trips_through_the_form(seconds, shown, words):
    assert split_interval(seconds) == shown
    assert read_interval(*shown) == seconds
    assert interval_words(seconds) == words


def test_the_form_asks_in_minutes_or_hours_with_a_hint_in_the_same_words(client, acme):
    page = client.get(PATH).get_data(as_text=True)
    block = page[page.index('id="f-interval-group"') :][:1500]
    assert "(seconds)" not in block
    assert re.findall(r'<option value="(\w+)"', block) == ["minutes", "hours"]
    assert "Left blank: every 1 hour. Between 5 minutes and 7 days." in block


def test_hours_typed_are_stored_as_seconds_and_shown_back_in_hours(partners, client, db, acme):
    token = partners.csrf(client, PATH)
    saved = client.post(PATH, data=youtube(token, interval="6", interval_unit="hours"))
    assert saved.status_code == 303, saved.get_data(as_text=True)
    provider = db.exec(select(Provider)).one()
    assert provider.interval_seconds == 6 * 3600
    detail = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "<dt>Refreshes every</dt><dd>6 hours</dd>" in detail
    edit = client.get(f"/portal/acme/providers/{provider.id}/edit").get_data(as_text=True)
    assert 'name="interval" value="6"' in edit
    assert '<option value="hours" selected>' in edit


@pytest.mark.parametrize(
    ("typed", "unit", "message"),
    [
        ("soon", "minutes", "Enter a number of minutes, like 30, or leave it blank."),
        ("-2", "hours", "Enter a number of hours above 0, or leave it blank."),
        ("2", "minutes", "Choose an interval between 5 minutes and 7 days."),
        ("200", "hours", "Choose an interval between 5 minutes and 7 days."),
        ("3", "fortnights", "Choose minutes or hours."),
    ],
)
def test_a_bad_interval_is_explained_in_the_units_asked_and_nothing_is_saved(
    partners, client, db, acme, typed, unit, message
):
    token = partners.csrf(client, PATH)
    response = client.post(PATH, data=youtube(token, interval=typed, interval_unit=unit))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    block = page[page.index('id="f-interval-group"') :][:2000]
    assert message in block
    assert "seconds" not in block
    assert f'name="interval" value="{typed}"' in block  # what was typed stays
    assert f"Refresh every: {message}" in page  # the summary names the field
    assert db.exec(select(Provider)).all() == []
