"""A participant can be reported from where they appear: a question's or an answer's author
line and an idea's author, never from one's own posts, and never staff."""

from __future__ import annotations

from sqlmodel import select

from app.models import Question, Report


def test_others_may_report_the_author_of_a_question_answer_or_idea(community):
    community.ask(title="Does it come in a wide fit?")
    question = community.db.exec(select(Question)).one()
    community.post("neighbour", f"/questions/{question.id}/answers", body="Mine fit well.")
    community.post("staff", f"/questions/{question.id}/answers", body="See the size guide.")
    community.suggest(title="This jacket in a wide fit")
    thread = f"/cards/{community.card_id}/questions"
    shopper, neighbour = community.ids["shopper"], community.ids["neighbour"]

    seen_by_neighbour = community.get("neighbour", thread).get_data(as_text=True)
    assert f'href="/report/user/{shopper}"' in seen_by_neighbour  # the question's author
    assert f'href="/report/user/{neighbour}"' not in seen_by_neighbour  # not oneself
    assert f'href="/report/user/{community.ids["staff"]}"' not in seen_by_neighbour

    seen_by_shopper = community.get("shopper", thread).get_data(as_text=True)
    assert f'href="/report/user/{neighbour}"' in seen_by_shopper  # the answer's author
    assert f'href="/report/user/{shopper}"' not in seen_by_shopper

    board = community.get("neighbour", "/o/acme/suggestions").get_data(as_text=True)
    assert f'href="/report/user/{shopper}"' in board and "Report this person" in board
    own_board = community.get("shopper", "/o/acme/suggestions").get_data(as_text=True)
    assert "Report this person" not in own_board


def test_the_link_opens_the_report_form_about_the_person_and_a_report_is_filed(community):
    community.suggest(title="This jacket in a wide fit")
    shopper = community.ids["shopper"]
    client, token = community.client("neighbour")
    form = client.get(f"/report/user/{shopper}", headers={"HX-Request": "true"})
    assert form.status_code == 200 and 'action="/report/user/' in form.get_data(as_text=True)
    sent = client.post(
        f"/report/user/{shopper}", data={"csrf_token": token, "reason": "spam", "text": ""}
    )
    assert sent.status_code == 200
    (report,) = community.db.exec(select(Report)).all()
    assert (report.target_kind, report.target_id) == ("user", shopper)
