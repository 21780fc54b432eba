"""Screening: staff rules (refuse, hold, flag), the offline classifier, new accounts'
flagged posts held, and the functions staff tooling calls."""

from __future__ import annotations

import time

import pytest
from sqlmodel import select

from app.community.screening import (
    Outcome,
    RuleProblem,
    _load_classifier,
    add_rule,
    classifier,
    held_and_flagged,
    load_rules,
    screen_texts,
    set_visibility,
)
from app.models import Answer, Question, Suggestion
from tests.community.conftest import text_of
from tests.statements import statements


def _rule(community, pattern, action, **kwargs):  # type: ignore[no-untyped-def]
    add_rule(community.db, pattern, action, **kwargs)
    community.db.commit()


def _settle(community, who="shopper", posts=3):  # type: ignore[no-untyped-def]
    """Give ``who`` a few visible posts, so they are no longer a new account."""
    for n in range(posts):
        assert community.ask(who, title=f"Plain question {n}?").status_code == 303


def _questions(community):  # type: ignore[no-untyped-def]
    community.db.expire_all()
    return community.db.exec(select(Question).order_by(Question.id)).all()


def test_a_refuse_rule_refuses_at_submit_with_a_clear_message(community):
    _rule(community, "knockoff", "refuse", note="no talk of counterfeits")
    response = community.ask(title="Is this a KNOCKOFF?")
    assert response.status_code == 422
    assert "please say it another way. (no talk of counterfeits)" in text_of(response)
    assert _questions(community) == []
    # A whole word only: "knockoffs-free" is not the word "knockoff".
    assert community.ask(title="Are knockoffsfree tags real?").status_code == 303


def test_a_hold_rule_keeps_the_text_for_its_author_until_staff_approve(community):
    _rule(community, r"https?://\S+", "hold", is_regex=True)
    community.ask(title="Cheaper at http://elsewhere.example ?")
    (question,) = _questions(community)
    assert question.status == "held"
    assert question.flagged_reason == r"Rule /https?://\S+/"
    thread = f"/cards/{community.card_id}/questions"
    mine = text_of(community.get("shopper", thread))
    assert "Cheaper at http://elsewhere.example ?" in mine and "Waiting for review" in mine
    assert "elsewhere.example" not in text_of(community.get("neighbour", thread))
    assert "elsewhere.example" not in text_of(community.get("retailer", "/portal/acme/community/"))
    assert held_and_flagged(community.db) == [question]
    set_visibility(community.db, question, True, "a fair question")
    community.db.commit()
    assert "elsewhere.example" in text_of(community.get("neighbour", thread))
    assert held_and_flagged(community.db) == []


def test_a_flag_rule_shows_the_text_and_lists_it_for_staff(community):
    _settle(community)
    _rule(community, "refund", "flag")
    community.ask(title="Can I get a refund?")
    question = _questions(community)[-1]
    assert (question.status, question.flagged_reason) == ("visible", "Rule “refund”")
    page = text_of(community.get("neighbour", f"/cards/{community.card_id}/questions"))
    assert "Can I get a refund?" in page
    assert held_and_flagged(community.db) == [question]
    set_visibility(community.db, question, True, "fine")
    community.db.commit()
    assert held_and_flagged(community.db) == []


def test_the_classifier_flags_offensive_text_and_a_new_accounts_is_held(community):
    community.ask("neighbour", title="This shit jacket is crap, you idiots")
    (held,) = _questions(community)
    assert held.status == "held"
    assert held.flagged_reason.startswith("Offensive language (classifier")
    assert held.flagged_reason.endswith("; a new account's post")
    _settle(community)
    community.ask(title="This shit jacket is crap, you idiots")
    flagged = _questions(community)[-1]
    assert flagged.status == "visible" and flagged.flagged_reason.startswith("Offensive language")
    assert held_and_flagged(community.db) == [held, flagged]


def test_ordinary_shopping_questions_pass(community):
    judge = classifier()
    assert judge is not None, "alt-profanity-check is a dependency"
    for text in (
        "Does this jacket come in a wide fit?",
        "The same pan in 24 cm, please",
        "Is the zip on the left or the right?",
    ):
        assert screen_texts([text], [], judge=judge).outcome == Outcome.SHOW


def test_a_server_process_loads_the_classifier_as_it_starts(make_app, database_url, monkeypatch):
    """Loading takes seconds: a server process does it as it starts, so its first post
    does not wait; an app that is not a server's (tests, commands) loads it at a post."""
    _load_classifier.cache_clear()
    make_app(database_url)
    assert _load_classifier.cache_info().currsize == 0
    monkeypatch.setenv("PLAZA_SCREENING_WARM_UP", "true")  # as `plaza serve` sets it
    make_app(database_url)
    deadline = time.monotonic() + 60
    while _load_classifier.cache_info().currsize == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _load_classifier.cache_info().currsize == 1  # loaded with no post at all


def test_a_rule_staff_add_or_remove_applies_from_the_next_post(community, runner):
    """A process keeps the rules it read, and a post reads only whether they changed."""
    app = community.world.app
    assert community.ask(title="Is this a knockoff?").status_code == 303
    with statements(app) as seen:
        assert community.ask(title="Is it a knockoff, really?").status_code == 303
    assert seen["SELECT", "screening_rule"] == 1  # where the rules stand, not the rules
    added = runner.invoke(args=["screening", "add", "knockoff", "--action", "refuse"])
    assert added.exit_code == 0, added.output
    with statements(app) as seen:
        assert community.ask(title="A knockoff, then?").status_code == 422
    assert seen["SELECT", "screening_rule"] == 2  # and the rules, once, as they changed
    # Removed, and another added in its place (SQLite gives it the same id).
    assert runner.invoke(args=["screening", "remove", "1"]).exit_code == 0
    assert runner.invoke(args=["screening", "add", "replica", "--action", "refuse"]).exit_code == 0
    assert community.ask(title="A knockoff after all?").status_code == 303
    assert community.ask(title="Or a replica?").status_code == 422


def test_the_strictest_rule_wins(community):
    _rule(community, "cheap", "flag")
    _rule(community, "counterfeit", "refuse")
    _rule(community, "cheap.*counterfeit", "hold", is_regex=True)
    verdict = screen_texts(["cheap counterfeit"], load_rules(community.db))
    assert verdict.outcome == Outcome.REFUSE


def test_bad_rules_are_refused(community):
    with pytest.raises(RuleProblem, match="not a valid regular expression"):
        add_rule(community.db, "(unclosed", "flag", is_regex=True)
    with pytest.raises(RuleProblem, match="Give a word"):
        add_rule(community.db, "  ", "flag")
    with pytest.raises(RuleProblem, match="refuses, holds or flags"):
        add_rule(community.db, "word", "delete")


def test_answers_and_ideas_are_screened_and_an_approved_answer_is_announced(community):
    _settle(community)
    _rule(community, "discount code", "hold")
    question = _questions(community)[0]
    community.post("neighbour", f"/questions/{question.id}/answers", body="Use discount code X")
    community.suggest("neighbour", title="A discount code for students")
    answer = community.db.exec(select(Answer)).one()
    idea = community.db.exec(select(Suggestion)).one()
    assert (answer.status, idea.status) == ("held", "held")
    assert community.messages("shopper") == []  # nobody hears of a held answer
    with community.world.app.app_context():  # staff decide in a request of their own
        set_visibility(community.db, answer, True, "harmless")
        community.db.commit()
    (told,) = [m for m in community.messages("shopper") if m.channel == "in_app"]
    assert told.content["title"] == "A new answer"
    with community.world.app.app_context():
        set_visibility(community.db, answer, False, "spam after all")
        community.db.commit()
    page = text_of(community.get("shopper", f"/cards/{community.card_id}/questions"))
    assert "Use discount code X" not in page
    assert len(community.messages("shopper")) == 1  # removal is told by staff, not here
