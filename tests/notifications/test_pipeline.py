"""From new cards to delivered notifications, through real SMTP and Web Push receivers
on loopback: what goes out instantly, what waits for a digest, what is held, retried,
refused or dropped, and that nothing goes out twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from app.models import CardState, ProviderBlock
from app.models.notifications import NotificationSettings, PushSubscription
from app.notifications.messages import notify_account

HTMX = {"HX-Request": "true"}


def now() -> datetime:
    return datetime.now(UTC)


def by_channel(rows):
    out: dict[str, list] = {}
    for row in rows:
        out.setdefault(row.channel, []).append(row)
    return out


def test_a_new_card_reaches_each_chosen_channel_once(world, notify):
    user = notify.consumer(world)
    browser = notify.subscribe(user)
    notify.run()
    provider = world.provider()
    card_ids = world.cards(provider, 2)
    notify.run()
    rows = by_channel(notify.rows(user))
    assert [(r.state, r.mode) for r in rows["in_app"]] == [("sent", "instant")] * 2
    assert [(r.state, r.mode) for r in rows["push"]] == [("sent", "instant")] * 2
    assert [(r.state, r.mode) for r in rows["email"]] == [("waiting", "weekly")] * 2
    pushes = notify.push.for_token(browser.token)
    assert notify.push.errors == []
    assert sorted(p.data["title"] for p in pushes) == ["Northwind item 0", "Northwind item 1"]
    push_ids = {r.id for r in rows["push"]}
    assert {p.topic for p in pushes} == {f"n{i}" for i in push_ids}
    assert {p.data["url"] for p in pushes} == {
        f"https://plaza.example/notifications/{i}/open" for i in push_ids
    }
    assert all(p.ttl == 86400 and p.urgency == "normal" for p in pushes)
    # Again, and after the retailer's feed repeats the same items: nothing new goes out.
    world.cards(provider, 2)
    notify.run()
    assert len(notify.rows(user)) == 6
    assert len(notify.push.received) == 2
    # The bell counts the unread ones.
    world.login()
    bell = world.client.get("/notifications/bell").get_data(as_text=True)
    assert "2 unread" in bell
    assert {r.card_id for r in rows["in_app"]} == set(card_ids)


def test_only_cards_that_rank_high_go_out_instantly_and_mutes_and_hides_hold(world, notify, db):
    runner = notify.consumer(world, follows=("shoes/running",))
    hider = notify.consumer(world, "hider@example.com")
    notify.subscribe(runner)
    notify.run()
    provider = world.provider()
    db.add(ProviderBlock(user_id=hider, provider_id=provider.id))
    db.commit()
    # A card about `shoes` only partly matches someone who follows running shoes.
    world.cards(provider, 1, interests=("shoes",))
    notify.run()
    rows = by_channel(notify.rows(runner))
    assert [(r.state, r.mode) for r in rows["in_app"]] == [("waiting", "daily")]
    assert [(r.state, r.mode) for r in rows["push"]] == [("waiting", "daily")]
    assert notify.push.received == []
    assert notify.rows(hider) == []
    # At their local morning the centre gets one digest, which opens as a page of cards.
    due = db.get(NotificationSettings, runner).daily_due_at
    notify.run(clock=lambda: due + timedelta(minutes=1))
    (digest,) = [r for r in notify.rows(runner, channel="in_app") if r.category == "digest"]
    assert digest.state == "sent"
    world.login()
    opened = world.client.get(f"/notifications/{digest.id}/open")
    assert opened.headers["Location"].endswith(f"/notifications/{digest.id}")
    page = world.client.get(f"/notifications/{digest.id}").get_data(as_text=True)
    assert "Your daily picks" in page and "Northwind item 0" in page


def test_channels_turned_off_or_without_a_browser_get_nothing(world, notify):
    user = notify.consumer(world)
    notify.choose(user, "products", "in_app", "off")
    notify.run()
    world.cards(world.provider(), 1)
    notify.run()
    assert [r.channel for r in notify.rows(user)] == ["email"]


def test_a_price_drop_on_a_saved_card_goes_out_once_per_new_price(world, notify, db):
    user = notify.consumer(world, follows=("home",))
    browser = notify.subscribe(user)
    notify.run()
    provider = world.provider()
    (card_id,) = world.cards(provider, 1)
    db.add(CardState(user_id=user, card_id=card_id, saved_at=now()))
    db.commit()
    notify.run()
    assert notify.rows(user) == []  # not about an interest they follow
    world.cards(provider, 1, price="40.00")
    notify.run()
    rows = by_channel(notify.rows(user))
    assert rows["in_app"][0].subject == f"price:{card_id}:40.00"
    assert rows["in_app"][0].state == "sent"
    (push,) = notify.push.for_token(browser.token)
    assert push.data["title"] == "Price drop: Northwind item 0"
    assert push.data["body"] == "Now $40.00, was $50.00"
    assert push.urgency == "high"
    world.cards(provider, 1, price="40.00")
    notify.run()
    assert len(notify.push.received) == 1


def test_a_daily_digest_email_at_local_morning_with_one_click_unsubscribe(world, notify, db):
    user = notify.consumer(world, timezone="Europe/Paris")
    notify.choose(user, "products", "email", "daily")
    notify.run()
    card_ids = world.cards(world.provider(), 3)
    notify.run()
    assert notify.mail.messages == []
    due = db.get(NotificationSettings, user).daily_due_at
    assert due.astimezone(ZoneInfo("Europe/Paris")).hour == 8
    totals = notify.run(clock=lambda: due + timedelta(minutes=1))
    assert totals["digests"] >= 1
    notify.run(clock=lambda: due + timedelta(minutes=2))
    (message,) = notify.mail.messages
    assert message["Subject"] == "Your daily picks"
    assert message["To"] == "shopper@example.com"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    digest = next(r for r in notify.rows(user, channel="email") if r.category == "digest")
    assert message["Message-ID"] == f"<notification.{digest.id}.{user}@plaza.example>"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for card_id in card_ids:
        assert f"https://plaza.example/cards/{card_id}/open" in text
        assert f"https://plaza.example/cards/{card_id}/open" in html
    assert "Northwind item 2" in html
    assert {r.state for r in notify.rows(user, channel="email") if r.category != "digest"} == {
        "digested"
    }
    # One-click: the mail client POSTs to the List-Unsubscribe address, without a cookie.
    link = message["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("https://plaza.example")
    stranger = world.app.test_client()
    assert "Stop emails from Plaza?" in stranger.get(path).get_data(as_text=True)
    response = stranger.post(path, data="List-Unsubscribe=One-Click",
                             content_type="application/x-www-form-urlencoded")  # fmt: skip
    assert response.status_code == 200
    assert "unsubscribed" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(NotificationSettings, user).email_enabled is False
    tampered = stranger.post(path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB"))
    assert tampered.status_code == 400
    assert "not valid" in tampered.get_data(as_text=True)
    world.cards(world.provider("Harbor"), 1)
    notify.run()
    assert all(r.channel != "email" for r in notify.rows(user) if r.subject.startswith("card:4"))


def test_the_centre_marks_read_and_opens_the_card(world, notify):
    user = notify.consumer(world)
    notify.run()
    world.cards(world.provider(), 2)
    notify.run()
    first, second = notify.rows(user, channel="in_app")
    token = world.login()
    page = world.client.get("/notifications").get_data(as_text=True)
    assert "Northwind item 0" in page and "Mark as read" in page
    response = world.client.post(
        f"/notifications/{first.id}/read", data={"csrf_token": token}, headers=HTMX
    )
    body = response.get_data(as_text=True)
    assert 'hx-swap-oob="true"' in body and "1 unread" in body
    opened = world.client.get(f"/notifications/{second.id}/open")
    assert opened.headers["Location"].endswith(f"/cards/{second.card_id}/open")
    assert "unread" not in world.client.get("/notifications/bell").get_data(as_text=True)
    assert world.client.post(f"/notifications/{first.id}/read").status_code == 400  # no CSRF


def test_push_services_that_say_gone_or_fail(world, notify, db):
    notify.app.config.update(NOTIFY_MAX_ATTEMPTS=3)
    users = {
        b: notify.consumer(world, f"{b}@example.com") for b in ("gone", "missing", "error", "ok")
    }
    browsers = {b: notify.subscribe(u, b) for b, u in users.items()}
    notify.run()
    world.cards(world.provider(), 1)
    notify.run()
    state = {b: notify.rows(u, channel="push")[0] for b, u in users.items()}
    assert state["ok"].state == "sent"
    assert len(notify.push.for_token(browsers["ok"].token)) == 1
    for gone in ("gone", "missing"):
        assert state[gone].state == "skipped"
        assert "gone" in state[gone].reason
    db.expire_all()
    assert {s.user_id for s in db.exec(select(PushSubscription)).all()} == {
        users["error"],
        users["ok"],
    }
    assert state["error"].state == "failed"
    assert state["error"].attempts == 3
    assert state["error"].reason == "Gave up after 3 attempts: The push service answered 500."


def test_a_push_service_that_never_answers_blocks_nothing_else(world, notify):
    notify.app.config.update(NOTIFY_PUSH_TIMEOUT=2.0, NOTIFY_MAX_ATTEMPTS=1)
    stuck = notify.consumer(world, "stuck@example.com")
    fine = notify.consumer(world, "fine@example.com")
    notify.subscribe(stuck, "hang")
    browser = notify.subscribe(fine)
    notify.choose(fine, "products", "email", "instant")
    notify.run()
    world.cards(world.provider(), 1)
    started = now()
    notify.run()
    assert now() - started < timedelta(seconds=15)  # one wait for the stuck one, not one each
    (row,) = notify.rows(stuck, channel="push")
    assert row.state == "failed"
    assert "took longer than 2 seconds" in row.reason
    assert len(notify.push.for_token(browser.token)) == 1
    assert len(notify.mail.messages) == 1


def test_a_push_address_on_a_private_network_is_refused(world, notify):
    notify.app.config.update(FETCH_ALLOW="")
    user = notify.consumer(world)
    notify.subscribe(user)
    notify.run()
    world.cards(world.provider(), 1)
    notify.run()
    (row,) = notify.rows(user, channel="push")
    assert row.state == "failed"
    assert "loopback" in row.reason and row.attempts == 1
    assert notify.push.received == []


def test_mail_servers_that_refuse_or_hang(world, notify):
    from tests.notifications.receivers import SilentServer

    notify.app.config.update(NOTIFY_MAX_ATTEMPTS=1, SMTP_TIMEOUT=2.0)
    user = notify.consumer(world)
    browser = notify.subscribe(user)
    notify.choose(user, "products", "email", "instant")
    notify.run()
    provider = world.provider()
    notify.mail.rcpt_reply = "550 5.1.1 No such user here"
    world.cards(provider, 1)
    notify.run()
    (refused,) = notify.rows(user, channel="email")
    assert refused.state == "failed"
    assert refused.reason == "The mail server refused the recipient: 550 5.1.1 No such user here"
    silent = SilentServer()
    notify.app.config.update(SMTP_URL=f"smtp://127.0.0.1:{silent.port}")
    world.cards(provider, 1, start=1)
    notify.run()
    silent.stop()
    hung = notify.rows(user, channel="email")[-1]
    assert hung.state == "failed"
    assert "did not answer within 2 s" in hung.reason
    notify.app.config.update(SMTP_URL=f"smtp://127.0.0.1:{silent.port}")
    world.cards(provider, 1, start=2)
    notify.run()
    assert "refused the connection" in notify.rows(user, channel="email")[-1].reason
    # Push went out all along.
    assert len(notify.push.for_token(browser.token)) == 3


def test_quiet_hours_hold_push_until_they_end(world, notify):
    minute = now().hour * 60 + now().minute
    user = notify.consumer(
        world, timezone="UTC", quiet_start=(minute - 60) % 1440, quiet_end=(minute + 60) % 1440
    )
    browser = notify.subscribe(user)
    notify.run()
    world.cards(world.provider(), 1)
    notify.run()
    (row,) = notify.rows(user, channel="push")
    assert (row.state, row.reason) == ("pending", "Quiet hours.")
    assert timedelta(minutes=58) < row.due_at - now() <= timedelta(minutes=61)
    assert notify.push.received == []
    later = row.due_at + timedelta(minutes=1)
    notify.run(clock=lambda: later)
    assert notify.rows(user, channel="push")[0].state == "sent"
    assert len(notify.push.for_token(browser.token)) == 1


def test_a_pause_holds_and_the_daily_cap_moves_the_rest_to_the_digest(world, notify, db):
    user = notify.consumer(world, push_daily_cap=1, paused_until=now() + timedelta(hours=1))
    browser = notify.subscribe(user)
    notify.run()
    world.cards(world.provider(), 3)
    notify.run()
    assert {r.state for r in notify.rows(user, channel="push")} == {"pending"}
    after_pause = now() + timedelta(hours=1, minutes=1)
    notify.run(clock=lambda: after_pause)
    rows = notify.rows(user, channel="push")
    assert sorted(r.state for r in rows) == ["sent", "waiting", "waiting"]
    assert {r.reason for r in rows if r.state == "waiting"} == {
        "Daily push limit reached; moved to the daily digest."
    }
    assert len(notify.push.for_token(browser.token)) == 1
    due = db.get(NotificationSettings, user).daily_due_at
    notify.run(clock=lambda: max(due, after_pause) + timedelta(minutes=1))
    pushes = notify.push.for_token(browser.token)
    assert len(pushes) == 2
    assert pushes[-1].data["title"] == "Your daily picks"
    assert pushes[-1].data["body"].startswith("2 cards for you: ")


def test_account_messages_go_out_on_the_chosen_channels(world, notify, db):
    user = notify.consumer(world)
    browser = notify.subscribe(user)
    with notify.app.app_context():
        for _ in range(2):
            notify_account(
                db, user, "report:7:decided", "Your report was reviewed",
                "We removed the card you reported.", "/saved", now(),
            )  # fmt: skip
        db.commit()
    notify.run()
    rows = by_channel(notify.rows(user))
    assert [r.state for r in rows["in_app"]] == ["sent"]
    assert [(r.state, r.mode) for r in rows["email"]] == [("waiting", "weekly")]
    (push,) = notify.push.for_token(browser.token)
    assert push.data["title"] == "Your report was reviewed"
    assert push.urgency == "high"
    world.login()
    opened = world.client.get(f"/notifications/{rows['in_app'][0].id}/open")
    assert opened.headers["Location"].endswith("/saved")
    # A message can only lead somewhere on this site.
    with notify.app.app_context():
        for n, path in enumerate(("//evil.example/x", "/\\evil.example", "https://evil.example")):
            notify_account(db, user, f"odd:{n}", "Odd", "", path, now())
        db.commit()
    for row in notify.rows(user, channel="in_app")[1:]:
        assert world.client.get(f"/notifications/{row.id}/open").headers["Location"] == "/"
