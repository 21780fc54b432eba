"""The portal's community inbox and the counts on the results page."""

from __future__ import annotations

from sqlmodel import select

from app.models import Question, Suggestion
from tests.community.conftest import text_of


def test_the_inbox_lists_unanswered_questions_first_then_ideas_by_votes(community):
    community.ask(title="First question?")
    community.ask("neighbour", title="Second question?")
    community.suggest(title="Few votes")
    community.suggest("neighbour", title="Many votes")
    first, _second = community.db.exec(select(Question).order_by(Question.id)).all()
    _few, many = community.db.exec(select(Suggestion).order_by(Suggestion.id)).all()
    community.post("staff", f"/suggestions/{many.id}/vote", vote="1")
    response = community.post(
        "retailer", f"/portal/acme/community/questions/{first.id}/answer", htmx=True,
        body="Yes, in W.",
    )  # fmt: skip
    assert response.status_code == 200
    fragment = text_of(response)
    assert "Answer from Acme Outfitters Yes, in W." in fragment
    assert "Answered: the shopper is told." in fragment
    page = text_of(community.get("retailer", "/portal/acme/community/"))
    waiting = page[page.index("Waiting for an answer") : page.index("Ideas, by votes")]
    assert "Second question?" in waiting and "First question?" not in waiting
    ideas = page[page.index("Ideas, by votes") :]
    assert ideas.index("Many votes · 2 votes") < ideas.index("Few votes · 1 vote")
    assert "Answered lately" in page
    assert "Open questions 1 Questions 2 Ideas 2 Votes for ideas 3" in page


def test_the_results_page_counts_the_community(community):
    community.ask()
    community.suggest()
    page = text_of(community.get("retailer", "/portal/acme/results/"))
    assert "Open questions 1 Questions 1 Ideas 1 Votes for ideas 1" in page
    assert "Community" in page


def test_an_empty_answer_in_the_inbox_comes_back_with_its_message(community):
    community.ask()
    question = community.db.exec(select(Question)).one()
    response = community.post(
        "retailer", f"/portal/acme/community/questions/{question.id}/answer", htmx=True, body=""
    )
    assert response.status_code == 422
    assert "Write your answer first: it cannot be empty." in text_of(response)
    community.db.expire_all()
    assert community.db.exec(select(Question)).one().answered_at is None


def test_a_partner_works_through_a_backlog_without_the_shoppers_rate_limit(community):
    for n in range(12):
        question = Question(organization_id=community.acme.id, card_id=community.card_id,
                            user_id=community.ids["shopper"], title=f"Question {n}?")  # fmt: skip
        community.db.add(question)
    community.db.commit()
    for question in community.db.exec(select(Question)).all():
        response = community.post(
            "retailer", f"/portal/acme/community/questions/{question.id}/answer", body="Yes."
        )
        assert response.status_code == 303
    community.db.expire_all()
    assert all(q.answered_at for q in community.db.exec(select(Question)).all())
