"""The community's texts under moderation: people report questions, answers and ideas;
staff remove them from the console, and approve or reject what screening held or
flagged; every decision, screening's own included, is in the audit log, and the author
is told."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from app.community.screening import add_rule
from app.models import (
    Answer,
    Appeal,
    AuditEntry,
    Decision,
    Notification,
    Question,
    Report,
    Suggestion,
    Visibility,
)
from tests.community.conftest import Community, text_of

THREAD = "/cards/{card}/questions"
BOARD = "/o/acme/suggestions"


def _rule(community: Community, pattern: str, action: str) -> None:
    add_rule(community.db, pattern, action)
    community.db.commit()


def _settle(community: Community, who: str) -> None:
    """A few visible posts, so ``who`` is no longer a new account."""
    for n in range(3):
        assert community.ask(who, title=f"Plain question {n}?").status_code == 303


def _one(community: Community, model: Any) -> Any:
    community.db.expire_all()
    return community.db.exec(select(model).order_by(model.id.desc())).first()


def _audit(community: Community) -> list[AuditEntry]:
    community.db.expire_all()
    return list(community.db.exec(select(AuditEntry).order_by(AuditEntry.id)).all())


def _told(community: Community, who: str) -> list[dict[str, str]]:
    """What ``who`` was told in Plaza about moderation, oldest first."""
    community.db.expire_all()
    rows = community.db.exec(
        select(Notification)
        .where(Notification.user_id == community.ids[who], Notification.channel == "in_app")
        .order_by(Notification.id)
    ).all()
    return [row.content for row in rows if "Plaza's staff" in row.content["title"]]


def _act(community: Community, kind: str, target_id: int, action: str, reason: str = "") -> Any:
    return community.post(
        "staff", f"/staff/{kind}/{target_id}/act", action=action, reason=reason or "Checked"
    )


def _post(community: Community, kind: str, author: str, words: str) -> tuple[int, str]:
    """``author`` posts a text of ``kind``; its id and the page it shows on."""
    thread = THREAD.format(card=community.card_id)
    if kind == "suggestion":
        assert community.suggest(author, title=words).status_code == 303
        return _one(community, Suggestion).id, BOARD
    if kind == "question":
        assert community.ask(author, title=words).status_code == 303
        return _one(community, Question).id, thread
    community.ask("neighbour", title="Does it run small?")
    question = _one(community, Question)
    assert (
        community.post(author, f"/questions/{question.id}/answers", body=words).status_code == 303
    )
    return _one(community, Answer).id, thread


@pytest.mark.parametrize(
    ("kind", "called"),
    [("question", "question"), ("answer", "answer to"), ("suggestion", "idea")],
)
def test_a_reported_text_is_removed_by_staff_and_its_author_told(community, kind, called):
    words = "Buy followers cheap at my shop"
    target_id, page = _post(community, kind, "shopper", words)
    link = f'href="/report/{kind}/{target_id}"'
    assert link in community.get("neighbour", page).get_data(as_text=True)
    assert link not in community.get("shopper", page).get_data(as_text=True)  # not one's own

    form = community.get("neighbour", f"/report/{kind}/{target_id}")
    assert form.status_code == 200 and "What is wrong?" in text_of(form)
    sent = community.post("neighbour", f"/report/{kind}/{target_id}", reason="spam", text="Ads")
    assert sent.status_code == 200

    console = text_of(community.get("staff", "/staff"))
    assert "1 report" in console and words in console and "Acme Outfitters" in console
    removed = _act(community, kind, target_id, "remove", "Advertising is not allowed")
    assert removed.status_code == 303

    assert words not in text_of(community.get("neighbour", page))
    (entry,) = _audit(community)
    assert (entry.action, entry.target_kind, entry.target_id) == ("remove", kind, target_id)
    assert entry.actor_id == community.ids["staff"] and entry.reports_resolved == 1
    assert entry.reason == "Advertising is not allowed"
    assert f"participant #{community.ids['shopper']}" in entry.snapshot
    assert words not in entry.snapshot  # the log keeps no one's words
    (told,) = _told(community, "shopper")
    assert told["title"].startswith(f"Your {called}") and "removed" in told["title"]
    assert "Advertising is not allowed" in told["body"] and "appeal" in told["body"]
    (decision,) = community.db.exec(select(Decision)).all()
    assert (decision.user_id, decision.action) == (community.ids["shopper"], "remove")

    again = _act(community, kind, target_id, "remove", "Twice")
    assert again.status_code == 409 and len(_audit(community)) == 1
    late = community.post("staff", f"/report/{kind}/{target_id}", reason="spam")
    assert late.status_code == 409 and "already removed" in text_of(late)


def test_an_author_cannot_report_their_own_text(community):
    target_id, _ = _post(community, "question", "shopper", "Is it warm?")
    response = community.post("shopper", f"/report/question/{target_id}", reason="spam")
    assert response.status_code == 400
    assert "You cannot report your own question." in text_of(response)
    assert community.db.exec(select(Report)).all() == []


def test_a_held_text_approved_by_staff_appears_to_others_and_its_author_is_told(community):
    _rule(community, "coupon", "hold")
    thread = THREAD.format(card=community.card_id)
    assert community.ask("neighbour", title="Any coupon for this jacket?").status_code == 303
    question = _one(community, Question)
    assert "Any coupon" not in text_of(community.get("shopper", thread))

    console = text_of(community.get("staff", "/staff"))
    assert "Held by screening" in console and "Held: Rule “coupon”" in console
    assert "Any coupon for this jacket?" in console
    assert "The participant's history: 0 reports about them" in console
    assert _act(community, "question", question.id, "approve", "A fair question").status_code == 303

    assert "Any coupon for this jacket?" in text_of(community.get("shopper", thread))
    assert "Nothing is waiting" in text_of(community.get("staff", "/staff"))
    held, approved = _audit(community)
    assert (held.action, held.actor_id, held.reason) == ("hold", None, "Rule “coupon”")
    assert (approved.action, approved.actor_id) == ("approve", community.ids["staff"])
    assert approved.target_id == question.id
    (told,) = _told(community, "neighbour")
    assert (
        told["title"] == "Your question “Any coupon for this jacket?” was approved by Plaza's staff"
    )
    assert (
        told["body"] == "Reason: A fair question"
        and told["path"] == f"{thread}#question-{question.id}"
    )

    again = _act(community, "question", question.id, "approve", "Again")
    assert again.status_code == 409 and "not waiting for review" in text_of(again)
    assert len(_audit(community)) == 2


def test_a_rejected_held_text_never_appears(community):
    _rule(community, "coupon", "hold")
    community.suggest("neighbour", title="Coupon codes for everyone")
    idea = _one(community, Suggestion)
    assert _act(community, "suggestion", idea.id, "reject", "No coupon fishing").status_code == 303
    for who in ("shopper", "neighbour", "retailer"):
        assert "Coupon codes" not in text_of(community.get(who, BOARD))
    assert _one(community, Suggestion).status == Visibility.REMOVED
    assert [e.action for e in _audit(community)] == ["hold", "reject"]
    (told,) = _told(community, "neighbour")
    assert told["title"].startswith("Your idea “Coupon codes for everyone” was rejected")
    assert "No coupon fishing" in told["body"] and "appeal" in told["body"]
    assert _act(community, "suggestion", idea.id, "approve", "Changed my mind").status_code == 409


def test_approving_a_flagged_text_clears_the_flag_and_keeps_it_shown(community):
    _settle(community, "shopper")
    _rule(community, "refund", "flag")
    community.ask(title="Can I get a refund?")
    question = _one(community, Question)
    console = text_of(community.get("staff", "/staff"))
    assert "Flagged by screening" in console and "Flagged: Rule “refund”" in console
    assert _act(community, "question", question.id, "approve", "Fine").status_code == 303
    assert "Nothing is waiting" in text_of(community.get("staff", "/staff"))
    thread = THREAD.format(card=community.card_id)
    assert "Can I get a refund?" in text_of(community.get("neighbour", thread))
    assert [e.action for e in _audit(community)] == ["flag", "approve"]


def test_screenings_own_decisions_are_automatic_entries_in_the_log(community):
    _settle(community, "shopper")
    _rule(community, "knockoff", "refuse")
    _rule(community, "refund", "flag")
    _rule(community, "coupon", "hold")
    assert community.ask(title="Is this a knockoff?").status_code == 422
    community.ask(title="Can I get a refund?")
    community.suggest(title="A coupon for students")
    refused, flagged, held = _audit(community)
    assert (refused.action, refused.target_kind, refused.target_id) == ("refuse", "question", 0)
    assert refused.snapshot.endswith("not posted") and "knockoff" not in refused.snapshot
    assert (flagged.action, held.action) == ("flag", "hold")
    assert (flagged.target_kind, held.target_kind) == ("question", "suggestion")
    assert {e.actor_id for e in (refused, flagged, held)} == {None}

    log = text_of(community.get("staff", "/staff/audit?actor=automatic"))
    assert log.count("Automatic") >= 3
    assert "Rule “knockoff”" in log and "Rule “refund”" in log and "Rule “coupon”" in log
    figures = text_of(community.get("staff", "/staff/transparency"))
    assert "refuse: 1" in figures and "flag: 1" in figures and "hold: 1" in figures


def test_bad_staff_actions_on_texts_change_nothing(community):
    target_id, _ = _post(community, "question", "shopper", "Is it warm?")
    no_reason = community.post(
        "staff", f"/staff/question/{target_id}/act", action="remove", reason="  "
    )
    assert no_reason.status_code == 400 and "Give a reason" in text_of(no_reason)
    not_held = _act(community, "question", target_id, "approve")
    assert not_held.status_code == 409
    assert _act(community, "question", 999_999, "remove").status_code == 404
    assert _one(community, Question).status == Visibility.VISIBLE
    assert _audit(community) == [] and _told(community, "shopper") == []


@pytest.mark.parametrize(
    ("who", "status"),
    [("shopper", {403}), ("retailer", {403}), ("anonymous", {302, 303}), ("staff", {303})],
)
def test_only_staff_decide_on_texts(community, who, status):
    target_id, _ = _post(community, "question", "neighbour", "Is it warm?")
    response = community.post(
        who, f"/staff/question/{target_id}/act", action="remove", reason="Off topic"
    )
    assert response.status_code in status
    removed = _one(community, Question).status == Visibility.REMOVED
    assert removed == (who == "staff")


def test_a_rejected_text_reversed_on_appeal_is_shown_again(community):
    _rule(community, "coupon", "hold")
    community.ask("neighbour", title="Any coupon for this jacket?")
    question = _one(community, Question)
    assert _act(community, "question", question.id, "reject", "Coupon fishing").status_code == 303
    (decision,) = community.db.exec(select(Decision)).all()
    client, token = community.client("neighbour")
    appeal = client.post(
        f"/decisions/{decision.id}/appeal",
        data={"text": "I only asked about discounts", "csrf_token": token},
    )
    assert appeal.status_code == 303
    console = text_of(community.get("staff", "/staff"))
    assert "I only asked about discounts" in console
    appeal_id = community.db.exec(select(Appeal.id)).one()
    reversed_ = community.post(
        "staff", f"/staff/appeals/{appeal_id}", outcome="reversed", reason="Fair question"
    )
    assert reversed_.status_code == 303
    thread = THREAD.format(card=community.card_id)
    assert "Any coupon for this jacket?" in text_of(community.get("shopper", thread))
    assert [e.action for e in _audit(community)] == ["hold", "reject", "appeal_reversed"]


def test_refused_attempts_count_against_the_posting_limit(community):
    _rule(community, "knockoff", "refuse")
    for _ in range(10):
        assert community.ask(title="Is this a knockoff?").status_code == 422
    stopped = community.ask(title="Is this a knockoff?")
    assert stopped.status_code == 429 and "wait a few minutes" in text_of(stopped)
    assert [e.action for e in _audit(community)] == ["refuse"] * 10  # the log is not flooded
