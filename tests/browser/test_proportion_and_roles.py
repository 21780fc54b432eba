"""In Chromium on a phone, on a Plaza of its own with the demo: one save and one "Not
interested" move the feed a little and say so in plain words; and each role's login
lands where its work is."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import scroll_to_next_page, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LEARNED = re.compile(r"^(Similar to |You saved |You opened |You often open )")


def reasons(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The first page's cards' reasons, top to bottom."""
    return page.eval_on_selector_all(
        "#feed article.card[data-card-id] .card__reason",
        "els => els.map(el => el.firstChild ? el.firstChild.textContent.trim() : '')",
    )


def test_one_save_and_one_not_interested_move_the_feed_a_little(live_server, chromium, output_dir):
    context = chromium.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "demo@example.com")
    # The first card about Audio (headphones, a speaker), which the demo shopper follows.
    audio = page.get_by_role("button", name="Not interested in Audio", include_hidden=True)
    card = page.locator("article.card[data-card-id]", has=audio).first
    page.wait_for_selector("article.card[data-card-id]")
    for _ in range(4):  # the next pages, until one comes
        if card.count() or not page.locator("a.more").count():  # found, or the feed ended
            break
        scroll_to_next_page(page)
    assert card.count(), "no card about Audio in the first five pages"
    title = card.locator(".card__title").inner_text().strip()
    card.scroll_into_view_if_needed()
    card.get_by_role("button", name=f"Save: {title}").click()
    card.get_by_role("button", name=f"Remove from saved: {title}").wait_for()

    card.get_by_label(f"More options: {title}").click()
    card.get_by_role("button", name="Not interested in Audio").click()
    question = page.get_by_text("Stop following Audio and mute it?")
    question.wait_for()  # it asks first: the shopper follows Audio
    page.screenshot(path=str(output_dir / "asked.png"))
    page.get_by_role("button", name="Confirm").click()
    # The question says "You won't see cards about Audio." too: only the note that
    # replaces it, with Undo, says the mute is stored.
    done = page.get_by_role("status").filter(has_text="You won't see cards about Audio.")
    done.get_by_role("button", name="Undo").wait_for()
    assert not question.count()

    page.goto(live_server + "/")
    said = reasons(page)
    page.screenshot(path=str(output_dir / "after.png"), full_page=True)
    assert len(said) >= 15
    learned = [reason for reason in said if LEARNED.match(reason)]
    assert len(learned) <= 3, learned  # one save is a hint, not a new taste
    assert not [r for r in said if "/" in r or "similar Home" in r or "liked other" in r], said
    assert not [r for r in said if "Audio" in r], said  # muted means muted
    assert errors == []
    context.close()


@pytest.mark.parametrize(
    ("email", "lands_on", "heading"),
    [
        ("demo@example.com", "/", None),
        ("retailer@example.com", "/portal/northwind/", "Northwind Outfitters"),
        ("staff@example.com", "/staff", None),
    ],
    ids=["shopper", "retailer", "staff"],
)
def test_each_role_lands_where_its_work_is(live_server, chromium, email, lands_on, heading):
    context = chromium.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    sign_in(page, live_server, email)
    path = page.url.removeprefix(live_server)
    assert path == lands_on or path.startswith(lands_on.rstrip("/") + "/"), path
    if heading:
        assert heading in page.locator("main").inner_text()
    if lands_on != "/":  # partners and staff keep a way to the shoppers' feed
        assert page.get_by_role("link", name="Shopper feed").count() >= 1
    context.close()
