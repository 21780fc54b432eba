"""Answered questions and popular ideas surface as cards for shoppers who share their
interests, through the worker's job and the same refresh and store path as any card;
held, flagged and removed texts never do."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.community.feed_posts import IDEA_VOTES, sync_community_cards
from app.community.screening import add_rule
from app.ingest.due import refresh_one
from app.models import Answer, Card, InterestState, Provider, ProviderBlock, Question, Suggestion
from app.partners.providers import ProviderProblems, create_provider
from app.shopper.interests import set_interest_state
from cards.community import CommunityKind
from feeds.fetch import FetchPolicy
from tests.community.conftest import text_of

KIND = CommunityKind.name


def _surface(community) -> Provider | None:  # type: ignore[no-untyped-def]
    """One run of the worker's job, then the refresh of the provider it made due."""
    db = community.db
    db.expire_all()  # the worker's session is a new one each run
    sync_community_cards(db, datetime.now(UTC))
    db.commit()
    provider = db.exec(select(Provider).where(Provider.kind == KIND)).first()
    if provider is not None:
        refresh_one(community.world.app, provider.id)
        db.expire_all()
    return provider


def _answered(community, answer: str = "Yes: order the W fit.") -> Question:  # type: ignore[no-untyped-def]
    assert community.ask(title="Does it come in a wide fit?").status_code == 303
    question = community.db.exec(select(Question)).one()
    response = community.post("retailer", f"/questions/{question.id}/answers", body=answer)
    assert response.status_code == 303
    return question


def _feed(community, who: str = "neighbour") -> str:  # type: ignore[no-untyped-def]
    return text_of(community.get(who, "/"))


def test_an_answered_question_surfaces_for_shoppers_of_its_interests_and_leads_to_its_thread(
    community,
):
    question = _answered(community)
    provider = _surface(community)
    assert provider is not None and provider.organization_id == community.acme.id
    (card,) = community.db.exec(select(Card).where(Card.kind == KIND)).all()
    assert card.url == f"/cards/{community.card_id}/questions#question-{question.id}"
    feed = _feed(community)
    assert "Answered by Acme Outfitters Does it come in a wide fit?" in feed
    assert "Yes: order the W fit." in feed and "Read the answer" in feed
    # Ranked like any card, with its reason, and hidden like any source.
    assert "Hide cards from Acme Outfitters community Report Because you follow Shoes" in feed
    opened = community.get("neighbour", f"/cards/{card.id}/open")
    assert opened.status_code == 303 and opened.location.endswith(card.url)
    # Nothing new: the next run changes nothing.
    assert sync_community_cards(community.db, datetime.now(UTC)) == 0


def test_a_removed_answer_leaves_the_feed_at_once_and_a_restored_one_comes_back(community):
    question = _answered(community)
    community.post("neighbour", f"/questions/{question.id}/answers", body="Mine fit well.")
    _surface(community)
    assert "Does it come in a wide fit?" in _feed(community)
    answers = {a.body: a.id for a in community.db.exec(select(Answer))}

    def act(answer: str, action: str) -> None:
        url = f"/staff/answer/{answers[answer]}/act"
        assert community.post("staff", url, action=action, reason="Off topic").status_code == 303

    act("Mine fit well.", "remove")  # another shopper's answer is on no card
    assert "Does it come in a wide fit?" in _feed(community)
    act("Yes: order the W fit.", "remove")
    assert "Does it come in a wide fit?" not in _feed(community)  # before the job runs
    _surface(community)
    assert "Does it come in a wide fit?" not in _feed(community)
    act("Yes: order the W fit.", "restore")
    _surface(community)
    assert "Does it come in a wide fit?" in _feed(community)


def test_flagged_and_held_texts_never_surface(community):
    add_rule(community.db, "discount", "flag")
    add_rule(community.db, "coupon", "hold")
    community.db.commit()
    _answered(community, answer="Yes, and there is a discount this week.")
    assert community.suggest(title="A coupon for wide fits").status_code == 303
    idea = community.db.exec(select(Suggestion)).one()
    idea.stage = "planned"  # planned ideas surface, but this one waits for staff
    community.db.commit()
    assert _surface(community) is None
    assert community.db.exec(select(Card).where(Card.kind == KIND)).all() == []


def test_a_popular_or_planned_idea_surfaces_with_the_organisations_interests(community):
    assert community.suggest(title="This jacket in a wide fit").status_code == 303
    idea = community.db.exec(select(Suggestion)).one()
    idea.vote_count = IDEA_VOTES - 1
    community.db.commit()
    assert _surface(community) is None  # not popular enough yet
    idea.vote_count = IDEA_VOTES
    community.db.commit()
    _surface(community)
    feed = _feed(community)
    assert "An idea for Acme Outfitters with 5 votes This jacket in a wide fit" in feed
    (card,) = community.db.exec(select(Card).where(Card.kind == KIND)).all()
    assert card.url == f"/o/acme/suggestions#suggestion-{idea.id}"
    response = community.post(
        "retailer",
        f"/portal/acme/community/suggestions/{idea.id}/status",
        stage="planned",
        note="Coming in spring.",
    )
    assert response.status_code in (200, 303)
    _surface(community)
    assert "Planned by Acme Outfitters This jacket in a wide fit Coming in spring." in _feed(
        community
    )


def test_a_shopper_who_muted_the_interest_or_hid_the_source_does_not_see_them(community):
    _answered(community)
    provider = _surface(community)
    assert provider is not None
    neighbour = community.ids["neighbour"]
    community.db.add(ProviderBlock(user_id=neighbour, provider_id=provider.id))
    community.db.commit()
    assert "Does it come in a wide fit?" not in _feed(community)
    shopper = community.ids["shopper"]
    with community.world.app.app_context():
        set_interest_state(community.db, shopper, "shoes/running", InterestState.MUTE)
        community.db.commit()
    assert "Does it come in a wide fit?" not in _feed(community, "shopper")


def test_nobody_registers_a_community_provider(community):
    with community.world.app.app_context():
        try:
            create_provider(
                community.db,
                community.acme,
                KIND,
                {"posts": []},
                taxonomy=community.world.app.extensions["plaza.taxonomy"],
                policy=FetchPolicy(),
            )
        except ProviderProblems as problems:
            assert "Plaza keeps Community cards itself" in str(problems)
        else:
            raise AssertionError("a community provider was registered")
    response = community.get("retailer", f"/portal/acme/providers/new/{KIND}")
    assert response.status_code == 404
    assert KIND not in community.get("retailer", "/portal/acme/providers/new").get_data(
        as_text=True
    )


def test_an_author_who_removes_their_texts_takes_their_cards_out_of_the_feed(community):
    _answered(community)
    _surface(community)
    assert community.db.exec(select(Card).where(Card.kind == KIND)).all() != []
    client, _ = community.client("shopper")
    token = community.world.csrf("/account/delete", client)
    response = client.post(
        "/account/delete",
        data={"password": community.world.password, "csrf_token": token, "writing": "remove"},
    )
    assert response.status_code == 303
    community.db.expire_all()
    assert community.db.exec(select(Card).where(Card.kind == KIND)).all() == []  # not ended: gone
    (provider,) = community.db.exec(select(Provider).where(Provider.kind == KIND)).all()
    assert provider.config == {"posts": []}  # no refresh can bring the text back


def test_the_worker_runs_the_job_every_minute(community):
    from app import worker

    scheduler = worker.build_scheduler(community.world.app)
    job = scheduler.get_job("surface_community_posts")
    assert job is not None and job.trigger.interval.total_seconds() == 60
    _answered(community)
    job.func()  # one run, as the scheduler would
    community.db.expire_all()
    (provider,) = community.db.exec(select(Provider).where(Provider.kind == KIND)).all()
    assert [post["title"] for post in provider.config["posts"]] == ["Does it come in a wide fit?"]


def test_an_organisation_has_one_community_provider_its_members_may_only_pause(community):
    _answered(community)
    provider = _surface(community)
    assert provider is not None
    community.db.add(Provider(organization_id=community.acme.id, kind=KIND, name="Another"))
    with pytest.raises(IntegrityError):  # a second worker's, made at the same moment
        community.db.commit()
    community.db.rollback()
    page = community.get("retailer", f"/portal/acme/providers/{provider.id}").get_data(as_text=True)
    assert "Pause" in page and "Edit</a>" not in page and "Delete…" not in page
    assert (
        community.get("retailer", f"/portal/acme/providers/{provider.id}/edit").status_code == 404
    )


def test_a_general_question_answered_on_the_organisations_page_stays_there(community):
    """A question about no card has no card's interests to reach shoppers by: the job
    passes over it and still posts the card questions answered beside it."""
    community.post("shopper", "/o/acme/questions", title="Do you ship to Canada?")
    general = community.db.exec(select(Question)).one()
    community.post("retailer", f"/questions/{general.id}/answers", body="Yes.")
    assert community.ask(title="Does it come in a wide fit?").status_code == 303
    on_card = community.db.exec(select(Question).where(Question.card_id != None)).one()  # noqa: E711
    community.post("retailer", f"/questions/{on_card.id}/answers", body="Yes: in W.")
    assert _surface(community) is not None
    urls = [c.url for c in community.db.exec(select(Card).where(Card.kind == KIND))]
    assert urls == [f"/cards/{community.card_id}/questions#question-{on_card.id}"]
