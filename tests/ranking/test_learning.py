"""Turning events into affinities, and opens into popularity: bounded, decaying, smoothed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.ranking.affinity import (
    HALF_LIFE,
    INTEREST_BOUND,
    KIND_BOUND,
    PROVIDER_BOUND,
    EventRecord,
    affinities_from_events,
    lineage,
)
from app.ranking.candidate import Candidate
from app.ranking.popularity import (
    MULTIPLIER_RANGE,
    VIEWER_PRIOR_RATE,
    CardCounts,
    Tally,
    popularity_lifts,
    provider_totals,
    viewer_rate,
)
from app.ranking.rank import Profile, explain
from cards.taxonomy import default_taxonomy

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
TAXONOMY = default_taxonomy()
TRAIL = "shoes/athletic-shoes/running-shoes/trail-running-shoes"


def event(kind: str, card_id: int = 1, provider: int = 7, days_ago: float = 0, **kw):
    return EventRecord(
        kind=kind,
        card_id=card_id,
        provider_id=provider,
        card_kind=kw.pop("card_kind", "product_feed"),
        interests=kw.pop("interests", (TRAIL,)),
        at=NOW - timedelta(days=days_ago),
        **kw,
    )


def test_the_taxonomy_has_the_interest_these_tests_use():
    assert TRAIL in TAXONOMY


def test_saves_lift_the_interest_its_ancestors_less_the_kind_and_the_provider():
    learned = affinities_from_events([event("save", card_id=n) for n in range(3)], NOW)
    parent = TAXONOMY.ancestors(TRAIL)[0]
    assert learned.interests[TRAIL] > learned.interests[parent] > 0
    assert learned.kinds["product_feed"] > 0
    assert learned.providers[7] > 0
    assert TRAIL in learned.saved_interests and parent in learned.saved_interests


def test_no_signal_runs_away():
    learned = affinities_from_events([event("save", card_id=n) for n in range(1000)], NOW)
    assert learned.interests[TRAIL] <= INTEREST_BOUND
    assert learned.kinds["product_feed"] <= KIND_BOUND
    assert learned.providers[7] <= PROVIDER_BOUND
    hidden = affinities_from_events([event("hide_provider")] * 50, NOW)
    assert -PROVIDER_BOUND <= hidden.providers[7] < -0.5 * PROVIDER_BOUND


def test_old_habits_fade():
    recent = affinities_from_events([event("save")], NOW)
    old = affinities_from_events([event("save", days_ago=HALF_LIFE.days * 3)], NOW)
    assert 0 < old.interests[TRAIL] < recent.interests[TRAIL] / 4


def test_taking_an_action_back_takes_its_signal_back():
    learned = affinities_from_events([event("dismiss"), event("undismiss")], NOW)
    assert abs(learned.providers.get(7, 0.0)) < 1e-9
    unsaved = affinities_from_events([event("save"), event("unsave")], NOW)
    assert TRAIL not in unsaved.saved_interests


def test_repeated_impressions_without_an_open_count_slightly_against():
    """Against what the consumer usually does: here they open the other source's cards."""
    ignored = [event("impression", days_ago=d) for d in (0, 1, 2)]
    others = [event(k, card_id=n, provider=8) for n in (2, 3, 4) for k in ("impression", "open")]
    learned = affinities_from_events([*ignored, *others], NOW)
    assert learned.ignored == {1: 3}
    assert -0.5 < learned.providers[7] < 0 < learned.providers[8]
    opened = affinities_from_events([*ignored, *others, event("open")], NOW)
    assert opened.ignored == {} and opened.providers[7] > learned.providers[7]
    assert opened.seen_providers == {7, 8}


def test_what_is_scrolled_past_sinks_and_what_is_opened_rises_even_if_followed():
    """Engagement rates: twenty running cards shown and never opened, against hiking
    cards opened one time in three, on another kind and from another provider."""
    hiking = "shoes/hiking-footwear/hiking-boots"
    events = [event("impression", card_id=n, interests=(TRAIL,)) for n in range(20)]
    for n in range(100, 112):
        shown = event("impression", card_id=n, provider=8, card_kind="youtube", interests=(hiking,))
        events.append(shown)
        if n % 3 == 0:
            events.append(
                event("open", card_id=n, provider=8, card_kind="youtube", interests=(hiking,))
            )
    learned = affinities_from_events(events, NOW)
    assert learned.interests[TRAIL] < 0 < learned.interests[hiking]
    assert learned.kinds["product_feed"] < 0 < learned.kinds["youtube"]
    assert learned.providers[7] < 0 < learned.providers[8]
    # Rates are relative to the consumer's own: when they open everything, or nothing,
    # no interest stands out.
    keen = [event(k, card_id=n) for n in range(10) for k in ("impression", "open")]
    idle = [event("impression", card_id=n) for n in range(10)]
    for history in (keen, idle):
        assert affinities_from_events(history, NOW).interests.get(TRAIL, 0.0) == 0.0


def test_not_interested_weighs_hardest_on_the_named_topic():
    learned = affinities_from_events(
        [event("not_interested", interests=(TRAIL, "sports"), interest="sports")], NOW
    )
    assert learned.interests["sports"] < learned.interests[TRAIL] < 0


def test_popularity_is_smoothed_towards_the_provider_then_the_average():
    counts = [
        CardCounts(1, provider_id=1, impressions=1000, opens=200, expected_opens=100),  # a hit
        CardCounts(2, provider_id=1, impressions=0, opens=0),  # its sibling, brand new
        CardCounts(3, provider_id=2, impressions=1000, opens=90, expected_opens=100),
        CardCounts(4, provider_id=2, impressions=0, opens=0),
        # Opened three times as often as usual, but three impressions are little to go on.
        CardCounts(5, provider_id=3, impressions=3, opens=1, expected_opens=0.3),
    ]
    lift = popularity_lifts(counts, provider_totals(counts))
    low, high = MULTIPLIER_RANGE
    assert lift[1] > lift[2] > 1.0 > lift[4] > lift[3] >= low
    assert lift[5] < lift[1] <= high
    assert popularity_lifts([CardCounts(1, 1, 0, 0)], {}) == {1: 1.0}


def test_a_providers_rate_comes_from_all_its_cards_not_only_those_being_ranked():
    # Two unseen cards: one from a provider whose other cards are opened a lot, one
    # from a provider whose cards are ignored; neither provider's hits are candidates.
    unseen = [CardCounts(1, provider_id=1, impressions=0, opens=0), CardCounts(2, 2, 0, 0)]
    providers = {1: Tally(5000, opens=1000, expected_opens=500), 2: Tally(5000, 50, 500)}
    lift = popularity_lifts(unseen, providers)
    assert lift[1] > 1.0 > lift[2]
    assert popularity_lifts(unseen, provider_totals(unseen)) == {1: 1.0, 2: 1.0}


def test_a_card_opened_more_than_its_viewers_usually_open_rises_above_a_busier_one():
    # Card 1 is shown to shoppers who open one card in five, and opened at that rate;
    # card 2 to shoppers who open one in twenty, and opened one time in ten: fewer
    # opens, but twice what its viewers usually give.
    counts = [
        CardCounts(1, provider_id=1, impressions=1000, opens=200, expected_opens=200),
        CardCounts(2, provider_id=1, impressions=1000, opens=100, expected_opens=50),
    ]
    lift = popularity_lifts(counts, provider_totals(counts))
    assert lift[2] > 1.0 > lift[1]


def test_a_viewers_usual_rate_starts_at_the_prior_and_follows_their_own_opens():
    assert viewer_rate(0, 0) == VIEWER_PRIOR_RATE
    assert viewer_rate(1, 1) < 0.2  # one open in one card is not a heavy opener yet
    assert viewer_rate(0, 500) < viewer_rate(50, 500) < viewer_rate(400, 500)
    assert viewer_rate(400, 500) == pytest.approx(0.8, abs=0.03)


def test_the_lineage_of_a_slug_is_the_taxonomys():
    for interest in TAXONOMY:
        assert lineage(interest.slug) == (interest.slug, *TAXONOMY.ancestors(interest.slug))


HEADPHONES = ("electronics", "electronics/audio", "electronics/audio/headphones", "home")


def test_one_save_moves_an_interest_a_little_and_a_habit_moves_it_more():
    once = affinities_from_events([event("save", card_id=1)], NOW)
    five = affinities_from_events([event("save", card_id=n) for n in range(5)], NOW)
    assert 0 < once.interests[TRAIL] < 0.6 * five.interests[TRAIL]
    assert 0 < once.providers[7] < five.providers[7]


def test_one_saved_card_says_little_about_its_broad_categories():
    """A pair of headphones from a shop that tags everything "Home": saving it says the
    shopper likes headphones, somewhat audio, and next to nothing about all of
    Electronics or Home (wall clocks, watering cans)."""
    learned = affinities_from_events([event("save", interests=HEADPHONES)], NOW)
    interests = learned.interests
    headphones = interests["electronics/audio/headphones"]
    assert headphones > interests["electronics/audio"] > 0
    assert interests["electronics"] < headphones / 5
    assert interests["home"] < headphones / 5
    assert "home" not in learned.saved and "electronics" not in learned.saved
    assert learned.saved["electronics/audio/headphones"] == (1,)


def test_saves_are_counted_per_card_and_an_unsave_takes_one_back():
    events = [
        event("save", card_id=1, days_ago=3),
        event("save", card_id=2, days_ago=2),
        event("save", card_id=1, days_ago=1),  # saved again: still one card
        event("unsave", card_id=2),
    ]
    learned = affinities_from_events(events, NOW)
    assert learned.saved[TRAIL] == (1,)
    assert learned.engaged[TRAIL] == 2
    assert learned.provider_engagements == {7: 2}


@pytest.mark.parametrize(("saved", "often"), [(1, False), (2, False), (3, True)])
def test_a_source_is_often_opened_only_after_several_of_its_cards(saved: int, often: bool):
    learned = affinities_from_events([event("save", card_id=n) for n in range(saved)], NOW)
    card = Candidate(card_id=99, provider_id=7, kind="product_feed", interests=(TRAIL,),
                     published_at=NOW - timedelta(hours=2))  # fmt: skip
    profile = Profile(follows=frozenset({"shoes"}), affinities=learned)
    codes = {reason.code for reason in explain(profile, card, TAXONOMY, NOW)}
    assert ("liked_source" in codes) is often
