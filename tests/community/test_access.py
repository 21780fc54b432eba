"""Every community route, for each kind of person: a consumer, a retailer of the
organisation, a retailer of another, staff and a signed-out visitor."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Answer, Question, Suggestion

WHO = ("shopper", "retailer", "outsider", "staff", "anonymous")


@pytest.fixture
def arranged(community):  # type: ignore[no-untyped-def]
    """A question with a shopper's answer and an idea, posted by the neighbour."""
    community.ask("neighbour")
    question = community.db.exec(select(Question)).one()
    community.post("neighbour", f"/questions/{question.id}/answers", body="I think so")
    community.suggest("neighbour")
    answer = community.db.exec(select(Answer)).one()
    idea = community.db.exec(select(Suggestion)).one()
    return community, question.id, answer.id, idea.id


def _status(community, who, method, url, data):  # type: ignore[no-untyped-def]
    response = community.get(who, url) if method == "GET" else community.post(who, url, **data)
    if who == "anonymous" and response.status_code in (302, 303):
        assert response.headers["Location"].startswith("/login")
        return "login"
    return response.status_code


# (method, url template, data, expected status per person in WHO order)
MATRIX = [
    ("GET", "/cards/{card}/questions", {}, (200, 200, 200, 200, "login")),
    ("POST", "/cards/{card}/questions", {"title": "Warm?"}, (303, 403, 403, 303, "login")),
    ("POST", "/questions/{q}/answers", {"body": "Yes"}, (303, 303, 403, 303, "login")),
    ("POST", "/answers/{a}/helpful", {"helpful": "1"}, (303, 403, 403, 303, "login")),
    ("GET", "/cards/{card}/suggest", {}, (302, 302, 302, 302, "login")),
    ("GET", "/o/acme/suggestions", {}, (200, 200, 200, 200, "login")),
    ("POST", "/o/acme/suggestions", {"title": "Wide fit"}, (303, 403, 403, 303, "login")),
    ("POST", "/suggestions/{s}/vote", {"vote": "1"}, (303, 403, 403, 303, "login")),
    ("GET", "/portal/acme/community/", {}, (403, 200, 404, 200, "login")),
    ("POST", "/portal/acme/community/questions/{q}/answer", {"body": "Yes"},
     (403, 303, 404, 303, "login")),
    ("POST", "/portal/acme/community/suggestions/{s}/status", {"stage": "planned"},
     (403, 303, 404, 303, "login")),
]  # fmt: skip


@pytest.mark.parametrize(("method", "template", "data", "expected"), MATRIX,
                         ids=[f"{m} {t}" for m, t, _, _ in MATRIX])  # fmt: skip
def test_each_person_gets_what_they_may(arranged, method, template, data, expected):
    community, question_id, answer_id, idea_id = arranged
    url = template.format(card=community.card_id, q=question_id, a=answer_id, s=idea_id)
    got = tuple(_status(community, who, method, url, data) for who in WHO)
    assert got == expected, dict(zip(WHO, got, strict=True))


def test_a_retailer_reaches_only_its_own_organisations_inbox_items(arranged):
    community, question_id, _answer_id, idea_id = arranged
    # Globex's retailer, in Globex's portal, naming Acme's question and idea: not found.
    response = community.post(
        "outsider", f"/portal/globex/community/questions/{question_id}/answer", body="Ours"
    )
    assert response.status_code == 404
    response = community.post(
        "outsider", f"/portal/globex/community/suggestions/{idea_id}/status", stage="declined"
    )
    assert response.status_code == 404
    community.db.expire_all()
    assert len(community.db.exec(select(Answer)).all()) == 1
    assert community.db.exec(select(Suggestion)).one().stage == "new"


def test_retailers_are_offered_only_what_they_may_do(arranged):
    community, question_id, _answer_id, _idea_id = arranged
    thread = f"/cards/{community.card_id}/questions"
    own = community.get("retailer", thread).get_data(as_text=True)
    assert f'action="/questions/{question_id}/answers"' in own  # answers for Acme
    assert 'id="ask"' not in own and "/helpful" not in own
    other = community.get("outsider", thread).get_data(as_text=True)
    assert f'action="/questions/{question_id}/answers"' not in other
    board = community.get("outsider", "/o/acme/suggestions").get_data(as_text=True)
    assert 'id="suggest"' not in board and "/vote" not in board
    shopper = community.get("shopper", "/o/acme/suggestions").get_data(as_text=True)
    assert 'id="suggest"' in shopper and "/vote" in shopper
