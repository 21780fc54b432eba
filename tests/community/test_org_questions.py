"""General questions to an organisation, asked from its own page (no card): the same
screening, limits and answers as a card's questions, shown at ``/o/<slug>/questions``."""

from __future__ import annotations

from sqlmodel import select

from app.community.screening import add_rule
from app.models import Answer, Question
from tests.community.conftest import text_of

PAGE = "/o/acme/questions"


def _ask(community, who="shopper", title="Do you ship to Canada?", **data):  # type: ignore[no-untyped-def]
    return community.post(who, PAGE, title=title, **data)


def _questions(community):  # type: ignore[no-untyped-def]
    community.db.expire_all()
    return community.db.exec(select(Question).order_by(Question.id)).all()


def test_asked_from_the_page_answered_in_the_portal_and_the_asker_is_led_back(community):
    response = _ask(community, body="To Toronto.")
    (question,) = _questions(community)
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PAGE}#question-{question.id}"
    assert (question.organization_id, question.card_id) == (community.acme.id, None)

    inbox = community.get("retailer", "/portal/acme/community/")
    assert "Do you ship to Canada?" in text_of(inbox)
    assert f'href="{PAGE}#question-{question.id}"' in inbox.get_data(as_text=True)
    answered = community.post(
        "retailer", f"/portal/acme/community/questions/{question.id}/answer", htmx=True,
        body="Yes, in five days.",
    )  # fmt: skip
    assert answered.status_code == 200

    told = community.messages("shopper")
    assert told and {m.content["path"] for m in told} == {f"{PAGE}#question-{question.id}"}
    assert told[0].content["title"] == "Acme Outfitters answered"
    page = community.get("shopper", told[0].content["path"].split("#")[0])
    assert page.status_code == 200
    shown = text_of(page)
    assert "Do you ship to Canada?" in shown and "To Toronto." in shown
    assert "Answer from Acme Outfitters Yes, in five days." in shown
    assert f'id="question-{question.id}"' in page.get_data(as_text=True)


def test_a_shopper_answers_and_marks_helpful_on_the_page_and_the_partner_is_pinned(community):
    _ask(community)
    (question,) = _questions(community)
    answered = community.post(
        "neighbour", f"/questions/{question.id}/answers", body="They shipped mine."
    )
    assert answered.headers["Location"] == f"{PAGE}#question-{question.id}"
    community.post("retailer", f"/questions/{question.id}/answers", body="We do.")
    neighbours = community.db.exec(select(Answer).where(Answer.organization_id == None)).one()  # noqa: E711
    helpful = community.post("shopper", f"/answers/{neighbours.id}/helpful", helpful="1")
    assert helpful.headers["Location"] == f"{PAGE}#answer-{neighbours.id}"
    page = text_of(community.get("shopper", PAGE))
    assert page.index("Answer from Acme Outfitters We do.") < page.index("They shipped mine.")


def test_htmx_asking_gets_the_new_question_and_a_fresh_form(community):
    response = _ask(community, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'hx-swap-oob="afterbegin:#questions-general"' in html
    assert "Do you ship to Canada?" in html and 'value=""' in html
    assert 'id="questions-general"' in community.get("shopper", PAGE).get_data(as_text=True)


def test_bad_questions_come_back_with_the_message_and_the_text_and_store_nothing(community):
    hostile = "<script>alert(1)</script>"
    for title, body, expected in (
        ("   ", hostile, "Write your question first: it cannot be empty."),
        ("x" * 151, "", "Your question is 151 characters long; keep it to 150."),
        ("Ship?", "y" * 1001, "Your details is 1,001 characters long"),
    ):
        for htmx in (False, True):
            response = _ask(community, title=title, body=body, htmx=htmx)
            assert response.status_code == 422
            assert expected in text_of(response)
            html = response.get_data(as_text=True)
            assert hostile not in html
            if body == hostile:
                assert "&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in html
    assert _questions(community) == []
    _ask(community, title=hostile)
    html = community.get("neighbour", PAGE).get_data(as_text=True)
    assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_held_question_is_shown_to_its_author_only(community):
    add_rule(community.db, "elsewhere", "hold")
    community.db.commit()
    _ask(community, title="Cheaper elsewhere?")
    (question,) = _questions(community)
    assert question.status == "held"
    mine = text_of(community.get("shopper", PAGE))
    assert "Cheaper elsewhere?" in mine and "Waiting for review" in mine
    assert "Cheaper elsewhere?" not in text_of(community.get("neighbour", PAGE))
    assert "Cheaper elsewhere?" not in text_of(community.get("anonymous", PAGE))
    refused = community.post("retailer", f"/questions/{question.id}/answers", body="Not so.")
    assert refused.status_code == 409


def test_a_signed_out_visitor_reads_and_is_asked_to_log_in(community):
    _ask(community)
    (question,) = _questions(community)
    community.post("retailer", f"/questions/{question.id}/answers", body="We do.")
    page = community.get("anonymous", PAGE)
    assert page.status_code == 200
    shown, html = text_of(page), page.get_data(as_text=True)
    assert "Do you ship to Canada?" in shown and "Answer from Acme Outfitters We do." in shown
    assert "Log in to ask" in shown
    assert 'name="title"' not in html and "/answers" not in html and "/report/" not in html
    response = _ask(community, "anonymous", title="Signed out?")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    assert len(_questions(community)) == 1


def test_another_organisations_retailer_cannot_answer_and_retailers_do_not_ask(community):
    _ask(community)
    (question,) = _questions(community)
    outsider = community.post("outsider", f"/questions/{question.id}/answers", body="Ours ship.")
    assert outsider.status_code == 403
    assert community.db.exec(select(Answer)).all() == []
    assert _ask(community, "retailer", title="Our own question?").status_code == 403
    assert 'name="title"' not in community.get("retailer", PAGE).get_data(as_text=True)


def test_a_general_question_is_reported_and_the_console_links_to_its_page(community):
    _ask(community)
    (question,) = _questions(community)
    assert f'href="/report/question/{question.id}"' in community.get("neighbour", PAGE).get_data(
        as_text=True
    )
    sent = community.post("neighbour", f"/report/question/{question.id}", reason="spam")
    assert sent.status_code == 200
    console = community.get("staff", "/staff").get_data(as_text=True)
    assert "Do you ship to Canada?" in console
    assert f"{PAGE}#question-{question.id}" in console


def test_a_suspended_organisation_has_no_questions_page(community):
    _ask(community)
    community.acme.suspended_at = community.acme.created_at
    community.db.add(community.acme)
    community.db.commit()
    assert community.get("shopper", PAGE).status_code == 404
    assert community.get("anonymous", PAGE).status_code == 404
    assert _ask(community, title="Still there?").status_code == 404
    assert len(_questions(community)) == 1


def test_the_partner_page_and_the_board_lead_to_the_questions(community):
    for url in ("/o/acme", "/o/acme/suggestions"):
        assert f'href="{PAGE}"' in community.get("shopper", url).get_data(as_text=True)
