"""A person's community data in their export, and on deleting their account: texts
removed or left without them as they chose, votes taken back with the counts right."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from app.models import Answer, AnswerVote, Question, Suggestion, SuggestionVote


@pytest.fixture
def lively(community):  # type: ignore[no-untyped-def]
    """The shopper asks and suggests; the neighbour answers, votes for the shopper's idea
    and finds the staff member's answer helpful; the retailer answers for Acme."""
    community.ask()
    question = community.db.exec(select(Question)).one()
    url = f"/questions/{question.id}/answers"
    community.post("neighbour", url, body="Mine fit wide feet.")
    community.post("staff", url, body="Try a size up.")
    community.post("retailer", url, body="Yes: the W fit.")
    community.suggest()
    idea = community.db.exec(select(Suggestion)).one()
    community.post("neighbour", f"/suggestions/{idea.id}/vote", vote="1")
    staff_answer = community.db.exec(select(Answer).where(Answer.body == "Try a size up.")).one()
    community.post("neighbour", f"/answers/{staff_answer.id}/helpful", helpful="1")
    community.db.expire_all()
    return question.id, idea.id, staff_answer.id


def _delete(community, who, writing):  # type: ignore[no-untyped-def]
    client, _ = community.client(who)
    token = community.world.csrf("/account/delete", client)
    response = client.post(
        "/account/delete",
        data={"password": community.world.password, "csrf_token": token, "writing": writing},
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    community.db.expire_all()


def test_the_export_holds_what_the_person_wrote_and_voted_for(community, lively):
    question_id, idea_id, staff_answer_id = lively
    client, _ = community.client("neighbour")
    data = json.loads(client.get("/account/export").get_data(as_text=True))["community"]
    assert data["questions"] == []
    (answer,) = data["answers"]
    assert (answer["question_id"], answer["body"]) == (question_id, "Mine fit wide feet.")
    assert {"suggestion_id": idea_id} in [{k: v for k, v in vote.items() if k != "at"}
                                          for vote in data["votes"]]  # fmt: skip
    assert any(v.get("helpful_answer_id") == staff_answer_id for v in data["votes"])
    client, _ = community.client("shopper")
    mine = json.loads(client.get("/account/export").get_data(as_text=True))["community"]
    assert [q["title"] for q in mine["questions"]] == ["Does it come in a wide fit?"]
    assert [(s["title"], s["votes"]) for s in mine["suggestions"]] == [
        ("This jacket in a wide fit", 2)
    ]


def test_a_voter_leaving_takes_their_votes_back_and_their_texts_are_removed(community, lively):
    question_id, idea_id, staff_answer_id = lively
    _delete(community, "neighbour", "remove")
    assert community.db.get(Suggestion, idea_id).vote_count == 1
    assert community.db.get(Answer, staff_answer_id).helpful_count == 0
    assert community.db.exec(select(SuggestionVote.user_id)).all() == [community.ids["shopper"]]
    assert community.db.exec(select(AnswerVote)).all() == []
    bodies = community.db.exec(select(Answer.body).where(Answer.question_id == question_id)).all()
    assert sorted(bodies) == ["Try a size up.", "Yes: the W fit."]


def test_an_asker_may_leave_their_texts_without_their_name(community, lively):
    question_id, idea_id, _ = lively
    _delete(community, "shopper", "keep")
    question = community.db.get(Question, question_id)
    assert (question.title, question.user_id) == ("Does it come in a wide fit?", None)
    idea = community.db.get(Suggestion, idea_id)
    assert (idea.user_id, idea.vote_count) == (None, 1)  # the author's own vote went
    page = community.get("neighbour", f"/cards/{community.card_id}/questions")
    assert "A former shopper" in page.get_data(as_text=True)


def test_an_asker_who_removes_their_texts_takes_the_thread_with_them(community, lively):
    question_id, idea_id, _ = lively
    _delete(community, "shopper", "remove")
    assert community.db.get(Question, question_id) is None
    assert community.db.get(Suggestion, idea_id) is None
    assert community.db.exec(select(Answer)).all() == []
    assert community.db.exec(select(SuggestionVote)).all() == []


def test_a_partner_removing_their_answer_reopens_the_question(community, lively):
    question_id, _, _ = lively
    assert community.db.get(Question, question_id).answered_at is not None
    _delete(community, "retailer", "remove")
    assert community.db.get(Question, question_id).answered_at is None
