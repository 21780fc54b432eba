"""The settings page as rows: each category's switch, how often and channels show what is
stored; each control saves on its own (htmx) or with the whole form (no JavaScript);
channels the server cannot deliver on are not offered, and what was chosen for them
is kept; the time zone is picked from a list the server checks."""

from __future__ import annotations

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
import time_machine
from sqlmodel import select

from app.models.notifications import NotificationPreference, NotificationSettings
from app.notifications.catalog import CATEGORY_LABELS, Category, Channel, Frequency
from app.notifications.preferences import choices_for

HTMX = {"HX-Request": "true"}
PAGE = "/settings/notifications"


class Controls(HTMLParser):
    """The form controls of a page as a browser would submit them: each select's chosen
    value, each checkbox's state, and which controls carry htmx attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.selects: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.checked: dict[str, bool] = {}
        self.htmx: dict[str, dict[str, str]] = {}
        self.oob: list[str] = []
        self.groups: list[str] = []
        self._select: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "hx-swap-oob" in a:
            self.oob.append(a.get("id", ""))
        name = a.get("name", "")
        if "hx-post" in a and name:
            self.htmx[name] = a
        if tag == "select":
            self._select = name
            self.options[name] = []
        elif tag == "optgroup" and self._select == "timezone":
            self.groups.append(a.get("label", ""))
        elif tag == "option" and self._select is not None:
            self.options[self._select].append(a.get("value", ""))
            if "selected" in a or self._select not in self.selects:
                self.selects[self._select] = a.get("value", "")
        elif tag == "input" and a.get("type") == "checkbox":
            self.checked[name] = "checked" in a

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def page(world) -> Controls:  # type: ignore[no-untyped-def]
    response = world.client.get(PAGE)
    assert response.status_code == 200
    return Controls(response.get_data(as_text=True))


def prefs(db, user_id: int) -> set[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    db.expire_all()
    rows = db.exec(select(NotificationPreference).where(NotificationPreference.user_id == user_id))
    return {(r.category, r.channel, r.frequency) for r in rows}


def choose(db, user_id: int, *choices: tuple[str, str, str]) -> None:  # type: ignore[no-untyped-def]
    """Preferences as an earlier release of the page stored them."""
    for category, channel, frequency in choices:
        db.add(NotificationPreference(user_id=user_id, category=category, channel=channel,
                                      frequency=frequency))  # fmt: skip
    db.commit()


@pytest.fixture
def email(app):  # type: ignore[no-untyped-def]
    """A server with SMTP set up (nothing is sent by these tests)."""
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    return app


def test_every_category_is_one_row_showing_what_was_stored(world, db, email):
    user = world.consumer()
    choose(
        db,
        user,
        ("products", "email", "daily"),
        ("videos", "in_app", "off"),
        ("videos", "push", "off"),
        ("videos", "email", "off"),
        ("promotions", "push", "instant"),
        ("surveys", "in_app", "weekly"),
        ("surveys", "email", "off"),
    )
    world.login()
    html = world.client.get(PAGE).get_data(as_text=True)
    controls = Controls(html)
    for category in Category:
        assert CATEGORY_LABELS[category][0] in html
        assert f'id="pref-{category}"' in html
        assert f"{category}.often" in controls.selects
    # New products: on, right away in Plaza and push, email daily behind "More".
    assert controls.checked["products.on"]
    assert controls.selects["products.often"] == "instant"
    assert [controls.selects[f"products.{ch}"] for ch in ("in_app", "push", "email")] == [
        "instant",
        "instant",
        "daily",
    ]
    # Videos: every channel was off, so the row is off, and says so.
    assert not controls.checked["videos.on"]
    assert controls.selects["videos.often"] == ""
    # Promotions: push right away (off by default) is still there.
    assert controls.selects["promotions.push"] == "instant"
    # Surveys: weekly in Plaza is how often the row says.
    assert (controls.checked["surveys.on"], controls.selects["surveys.often"]) == (True, "weekly")
    # How often offers the three rhythms; off is the switch's job.
    assert controls.options["boards.often"] == ["instant", "daily", "weekly"]
    assert controls.options["boards.email"] == ["instant", "daily", "weekly", "off"]
    assert html.count('<details class="pref__more">') == len(Category)
    # Auto-saving page: no sticky or floating Save, one plain Save for browsers without JS.
    assert "sticky-actions" not in html
    assert html.count('type="submit" class="button">Save</button>') == 1
    noscript = html[html.index("<noscript>") : html.index("</noscript>")]
    assert ">Save</button>" in noscript


def test_each_control_saves_alone_with_htmx_and_redraws_its_row(world, db, email):
    user = world.consumer()
    token = world.login()
    controls = page(world)
    # Every control posts just its own fields, and says "Saved" in its own row.
    switch = controls.htmx["products.on"]
    assert switch["hx-params"] == "csrf_token,products.switch,products.on"
    assert switch["hx-target"] == "#products-status"
    assert controls.htmx["products.email"]["hx-params"] == "csrf_token,products.email"
    assert controls.htmx["timezone"]["hx-target"] == "#timezone-status"

    def post(**fields: str):  # type: ignore[no-untyped-def]
        response = world.client.post(PAGE, data={"csrf_token": token, **fields}, headers=HTMX)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert "HX-Request" in response.headers["Vary"]
        body = response.get_data(as_text=True)
        assert "Saved." in body and "<html" not in body
        return Controls(body)

    # How often: every channel that is on follows.
    answer = post(**{"products.often": "daily"})
    assert answer.oob == ["products-switch", "products-often-slot", "products-channels"]
    assert answer.selects["products.email"] == "daily"
    assert prefs(db, user) == {
        ("products", "in_app", "daily"),
        ("products", "push", "daily"),
        ("products", "email", "daily"),
    }
    # One channel, behind "More".
    answer = post(**{"products.push": "off"})
    assert answer.selects["products.often"] == "daily"
    assert ("products", "push", "off") in prefs(db, user)
    # The switch: off keeps every channel's choice for when it comes back on.
    answer = post(**{"products.switch": "1"})
    assert not answer.checked["products.on"]
    assert choices_for(db, [user])[user][(Category.PRODUCTS, Channel.IN_APP)] == Frequency.OFF
    assert page(world).selects["products.email"] == "daily"
    answer = post(**{"products.switch": "1", "products.on": "1"})
    assert answer.checked["products.on"]
    assert prefs(db, user) == {
        ("products", "in_app", "daily"),
        ("products", "push", "off"),
        ("products", "email", "daily"),
    }


def test_a_category_switched_off_reaches_no_channel_and_comes_back_as_it_was(world, db):
    user = world.consumer()
    token = world.login()
    choose(db, user, ("community", "email", "daily"))
    off = {"csrf_token": token, "community.switch": "1"}
    assert world.client.post(PAGE, data=off, headers=HTMX).status_code == 200
    in_force = choices_for(db, [user])[user]
    assert {in_force[(Category.COMMUNITY, ch)] for ch in Channel} == {Frequency.OFF}
    assert in_force[(Category.PRODUCTS, Channel.IN_APP)] == Frequency.INSTANT
    on = {**off, "community.on": "1"}
    assert world.client.post(PAGE, data=on, headers=HTMX).status_code == 200
    assert choices_for(db, [user])[user][(Category.COMMUNITY, Channel.EMAIL)] == Frequency.DAILY


def test_switching_on_a_row_whose_channels_were_all_off_brings_back_the_defaults(world, db):
    user = world.consumer()
    token = world.login()
    choose(db, user, ("boards", "in_app", "off"), ("boards", "push", "off"))
    assert not page(world).checked["boards.on"]
    data = {"csrf_token": token, "boards.switch": "1", "boards.on": "1"}
    assert world.client.post(PAGE, data=data, headers=HTMX).status_code == 200
    assert prefs(db, user) == set()  # the defaults, stored as nothing
    assert page(world).checked["boards.on"]


def test_without_javascript_the_whole_form_saves_what_changed(world, db, email):
    user = world.consumer()
    token = world.login()
    choose(db, user, ("products", "email", "daily"))
    form = {"csrf_token": token, **page(world).selects}
    for category in Category:
        form[f"{category}.switch"] = "1"
        form[f"{category}.on"] = "1"
    del form["videos.on"]  # the box unticked
    form["boards.often"] = "weekly"  # the row's rhythm
    form["surveys.email"] = "off"  # one channel behind "More"
    form["surveys.often"] = "daily"  # and the row's rhythm, for the other channels
    form.update(quiet_start="22:00", quiet_end="07:00", push_daily_cap="5")
    response = world.client.post(PAGE, data=form)
    assert response.status_code == 303
    assert "HX-Request" in response.headers["Vary"]
    assert "Notification settings saved." in world.client.get(response.headers["Location"]).text
    assert prefs(db, user) == {
        ("products", "email", "daily"),  # shown and sent back unchanged: kept
        ("videos", "all", "off"),
        ("boards", "in_app", "weekly"),
        ("boards", "push", "weekly"),  # and email, weekly already: the default
        ("surveys", "in_app", "daily"),
        ("surveys", "email", "off"),
    }


def test_email_is_offered_only_when_the_server_can_send_it(world, db, app):
    user = world.consumer()
    world.login()
    choose(db, user, ("products", "email", "daily"))
    without = world.client.get(PAGE).get_data(as_text=True)
    assert 'name="products.email"' not in without
    assert not [name for name in Controls(without).selects if name.endswith(".email")]
    assert "not set up" not in without
    # Saves meanwhile keep the email choice for the day email is set up.
    token = world.csrf(PAGE)
    data = {"csrf_token": token, "products.often": "weekly"}
    assert world.client.post(PAGE, data=data, headers=HTMX).status_code == 200
    off_and_on = {"csrf_token": token, "products.switch": "1"}
    world.client.post(PAGE, data=off_and_on, headers=HTMX)
    world.client.post(PAGE, data={**off_and_on, "products.on": "1"}, headers=HTMX)
    assert ("products", "email", "daily") in prefs(db, user)
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    controls = page(world)
    assert controls.selects["products.email"] == "daily"
    assert controls.selects["products.in_app"] == "weekly"


def test_push_is_offered_only_with_a_vapid_key(world, db, app):
    user = world.consumer()
    world.login()
    choose(db, user, ("videos", "push", "daily"))
    html = world.client.get(PAGE).get_data(as_text=True)
    assert 'name="videos.push"' in html and 'id="push"' in html
    assert 'name="push_daily_cap"' in html
    # No device yet: the push choices wait, hidden, for a browser that can take push.
    assert "data-push-choice hidden" in html
    app.config["VAPID_PRIVATE_KEY"] = "not a key"
    app.extensions.pop("plaza.vapid", None)
    without = world.client.get(PAGE).get_data(as_text=True)
    assert 'name="videos.push"' not in without
    assert 'id="push"' not in without and 'name="push_daily_cap"' not in without
    assert world.client.get(f"{PAGE}/push").status_code == 404
    token = world.csrf(PAGE)
    world.client.post(PAGE, data={"csrf_token": token, "videos.often": "weekly"}, headers=HTMX)
    assert ("videos", "push", "daily") in prefs(db, user)


def test_push_choices_show_for_an_account_with_a_push_device(world, db, notify):
    user = notify.consumer(world)
    notify.subscribe(user)
    world.login()
    html = world.client.get(PAGE).get_data(as_text=True)
    assert 'name="videos.push"' in html and "data-push-choice hidden" not in html


@pytest.mark.parametrize(
    ("day", "paris", "sydney"),
    [("2026-01-15", "UTC+01:00", "UTC+11:00"), ("2026-07-15", "UTC+02:00", "UTC+10:00")],
)
def test_the_time_zone_list_is_grouped_with_todays_offsets(world, day, paris, sydney):
    with time_machine.travel(datetime.fromisoformat(f"{day}T12:00:00+00:00"), tick=False):
        world.consumer()
        world.login()
        html = world.client.get(PAGE).get_data(as_text=True)
    controls = Controls(html)
    assert controls.selects["timezone"] == ""  # not set: UTC
    assert controls.groups[:3] == ["Africa", "America", "Antarctica"]
    assert "Europe" in controls.groups and "Other" in controls.groups
    assert f'value="Europe/Paris">Paris · {paris}</option>' in html
    assert f'value="Australia/Sydney">Sydney · {sydney}</option>' in html
    assert 'value="America/Argentina/Buenos_Aires">Argentina/Buenos Aires · UTC-03:00' in html
    assert "data-timezone-search" in html and "data-timezone-offer" in html


def test_a_time_zone_is_picked_from_the_list_and_checked(world, db):
    user = world.consumer()
    token = world.login()
    data = {"csrf_token": token, "timezone": "Asia/Kolkata"}
    response = world.client.post(PAGE, data=data, headers=HTMX)
    assert "Time zone: Asia/Kolkata." in response.get_data(as_text=True)
    assert Controls(world.client.get(PAGE).get_data(as_text=True)).selects["timezone"] == (
        "Asia/Kolkata"
    )
    for bad in ("Mars/Olympus", "asia/kolkata", "<b>Paris</b>"):
        data = {"csrf_token": token, "timezone": bad}
        refused = world.client.post(PAGE, data=data, headers=HTMX)
        assert refused.status_code == 422
        assert "is not a time zone; pick one like Europe/Paris." in refused.text
        assert "<b>" not in refused.text
        no_js = world.client.post(PAGE, data=data)
        assert no_js.status_code == 422 and "is not a time zone" in no_js.text
    db.expire_all()
    assert db.get(NotificationSettings, user).timezone == "Asia/Kolkata"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hobbies.email", "daily", "“hobbies” is not a kind of notification Plaza sends."),
        ("products.fax", "daily", "“fax” is not a way Plaza notifies"),
        ("products.often", "off", "is not how often Plaza can tell you"),
        ("products.often", "hourly", "is not how often Plaza can tell you"),
        ("products.email", "sometimes", "is not a frequency Plaza knows"),
    ],
)
def test_bad_rows_are_explained_and_change_nothing(world, db, field, value, message):
    user = world.consumer()
    token = world.login()
    data = {"csrf_token": token, "videos.switch": "1", field: value}
    for headers in (HTMX, {}):
        response = world.client.post(PAGE, data=data, headers=headers)
        assert response.status_code == 422
        assert message in response.text
    assert prefs(db, user) == set()
    assert world.client.get(PAGE).status_code == 200


def test_quiet_hours_and_pause_sit_together_and_save_alone(world, db):
    user = world.consumer()
    token = world.login()
    html = world.client.get(PAGE).get_data(as_text=True)
    controls = Controls(html)
    when = html[html.index('id="when-title"') :]
    assert when.index('name="quiet_start"') < when.index('id="pause"')
    assert controls.htmx["quiet_start"]["hx-params"] == (
        "csrf_token,quiet_enabled,quiet_start,quiet_end"
    )
    # The pause buttons belong to a form of their own: a pause never sends the settings.
    assert 'form="pause-form"' in html and '<form id="pause-form"' in html
    data = {"csrf_token": token, "quiet_start": "21:00", "quiet_end": "06:30"}
    data["quiet_enabled"] = "1"
    response = world.client.post(PAGE, data=data, headers=HTMX)
    assert response.status_code == 200 and "Saved." in response.text
    db.expire_all()
    stored = db.get(NotificationSettings, user)
    assert (stored.quiet_start, stored.quiet_end) == (21 * 60, 6 * 60 + 30)
    paused = world.client.post(
        f"{PAGE}/pause", data={"csrf_token": token, "for": "1h"}, headers=HTMX
    )
    assert "Paused until" in paused.text and 'form="pause-form"' in paused.text
    db.expire_all()
    assert db.get(NotificationSettings, user).paused_until > datetime.now(UTC)


def test_an_unsubscribed_shopper_is_told_email_is_off_and_can_turn_it_back_on(world, db, app):
    user = world.consumer()
    token = world.login()
    db.add(NotificationSettings(user_id=user, email_enabled=False))
    db.commit()
    # Without email on this server there is nothing to turn back on.
    assert "Email is off" not in world.client.get(PAGE).text
    app.config["SMTP_URL"] = "smtp://127.0.0.1:1"
    html = world.client.get(PAGE).text
    assert "Email is off" in html and "Turn email back on" in html
    assert 'name="products.email"' in html  # the choices wait for email to come back
    response = world.client.post(f"{PAGE}/email", data={"csrf_token": token})
    assert response.status_code == 303
    db.expire_all()
    assert db.get(NotificationSettings, user).email_enabled
    assert "Email is off" not in world.client.get(PAGE).text
