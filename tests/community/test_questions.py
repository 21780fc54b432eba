"""Questions on cards: asking, answering (the organisation's answer pinned and marked),
helpful votes, and everything that is refused."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Answer, AnswerVote, Question
from tests.community.conftest import text_of


def _question(community) -> Question:  # type: ignore[no-untyped-def]
    community.db.expire_all()
    return community.db.exec(select(Question)).one()


def test_a_shopper_asks_and_the_partner_answer_is_pinned_above_a_helpful_shopper_answer(community):
    assert community.ask(body="I have wide feet.").status_code == 303
    question = _question(community)
    assert (question.organization_id, question.card_id) == (community.acme.id, community.card_id)
    thread = f"/cards/{community.card_id}/questions"
    community.post(
        "neighbour", f"/questions/{question.id}/answers", body="Mine fit wide feet well."
    )
    community.post("retailer", f"/questions/{question.id}/answers", body="Yes: order the W fit.")
    page = text_of(community.get("shopper", thread))
    assert "Does it come in a wide fit?" in page and "I have wide feet." in page
    assert "Answer from Acme Outfitters Yes: order the W fit." in page
    assert page.index("Answer from Acme Outfitters") < page.index("Mine fit wide feet well.")
    assert _question(community).answered_at is not None
    answers = community.db.exec(select(Answer).order_by(Answer.id)).all()
    assert [a.organization_id for a in answers] == [None, community.acme.id]


def test_helpful_votes_order_the_other_answers_and_a_repeated_vote_counts_once(community):
    community.ask()
    question = _question(community)
    community.post("neighbour", f"/questions/{question.id}/answers", body="First answer")
    community.post("staff", f"/questions/{question.id}/answers", body="Second answer")
    _first, second = community.db.exec(select(Answer).order_by(Answer.id)).all()
    for _ in range(2):  # a double tap
        response = community.post(
            "shopper", f"/answers/{second.id}/helpful", htmx=True, helpful="1"
        )
        assert response.status_code == 200
        assert 'aria-pressed="true"' in response.get_data(as_text=True)
    community.db.refresh(second)
    assert second.helpful_count == 1
    page = text_of(community.get("shopper", f"/cards/{community.card_id}/questions"))
    assert page.index("Second answer") < page.index("First answer")
    community.post("shopper", f"/answers/{second.id}/helpful", helpful="0")
    community.post("shopper", f"/answers/{second.id}/helpful", helpful="0")
    community.db.refresh(second)
    assert second.helpful_count == 0
    assert community.db.exec(select(AnswerVote)).all() == []


def test_html_in_a_question_is_shown_as_text(community):
    community.ask(title="<script>alert(1)</script><b>bold?</b>")
    html = community.get("neighbour", f"/cards/{community.card_id}/questions").get_data(
        as_text=True
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;bold?&lt;/b&gt;" in html


def test_empty_and_oversized_texts_are_refused_with_a_message_and_nothing_is_stored(community):
    for title, expected in (
        ("   \n\t ", "Write your question first: it cannot be empty."),
        ("x" * 151, "Your question is 151 characters long; keep it to 150."),
    ):
        response = community.ask(title=title)
        assert response.status_code == 422
        assert expected in text_of(response)
    response = community.ask(body="y" * 1001)
    assert "Your details is 1,001 characters long" in text_of(response)
    assert community.db.exec(select(Question)).all() == []
    community.ask()
    question = _question(community)
    response = community.post("neighbour", f"/questions/{question.id}/answers", htmx=True, body=" ")
    assert response.status_code == 422
    assert "Write your answer first" in text_of(response)
    response = community.post(
        "neighbour", f"/questions/{question.id}/answers", htmx=True, body="z" * 2001
    )
    assert "keep it to 2,000" in text_of(response)
    assert community.db.exec(select(Answer)).all() == []


def test_a_retailer_of_another_organisation_cannot_answer(community):
    community.ask()
    question = _question(community)
    response = community.post("outsider", f"/questions/{question.id}/answers", body="Buy ours")
    assert response.status_code == 403
    assert "Only the organisation a question is addressed to answers it." in text_of(response)
    assert community.db.exec(select(Answer)).all() == []


def test_a_removed_question_cannot_be_answered(community):
    from app.community.screening import set_visibility

    community.ask()
    question = _question(community)
    with community.world.app.app_context():
        set_visibility(community.db, question, False, "off-topic")
        community.db.commit()
    response = community.post("retailer", f"/questions/{question.id}/answers", body="Yes")
    assert response.status_code == 404
    response = community.post("shopper", f"/questions/{question.id}/answers", body="Anyone?")
    assert response.status_code == 409
    assert "This question was removed; it can no longer be answered." in text_of(response)
    assert community.db.exec(select(Answer)).all() == []
    page = text_of(community.get("neighbour", f"/cards/{community.card_id}/questions"))
    assert "Does it come in a wide fit?" not in page


def test_retailers_do_not_ask(community):
    response = community.ask("retailer")
    assert response.status_code == 403
    assert "partners answer them from the portal" in text_of(response)


@pytest.mark.parametrize("limit", [None, 2])  # the default, or PLAZA_COMMUNITY_POST_LIMIT
def test_posting_is_rate_limited_per_account(community, limit):
    config = community.world.app.config
    assert config["COMMUNITY_POST_LIMIT"] == 10
    if limit is not None:
        config["COMMUNITY_POST_LIMIT"] = limit
    limit = config["COMMUNITY_POST_LIMIT"]
    for n in range(limit):
        assert community.ask(title=f"Question number {n}?").status_code == 303
    response = community.ask(title="One more?")
    assert response.status_code == 429
    assert f"You have posted {limit} times in 10 minutes" in text_of(response)
    assert len(community.db.exec(select(Question)).all()) == limit
    assert community.ask("neighbour", title="Mine?").status_code == 303


def test_htmx_ask_returns_a_fresh_form_and_the_question_out_of_band(community):
    response = community.post(
        "shopper", f"/cards/{community.card_id}/questions", htmx=True, title="Is it warm?"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'hx-swap-oob="afterbegin:#questions-{community.card_id}"' in html
    assert "Is it warm?" in html


def test_the_card_menu_offers_ask_and_suggest(community):
    html = community.get("shopper", f"/cards/{community.card_id}/questions").get_data(as_text=True)
    assert f'href="/cards/{community.card_id}/questions">Ask Acme Outfitters a question' in html
    response = community.get("shopper", f"/cards/{community.card_id}/suggest")
    assert response.headers["Location"] == f"/o/acme/suggestions?card={community.card_id}#suggest"
