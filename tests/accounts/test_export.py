"""``/account/export``: everything Plaza holds about the signed-in account, and only
theirs, streamed as one JSON document however long the event log."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from app import worker
from app.models import CardState, Event, PreparedFeed, SurveyAnswer
from app.shopper.interests import set_interest_state


def export(client):  # type: ignore[no-untyped-def]
    response = client.get("/account/export")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    return json.loads(response.get_data(as_text=True))


def add_events(
    world,
    user_id: int,
    card_ids: list[int],
    count: int,
    kind: str = "impression",
    start: datetime | None = None,
) -> None:  # type: ignore[no-untyped-def]
    start = start or datetime.now(UTC) - timedelta(days=1)
    rows = [
        {
            "user_id": user_id,
            "card_id": card_ids[n % len(card_ids)],
            "provider_id": None,
            "kind": kind,
            "detail": {},
            "created_at": start + timedelta(seconds=n),
        }
        for n in range(count)
    ]
    world.db.execute(insert(Event), rows)
    world.db.commit()


def test_export_needs_a_login(client):
    assert client.get("/account/export").status_code == 302


def test_export_holds_the_account_and_what_plaza_learned_in_numbers_and_words(world):
    provider = world.provider()
    kitchen = world.cards(provider, 10, interests=("home/kitchen",))
    running = world.cards(provider, 10, interests=("shoes/running",), start=10)
    user_id = world.consumer(follows=("home/kitchen", "shoes"))
    other_id = world.consumer("other@example.com")
    with world.app.app_context():
        set_interest_state(world.db, user_id, "electronics/audio", "mute")
    now = datetime.now(UTC)
    for n, card in enumerate(kitchen + running):
        world.db.add(
            Event(
                user_id=user_id,
                card_id=card,
                provider_id=provider.id,
                kind="impression",
                created_at=now - timedelta(hours=5, minutes=n),
            )
        )
    for card in kitchen[:6]:
        world.db.add(
            Event(
                user_id=user_id,
                card_id=card,
                provider_id=provider.id,
                kind="open",
                created_at=now - timedelta(hours=4),
            )
        )
    world.db.add(CardState(user_id=user_id, card_id=kitchen[0], saved_at=now))
    world.db.add(SurveyAnswer(user_id=user_id, card_id=running[0], answer={"text": "blue ones"}))
    world.db.add(
        Event(
            user_id=other_id,
            card_id=kitchen[1],
            provider_id=provider.id,
            kind="open",
            detail={"mine": "other"},
        )
    )
    world.db.commit()
    world.login()

    data = export(world.client)
    assert data["profile"]["email"] == "shopper@example.com"
    assert [i["interest"] for i in data["interests"]["followed"]] == ["home/kitchen", "shoes"]
    assert [i["name"] for i in data["interests"]["muted"]] == ["Audio"]
    assert data["cards"][0]["card_id"] == kitchen[0] and data["cards"][0]["saved_at"]
    assert data["survey_answers"][0]["answer"] == {"text": "blue ones"}
    assert len(data["events"]) == 26
    assert {e["kind"] for e in data["events"]} == {"impression", "open"}
    assert all("mine" not in e["detail"] for e in data["events"])  # nobody else's
    learned = {i["id"]: i for i in data["learned"]["interests"]}
    assert learned["home/kitchen"]["value"] > 0.15
    assert learned["home/kitchen"]["in_words"] == "You open Kitchen cards more than most."
    assert learned["shoes/running"]["value"] < 0
    assert "Running shoes cards" in learned["shoes/running"]["in_words"]
    assert data["notification_settings"] == {"settings": None, "choices": []}
    assert data["devices"] == [] and data["organisation_memberships"] == []
    (browser,) = data["signed_in_browsers"]  # this one, without its secret's digest
    assert browser["device"] == "A browser" and browser["last_seen_at"]
    assert "token_hash" not in browser


def test_export_ignores_any_account_named_in_the_request(world):
    world.consumer()
    other_id = world.consumer("other@example.com")
    world.login()
    response = world.client.get(f"/account/export?user_id={other_id}&id={other_id}")
    assert json.loads(response.get_data(as_text=True))["profile"]["email"] == "shopper@example.com"
    assert world.client.get(f"/account/{other_id}/export").status_code == 404


def test_fifty_thousand_events_stream_as_valid_json_in_little_memory(world, tmp_path):
    provider = world.provider()
    cards = world.cards(provider, 20)
    user_id = world.consumer()
    add_events(world, user_id, cards, 50_000)
    world.login()

    # A first export fills the caches every request shares (compiled statements, the
    # taxonomy); what is measured is the memory one more export needs on top of them.
    warm = world.client.get("/account/export", buffered=False)
    for _ in warm.response:
        pass
    warm.close()
    response = world.client.get("/account/export", buffered=False)
    assert response.is_streamed
    out = tmp_path / "export.json"
    tracemalloc.start()
    try:
        with out.open("w") as handle:
            for chunk in response.response:
                handle.write(chunk.decode() if isinstance(chunk, bytes) else chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        response.close()
    size = out.stat().st_size
    data = json.loads(out.read_text())
    assert len(data["events"]) == 50_000
    assert len({e["id"] for e in data["events"]}) == 50_000
    times = [e["created_at"] for e in data["events"]]
    assert times == sorted(times)
    # The whole document is several megabytes; the export never held more than a slice.
    assert size > 5_000_000
    assert peak < size / 3, (peak, size)


def test_export_lists_the_first_page_ranked_ahead_for_the_next_visit(world, app):
    """A plan is data Plaza derived about the shopper: which cards, and when."""
    cards = world.cards(world.provider(), 30, interests=("shoes/running",))
    user_id = world.consumer(follows=("shoes",))
    world.login()
    nothing_yet = export(world.client)["prepared_first_page"]
    assert (nothing_yet["prepared_at"], nothing_yet["card_ids"]) == (None, [])
    assert world.client.get("/").status_code == 200  # a visit: the worker prepares the next
    worker.build_scheduler(app)
    worker.prepare_first_pages()

    prepared = export(world.client)["prepared_first_page"]
    world.db.expire_all()
    row = world.db.get(PreparedFeed, user_id)
    assert prepared["prepared_at"] == row.prepared_at.isoformat()
    assert prepared["last_feed_visit_at"] == row.visited_at.isoformat()
    assert prepared["used_at"] is None
    assert len(prepared["card_ids"]) >= 20 and set(prepared["card_ids"]) <= set(cards)
    assert prepared["card_ids"] == [card[0] for card in row.plan["cards"]]
    assert "ranks the first pages of your next visit" in prepared["how"]
