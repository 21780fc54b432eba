"""Web Push subscriptions from the settings page: checked, stored once, removable."""

from __future__ import annotations

import json

from sqlmodel import select

from app.models.notifications import PushSubscription


def post_json(world, token, path, data, raw=None):
    return world.client.post(
        path,
        data=raw if raw is not None else json.dumps(data),
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )


def subscriptions(db):
    db.expire_all()
    return db.exec(select(PushSubscription)).all()


def test_a_browser_subscribes_once_and_unsubscribes(world, db, push_service):
    user = world.consumer()
    token = world.login()
    browser = push_service.browser()
    for _ in range(2):
        response = post_json(
            world, token, "/notifications/push/subscriptions", browser.subscription
        )
        assert response.status_code == 200, response.json
        assert response.json["status"] == "subscribed"
    (stored,) = subscriptions(db)
    assert (stored.user_id, stored.endpoint) == (user, browser.endpoint)
    page = world.client.get("/settings/notifications").get_data(as_text=True)
    assert "Firefox" in page or "A browser" in page
    response = post_json(
        world, token, "/notifications/push/subscriptions/remove", {"endpoint": browser.endpoint}
    )
    assert response.json["status"] == "removed"
    assert subscriptions(db) == []


def test_malformed_subscriptions_get_a_clear_400_and_store_nothing(world, db, push_service):
    world.consumer()
    token = world.login()
    good = push_service.browser().subscription
    cases = [
        (None, "{not json", "as JSON"),
        ([1, 2], None, "JSON object"),
        ({"keys": good["keys"]}, None, "no usable endpoint"),
        ({**good, "endpoint": "http://push.example/abc"}, None, "https://"),
        ({**good, "endpoint": "https://user:pw@push.example/abc"}, None, "nothing else"),
        ({**good, "endpoint": "https://push.example/" + "a" * 3000}, None, "no usable endpoint"),
        ({"endpoint": good["endpoint"]}, None, "no keys"),
        ({**good, "keys": {"p256dh": good["keys"]["p256dh"]}}, None, "p256dh and auth"),
        ({**good, "keys": {**good["keys"], "p256dh": "AAAA"}}, None, "not a P-256"),
        ({**good, "keys": {**good["keys"], "auth": "AAAA"}}, None, "wrong length"),
    ]
    for data, raw, message in cases:
        response = post_json(world, token, "/notifications/push/subscriptions", data, raw)
        assert response.status_code == 400, data
        assert message in response.json["detail"], (data, response.json)
    assert subscriptions(db) == []


def test_an_endpoint_whose_host_is_a_number_in_an_odd_form_is_refused(world, db, push_service):
    """Browsers read 2130706433 or 0x7f.1 as 127.0.0.1; Plaza refuses them as the fetcher does."""
    world.consumer()
    token = world.login()
    good = push_service.browser().subscription
    for host in ("2130706433", "0x7f.1", "0177.0.0.1", "127.1", f"127.0.0.1.:{push_service.port}"):
        data = {**good, "endpoint": f"https://{host}/push/abc"}
        response = post_json(world, token, "/notifications/push/subscriptions", data)
        assert response.status_code == 400, host
        assert "as a number in an unusual form" in response.json["detail"], response.json
    assert subscriptions(db) == []


def test_subscribing_needs_a_login_and_the_csrf_token(world, push_service):
    browser = push_service.browser()
    anonymous = world.client.post("/notifications/push/subscriptions", json=browser.subscription)
    assert anonymous.status_code in (302, 400)
    world.consumer()
    world.login()
    no_token = world.client.post("/notifications/push/subscriptions", json=browser.subscription)
    assert no_token.status_code == 400


def test_a_device_is_removed_from_the_list_only_by_its_owner(world, db, push_service):
    owner = world.consumer()
    token = world.login()
    post_json(
        world, token, "/notifications/push/subscriptions", push_service.browser().subscription
    )
    (sub,) = subscriptions(db)
    assert sub.user_id == owner
    other = world.app.test_client()
    world.consumer("other@example.com")
    other_token = world.login("other@example.com", client=other)
    path = f"/settings/notifications/devices/{sub.id}/remove"
    other.post(path, data={"csrf_token": other_token})
    assert len(subscriptions(db)) == 1
    response = world.client.post(path, data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'id="push"' in response.get_data(as_text=True)
    assert subscriptions(db) == []


def test_the_service_worker_is_served_from_the_root(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert "javascript" in response.content_type
    assert "showNotification" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-cache"
