"""The suggestions board: ideas, one vote per shopper, sorting, statuses, and the
people who are told."""

from __future__ import annotations

from sqlmodel import select

from app.models import Suggestion, SuggestionVote
from tests.community.conftest import text_of


def _ideas(community):  # type: ignore[no-untyped-def]
    community.db.expire_all()
    return community.db.exec(select(Suggestion).order_by(Suggestion.id)).all()


def test_an_idea_counts_its_authors_vote_and_one_vote_per_shopper(community):
    assert community.suggest().status_code == 303
    (idea,) = _ideas(community)
    assert idea.vote_count == 1 and idea.stage == "new"
    for _ in range(2):  # voting twice is no second vote
        response = community.post("neighbour", f"/suggestions/{idea.id}/vote", htmx=True, vote="1")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'aria-pressed="true"' in html and '<span class="vote__count">2</span>' in html
    assert _ideas(community)[0].vote_count == 2
    community.post("neighbour", f"/suggestions/{idea.id}/vote", vote="0")
    community.post("neighbour", f"/suggestions/{idea.id}/vote", vote="0")
    assert _ideas(community)[0].vote_count == 1
    votes = community.db.exec(select(SuggestionVote.user_id)).all()
    assert votes == [community.ids["shopper"]]


def test_the_board_sorts_by_votes_or_newest(community):
    community.suggest(title="Older idea with votes")
    community.suggest("neighbour", title="Newer idea")
    older, _newer = _ideas(community)
    community.post("staff", f"/suggestions/{older.id}/vote", vote="1")
    by_votes = text_of(community.get("shopper", "/o/acme/suggestions"))
    assert by_votes.index("Older idea with votes") < by_votes.index("Newer idea")
    newest = text_of(community.get("shopper", "/o/acme/suggestions?sort=new"))
    assert newest.index("Newer idea") < newest.index("Older idea with votes")


def test_suggest_from_a_card_keeps_the_card_as_context(community):
    page = community.get("shopper", f"/o/acme/suggestions?card={community.card_id}")
    assert "About: Jackets item 0" in text_of(page)
    community.suggest(card=str(community.card_id))
    assert _ideas(community)[0].card_id == community.card_id
    # A card of another organisation is no context for Acme's board.
    community.suggest("neighbour", title="Other", card=str(community.globex_card_id))
    assert _ideas(community)[1].card_id is None


def test_bad_ideas_are_refused_with_a_message(community):
    response = community.suggest(title="")
    assert response.status_code == 422
    assert "Write your idea first: it cannot be empty." in text_of(response)
    response = community.suggest(title="w" * 121)
    assert "Your idea is 121 characters long; keep it to 120." in text_of(response)
    assert community.suggest("retailer").status_code == 403
    assert community.get("shopper", "/o/nobody/suggestions").status_code == 404
    assert _ideas(community) == []


def test_the_organisation_sets_a_status_and_voters_are_told(community):
    community.suggest()
    (idea,) = _ideas(community)
    community.post("neighbour", f"/suggestions/{idea.id}/vote", vote="1")
    response = community.post(
        "retailer",
        f"/portal/acme/community/suggestions/{idea.id}/status",
        htmx=True,
        stage="available",
        note="Now in wide fit, sizes 38 to 48.",
        available_card=str(community.card_id),
    )
    assert response.status_code == 200
    assert "Status saved; voters are told." in text_of(response)
    (idea,) = _ideas(community)
    assert (idea.stage, idea.available_card_id) == ("available", community.card_id)
    for who in ("shopper", "neighbour"):
        (message,) = [m for m in community.messages(who) if m.channel == "in_app"]
        assert message.content["title"].startswith("Acme Outfitters: “This jacket in a wide fit”")
        assert message.content["title"].endswith("is available")
        assert message.content["body"] == "Now in wide fit, sizes 38 to 48."
        assert message.content["path"] == f"/o/acme/suggestions#suggestion-{idea.id}"
    assert community.messages("retailer") == []
    board = text_of(community.get("neighbour", "/o/acme/suggestions"))
    assert "Available Now in wide fit, sizes 38 to 48. See it" in board


def test_a_status_is_checked_and_another_organisation_cannot_set_it(community):
    community.suggest()
    (idea,) = _ideas(community)
    url = f"/portal/acme/community/suggestions/{idea.id}/status"
    response = community.post("retailer", url, htmx=True, stage="shipped")
    assert response.status_code == 422
    assert "Choose a status" in text_of(response)
    response = community.post(
        "retailer", url, htmx=True, stage="available", available_card=str(community.globex_card_id)
    )
    assert response.status_code == 422
    assert f"Acme Outfitters has no card {community.globex_card_id}." in text_of(response)
    assert community.post("outsider", url, stage="planned").status_code == 404
    assert community.post("shopper", url, stage="planned").status_code == 403
    assert _ideas(community)[0].stage == "new"
    assert community.messages("shopper") == []
