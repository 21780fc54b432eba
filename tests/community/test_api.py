"""The partner API's community endpoints: list, answer, set a status; only the token's
organisation, writes only with the write scope."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Answer, Question, Suggestion


@pytest.fixture
def api(community, partners):  # type: ignore[no-untyped-def]
    client = community.world.app.test_client()
    tokens = {
        "write": partners.token(community.acme, "write"),
        "read": partners.token(community.acme, "read"),
        "globex": partners.token(community.globex, "write"),
    }

    def call(method, path, token="write", **kwargs):  # type: ignore[no-untyped-def]
        headers = {"Authorization": f"Bearer {tokens[token]}"}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    return call


@pytest.fixture
def posted(community):  # type: ignore[no-untyped-def]
    community.ask()
    community.suggest()
    community.post("neighbour", "/o/acme/suggestions", title="Another idea")
    question = community.db.exec(select(Question)).one()
    ideas = community.db.exec(select(Suggestion).order_by(Suggestion.id)).all()
    return question.id, ideas[0].id


def test_list_answer_and_set_a_status(community, api, posted):
    question_id, idea_id = posted
    listed = api("GET", "/questions?open=true").json
    assert [q["title"] for q in listed["items"]] == ["Does it come in a wide fit?"]
    response = api("POST", f"/questions/{question_id}/answers", json={"body": "Yes, in W."})
    assert response.status_code == 201, response.json
    assert response.json["from_organization"] is True
    assert api("GET", "/questions?open=true").json["items"] == []
    (item,) = api("GET", "/questions").json["items"]
    assert [a["body"] for a in item["answers"]] == ["Yes, in W."]
    (told,) = [m for m in community.messages("shopper") if m.channel == "in_app"]
    assert told.content["title"] == "Acme Outfitters answered"
    ideas = api("GET", "/suggestions").json["items"]
    assert [(i["title"], i["votes"], i["status"]) for i in ideas] == [
        ("This jacket in a wide fit", 1, "new"),
        ("Another idea", 1, "new"),
    ]
    response = api("PATCH", f"/suggestions/{idea_id}", json={"status": "planned", "note": "Spring"})
    assert response.status_code == 200
    assert (response.json["status"], response.json["note"]) == ("planned", "Spring")
    assert [m.content["body"] for m in community.messages("shopper") if m.channel == "in_app"][
        -1
    ] == "Spring"


def test_bad_requests_change_nothing(community, api, posted):
    question_id, idea_id = posted
    response = api("POST", f"/questions/{question_id}/answers", json={"body": "   "})
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"field": "body", "message": "Write your answer first: it cannot be empty."}
    ]
    response = api("POST", f"/questions/{question_id}/answers", token="read", json={"body": "x"})
    assert response.status_code == 403
    response = api("POST", f"/questions/{question_id}/answers", token="globex", json={"body": "x"})
    assert response.status_code == 404
    response = api("PATCH", f"/suggestions/{idea_id}", token="globex", json={"status": "planned"})
    assert response.status_code == 404
    response = api("PATCH", f"/suggestions/{idea_id}", json={"status": "shipped"})
    assert response.status_code == 422
    response = api(
        "PATCH",
        f"/suggestions/{idea_id}",
        json={"status": "available", "available_card_id": community.globex_card_id},
    )
    assert response.status_code == 422
    assert api("GET", "/questions", token="globex").json["items"] == []
    assert api("GET", "/questions?open=maybe").status_code == 400
    community.db.expire_all()
    assert community.db.exec(select(Answer)).all() == []
    assert community.db.get(Suggestion, idea_id).stage == "new"


def test_a_general_question_is_listed_with_no_card_and_answered(community, api):
    community.post("shopper", "/o/acme/questions", title="Do you ship to Canada?")
    question = community.db.exec(select(Question)).one()
    (item,) = api("GET", "/questions?open=true").json["items"]
    assert (item["id"], item["card_id"], item["title"]) == (
        question.id, None, "Do you ship to Canada?"
    )  # fmt: skip
    response = api("POST", f"/questions/{question.id}/answers", json={"body": "Yes."})
    assert response.status_code == 201, response.json
    (told,) = [m for m in community.messages("shopper") if m.channel == "in_app"]
    assert told.content["path"] == f"/o/acme/questions#question-{question.id}"
    schema = community.world.app.test_client().get("/api/v1/openapi.json").json
    card_id = schema["components"]["schemas"]["CommunityQuestionOut"]["properties"]["card_id"]
    assert {"type": "null"} in card_id["anyOf"] and "general question" in card_id["description"]
