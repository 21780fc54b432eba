"""What became of notifications reaches ``/metrics``, and so does the outbox's depth."""

from __future__ import annotations

from datetime import UTC, datetime

from app.notifications.messages import notify_account
from tests.scrape import scrape

DELIVERIES = "plaza_notification_deliveries_total"


def test_deliveries_are_counted_by_outcome_and_the_outbox_empties(world, notify, db):
    user = notify.consumer(world)
    browser = notify.subscribe(user)
    with notify.app.app_context():
        reviewed = "We removed the card you reported."
        notify_account(
            db, user, "report:7:decided", "Your report was reviewed", reviewed, "/saved",
            datetime.now(UTC),
        )  # fmt: skip
        db.commit()
    before = scrape(world.app)
    assert before.value("plaza_notification_outbox", state="pending") >= 1  # the push
    totals = notify.run()
    after = scrape(world.app)
    assert totals["sent"] >= 1 and len(notify.push.for_token(browser.token)) == 1
    for outcome, count in totals.items():
        if outcome not in ("planned", "digests"):  # not deliveries
            more = after.value(DELIVERIES, outcome=outcome) - before.value(
                DELIVERIES, outcome=outcome
            )
            assert more == count, outcome
    assert after.value("plaza_notification_outbox", state="pending") == 0
