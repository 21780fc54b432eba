"""The community on phones: a shopper asks on a product card, the retailer answers from
the portal's inbox, the shopper is told and finds the answer pinned; an idea gets votes,
becomes available, and its voters are told; another shopper reports the answer, staff
remove it from /staff with a reason, the retailer is told, and the audit log shows it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.accounts.users import create_user
from app.ingest.store import store_drafts
from app.models import Card, InterestState, Provider, Role
from app.partners.orgs import create_organization
from app.shopper.interests import set_interest_state
from cards.spec import CardDraft
from tests.browser.conftest import PASSWORD, plaza_app, serving, sign_in
from tests.browser.test_retailer_journey import PHONE, Steps

pytestmark = pytest.mark.browser

RUNNING = "shoes/athletic-shoes/running-shoes"
SHOPPER, VOTER, RETAILER = "asker@example.com", "voter@example.com", "retailer@acme.example"
STAFF = "staff@example.com"


@pytest.fixture
def community_plaza(tmp_path) -> Iterator[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """A Plaza with Acme's running shoes, its retailer and two shoppers who follow them."""
    app = plaza_app(tmp_path / "plaza.sqlite3")
    now = datetime.now(UTC)
    with app.app_context(), Session(app.extensions["plaza.engine"]) as db:
        acme = create_organization(db, "acme", "Acme Trail Co.")
        create_user(db, RETAILER, PASSWORD, Role.RETAILER, acme).onboarded_at = now
        create_user(db, STAFF, PASSWORD, Role.STAFF)
        for email in (SHOPPER, VOTER):
            user = create_user(db, email, PASSWORD)
            user.onboarded_at = now
            db.flush()
            set_interest_state(db, user.id, RUNNING, InterestState.FOLLOW)
        provider = Provider(organization_id=acme.id, kind="product_feed", name="Acme shoes",
                            interests=[RUNNING])  # fmt: skip
        db.add(provider)
        db.commit()
        drafts = [
            CardDraft(
                external_id=f"shoe-{n}",
                title=f"Ridge runner {n}",
                url=f"https://acme.example/shoes/{n}",
                interests=[RUNNING],
                payload={"price": "120.00", "currency": "USD"},
                published_at=now - timedelta(hours=n + 1),
            )
            for n in range(3)
        ]
        store_drafts(db, provider, drafts, app.extensions["plaza.taxonomy"], now)
        db.commit()
        card_id = db.exec(select(Card.id).where(Card.external_id == "shoe-0")).one()
    with serving(app) as url:
        yield url, card_id
    app.extensions["plaza.engine"].dispose()


def test_ask_answer_and_an_idea_that_becomes_available(community_plaza, contexts, output_dir):
    base, card_id = community_plaza
    steps = Steps(output_dir)
    errors: list[str] = []

    def phone():  # type: ignore[no-untyped-def]
        page = contexts(viewport=PHONE, is_mobile=True).new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        return page

    # The shopper asks from the card's menu in the feed.
    shopper = phone()
    sign_in(shopper, base, SHOPPER, PASSWORD)
    card = shopper.locator(f"#card-{card_id}")
    card.get_by_label(re.compile("^More options")).click()
    card.get_by_role("link", name="Ask Acme Trail Co. a question").click()
    shopper.wait_for_url(f"{base}/cards/{card_id}/questions")
    assert "No questions yet" in shopper.locator("main").inner_text()
    shopper.get_by_label("Your question").fill("Do they come in a wide fit? <b>please</b>")
    shopper.get_by_role("button", name="Ask", exact=True).click()
    question = shopper.locator(".community__list .question").first
    question.wait_for()
    assert question.locator("h3").inner_text() == "Do they come in a wide fit? <b>please</b>"
    assert shopper.get_by_label("Your question").input_value() == ""  # a fresh form
    assert "Your question is posted" in shopper.locator("#toasts .toast").inner_text()
    assert not shopper.get_by_text("No questions yet").is_visible()
    steps.done(shopper, "asked")

    # The retailer answers from the portal's community inbox.
    portal = phone()
    sign_in(portal, base, RETAILER, PASSWORD)
    portal.goto(f"{base}/portal/")
    portal.get_by_role("navigation", name="Portal sections").get_by_role(
        "link", name="Community"
    ).click()
    assert "Open questions 1" in portal.locator("dl.counts").inner_text().replace("\n", " ")
    waiting = portal.locator("#unanswered .community__item")
    assert waiting.locator("h3").inner_text() == "Do they come in a wide fit? <b>please</b>"
    waiting.get_by_label("Answer for Acme Trail Co.").fill("Yes: the W last, sizes 40 to 47.")
    steps.done(portal, "inbox")
    waiting.get_by_role("button", name="Post answer").click()
    portal.get_by_text("Answered: the shopper is told.").wait_for()
    steps.done(portal, "answered")

    # The shopper is told, and finds the answer pinned under the card.
    shopper.goto(f"{base}/")
    assert shopper.locator("#notification-bell").get_attribute("aria-label") == (
        "Notifications, 1 unread"
    )
    shopper.locator("#notification-bell").click()
    shopper.get_by_role("link", name=re.compile("^Unread: Acme Trail Co. answered")).click()
    shopper.wait_for_url(re.compile(rf"/cards/{card_id}/questions#question-\d+$"))
    pinned = shopper.locator(".answer--partner")
    assert pinned.locator(".answer__badge").inner_text() == "Answer from Acme Trail Co."
    assert "Yes: the W last, sizes 40 to 47." in pinned.inner_text()
    steps.done(shopper, "pinned-answer")

    # An idea from the card's menu, with the card as its context.
    shopper.goto(f"{base}/")
    card = shopper.locator(f"#card-{card_id}")
    card.get_by_label(re.compile("^More options")).click()
    card.get_by_role("link", name="Suggest an idea").click()
    shopper.wait_for_url(re.compile(r"/o/acme/suggestions\?card=\d+#suggest$"))
    assert "About: Ridge runner 0" in shopper.locator("#suggest").inner_text()
    shopper.get_by_label("Your idea").fill("The Ridge runner in a trail version")
    shopper.get_by_role("button", name="Suggest", exact=True).click()
    shopper.locator("#ideas .idea").first.wait_for()
    assert not shopper.get_by_text("No ideas yet").is_visible()
    steps.done(shopper, "suggested")

    # Another shopper votes for it, in place; a second tap takes the vote back, a third
    # gives it again.
    voter = phone()
    sign_in(voter, base, VOTER, PASSWORD)
    voter.goto(f"{base}/o/acme/suggestions")
    # Exact: "Vote: ..." is also part of "Take back your vote: ...".
    vote = voter.get_by_role("button", name="Vote: The Ridge runner in a trail version", exact=True)
    assert vote.locator(".vote__count").inner_text() == "1"
    vote.click()
    taken = voter.get_by_role(
        "button", name="Take back your vote: The Ridge runner in a trail version", exact=True
    )
    taken.wait_for()
    assert taken.locator(".vote__count").inner_text() == "2"
    taken.click()
    vote.click()  # found once the take-back has landed
    taken.wait_for()
    assert taken.locator(".vote__count").inner_text() == "2"
    steps.done(voter, "voted")

    # The retailer marks it available, pointing at the card; the voter is told.
    portal.reload()
    idea = portal.locator("#portal-ideas .community__item").first
    assert "2 votes" in idea.locator("h3").inner_text()
    idea.get_by_label("Status").select_option(label="Available")
    idea.get_by_label(re.compile("^Note for shoppers")).fill("Out now in the trail version.")
    idea.get_by_label(re.compile("^When available: the card's number")).fill(str(card_id))
    idea.get_by_role("button", name="Save status").click()
    portal.get_by_text("Status saved; voters are told.").wait_for()
    steps.done(portal, "available")
    voter.goto(f"{base}/notifications")
    told = voter.get_by_role("link", name=re.compile("Acme Trail Co.: “The Ridge runner"))
    assert "is available" in told.inner_text()
    assert "Out now in the trail version." in told.inner_text()
    told.click()
    voter.wait_for_url(re.compile(r"/o/acme/suggestions#suggestion-\d+$"))
    assert "Available" in voter.locator(".stage").first.inner_text()
    steps.done(voter, "told")

    # Another shopper reports the partner's answer from the card's thread.
    voter.goto(f"{base}/cards/{card_id}/questions")
    answer = voter.locator(".answer--partner")
    answer_id = (answer.get_attribute("id") or "").removeprefix("answer-")
    answer.get_by_role("link", name="Report this answer").click()
    form = answer.locator("form.report-form")
    form.wait_for()
    form.get_by_label("Misleading").check()
    form.get_by_label("More about it (optional)").fill("The W last stops at 46.")
    form.get_by_role("button", name="Send report").click()
    answer.get_by_text("your report is sent").wait_for()
    steps.done(voter, "reported-answer")

    # Staff remove it from the console, with a reason.
    desk = phone()
    sign_in(desk, base, STAFF, PASSWORD)
    desk.goto(f"{base}/staff")
    item = desk.locator(f"#item-reports-answer-{answer_id}")
    assert "The W last stops at 46." in item.inner_text()
    assert "Yes: the W last, sizes 40 to 47." in item.inner_text()
    item.get_by_label("Reason (the person concerned is told)").fill("Wrong sizes")
    steps.done(desk, "queue-answer")
    item.get_by_role("button", name=re.compile("^Remove: An answer to")).click()
    desk.get_by_text("Remove: done; 1 report resolved.").wait_for()
    assert desk.locator(f"#item-reports-answer-{answer_id}").count() == 0

    # The audit log: the removal, and the report it resolved.
    desk.goto(f"{base}/staff/audit")
    row = desk.locator("table.audit tbody tr").first.inner_text()
    assert "remove" in row and "resolved 1 report" in row
    assert f"answer #{answer_id}" in row and "Wrong sizes" in row
    steps.done(desk, "audit-answer")

    # The retailer who wrote it is told why; shoppers no longer see it.
    portal.goto(f"{base}/notifications")
    told = portal.get_by_role("link", name=re.compile("Your answer to “Do they come"))
    assert "was removed by Plaza's staff" in told.inner_text()
    assert "Reason: Wrong sizes" in told.inner_text()
    shopper.goto(f"{base}/cards/{card_id}/questions")
    assert "Yes: the W last" not in shopper.locator("main").inner_text()
    assert errors == []
