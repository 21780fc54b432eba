"""Who hears of new answers and new statuses, through the outbox and their preferences."""

from __future__ import annotations

from sqlmodel import select

from app.models import Question
from app.notifications.jobs import run
from tests.community.conftest import text_of


def _question(community) -> Question:  # type: ignore[no-untyped-def]
    community.db.expire_all()
    return community.db.exec(select(Question)).one()


def _in_app(community, who):  # type: ignore[no-untyped-def]
    return [m for m in community.messages(who) if m.channel == "in_app"]


def test_askers_answerers_and_voters_hear_of_a_new_answer_but_not_its_author(community):
    community.ask()
    question = _question(community)
    url = f"/questions/{question.id}/answers"
    community.post("neighbour", url, body="Mine fit wide feet well.")
    (told,) = _in_app(community, "shopper")
    assert told.content["title"] == "A new answer"
    assert _in_app(community, "neighbour") == []
    from app.models import Answer

    (first,) = community.db.exec(select(Answer)).all()
    community.post("staff", f"/answers/{first.id}/helpful", helpful="1")
    community.post("retailer", url, body="Yes: order the W fit.")
    for who in ("shopper", "neighbour", "staff"):
        latest = _in_app(community, who)[-1]
        assert latest.content["title"] == "Acme Outfitters answered"
        assert latest.content["body"] == "“Does it come in a wide fit?”: Yes: order the W fit."
        assert latest.content["path"] == (
            f"/cards/{community.card_id}/questions#question-{question.id}"
        )
        assert latest.state == "sent"  # in the centre at once
    assert community.messages("retailer") == []
    inbox = text_of(community.get("shopper", "/notifications"))
    assert "Acme Outfitters answered" in inbox


def test_email_goes_out_through_the_outbox_when_the_shopper_chose_it(community, mailbox):
    client, token = community.client("shopper")
    response = client.post(
        "/settings/notifications",
        # Right away, and no quiet hours to wait for whatever the time of the run.
        data={
            "csrf_token": token,
            "community.email": "instant",
            "quiet_start": "",
            "quiet_end": "",
        },
    )
    assert response.status_code in (200, 303)
    community.ask()
    question = _question(community)
    community.post("retailer", f"/questions/{question.id}/answers", body="Yes: the W fit.")
    channels = sorted(m.channel for m in community.messages("shopper"))
    assert channels == ["email", "in_app"]
    assert mailbox.messages == []  # queued, never sent from the request
    totals = run(community.world.app, drain=True)
    assert totals["sent"] >= 1
    (mail,) = mailbox.messages
    assert mail["To"] == "shopper@example.com"
    assert "Acme Outfitters answered" in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "Yes: the W fit." in body
    assert f"/cards/{community.card_id}/questions#question-{question.id}" in body


def test_email_waits_for_the_digest_by_default_and_in_app_can_be_turned_off(community):
    client, token = community.client("neighbour")
    client.post("/settings/notifications", data={"csrf_token": token, "community.in_app": "off"})
    community.ask()
    question = _question(community)
    community.post("neighbour", f"/questions/{question.id}/answers", body="I think so")
    community.post("retailer", f"/questions/{question.id}/answers", body="Yes")
    assert community.messages("neighbour") == []
    assert [m.channel for m in community.messages("shopper")] == ["in_app", "in_app"]


def test_the_settings_page_offers_answers_and_updates(community):
    page = text_of(community.get("shopper", "/settings/notifications"))
    assert "Answers and updates" in page
