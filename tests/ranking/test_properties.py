"""Properties of the pure ranker, for any consumer and any candidates hypothesis finds."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.ranking.affinity import Affinities
from app.ranking.candidate import (
    Candidate,
    Delivery,
    Interned,
    InternedInterestSets,
    is_new_now,
)
from app.ranking.compose import (
    MAX_RUN_PER_PROVIDER,
    PROMOTION_AT,
    PROMOTION_EVERY,
)
from app.ranking.pool import CandidatePool
from app.ranking.rank import (
    DIMINISHING,
    FATIGUE_LIMIT,
    FOLLOWED_PARTNER_LIFT,
    Profile,
    Scorer,
    rank,
)
from cards.registry import get_kind
from cards.taxonomy import Taxonomy

NOW = datetime(2025, 6, 15, 15, 0, tzinfo=UTC)
PAGE = 20
TAXONOMY = Taxonomy.from_rows(
    {"slug": slug, "name": slug.rsplit("/", 1)[-1], "aliases": ""}
    for slug in (
        "shoes",
        "shoes/running",
        "shoes/running/trail",
        "shoes/hiking",
        "home",
        "home/kitchen",
        "home/kitchen/coffee",
        "sports",
        "sports/running",
        "sports/camping",
    )
)
SLUGS = sorted(i.slug for i in TAXONOMY)
PROVIDERS = range(1, 7)
ORGANIC_KINDS = ("product_feed", "youtube", "pinterest")

slugs = st.sampled_from(SLUGS)
hours = st.floats(min_value=-400, max_value=400, allow_nan=False)

MAX_SURVEYS_PER_PAGE = get_kind("survey").per_page_limit


@st.composite
def candidates(draw: st.DrawFn, kinds: tuple[str, ...] = (*ORGANIC_KINDS, "promotion", "survey")):
    """Candidates with unique card ids, any mix of kinds, dates, badges and caps."""
    ids = draw(st.lists(st.integers(1, 400), unique=True, max_size=60))
    out = []
    for card_id in ids:
        kind = draw(st.sampled_from(kinds))
        flight = kind in ("promotion", "survey")
        starts = NOW - timedelta(hours=draw(hours)) if flight else None
        delivery = None
        if flight and draw(st.booleans()):
            daily, own = draw(st.integers(1, 50)), draw(st.integers(1, 3))
            delivery = Delivery(daily, own, draw(st.integers(0, 60)), draw(st.integers(0, 4)))
        out.append(
            Candidate(
                card_id=card_id,
                provider_id=draw(st.sampled_from(PROVIDERS)),
                kind=kind,
                interests=tuple(sorted(draw(st.sets(slugs, min_size=1, max_size=3)))),
                published_at=NOW - timedelta(hours=abs(draw(hours))),
                badge=draw(st.sampled_from((None, "new", "price_drop"))),
                starts_at=starts,
                ends_at=starts + timedelta(hours=draw(st.floats(1, 500))) if starts else None,
                popularity=draw(st.floats(0.6, 1.6)),
                delivery=delivery,
            )
        )
    return out


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    affinity = st.floats(-1, 1, allow_nan=False)
    ids = st.integers(1, 400)
    return Profile(
        follows=frozenset(draw(st.sets(slugs, min_size=1, max_size=4))),
        muted=frozenset(draw(st.sets(slugs, max_size=2))),
        hidden_providers=frozenset(draw(st.sets(st.sampled_from(PROVIDERS), max_size=2))),
        followed_providers=frozenset(draw(st.sets(st.sampled_from(PROVIDERS), max_size=2))),
        dismissed=frozenset(draw(st.sets(ids, max_size=20))),
        answered=frozenset(draw(st.sets(ids, max_size=10))),
        affinities=Affinities(
            interests=draw(st.dictionaries(slugs, affinity, max_size=4)),
            kinds=draw(st.dictionaries(st.sampled_from(ORGANIC_KINDS), affinity, max_size=2)),
            providers=draw(st.dictionaries(st.sampled_from(PROVIDERS), affinity, max_size=3)),
            ignored=draw(st.dictionaries(ids, st.integers(1, FATIGUE_LIMIT + 2), max_size=20)),
            seen_providers=frozenset(draw(st.sets(st.sampled_from(PROVIDERS), max_size=4))),
        ),
    )


def lineage(slug: str) -> set[str]:
    return {slug, *TAXONOMY.ancestors(slug)}


@settings(max_examples=300)
@given(profiles(), candidates())
def test_filters_are_absolute(profile, cards):
    for ranked in rank(profile, cards, NOW, TAXONOMY):
        card = ranked.candidate
        assert card.provider_id not in profile.hidden_providers
        assert card.card_id not in profile.dismissed | profile.answered
        assert not any(lineage(slug) & profile.muted for slug in card.interests)
        assert card.starts_at is None or card.starts_at <= NOW
        assert card.ends_at is None or card.ends_at > NOW
        assert profile.affinities.ignored.get(card.card_id, 0) < FATIGUE_LIMIT


@settings(max_examples=200)
@given(profiles(), candidates(kinds=ORGANIC_KINDS))
def test_a_followed_partners_cards_are_lifted_and_say_so_first(profile, cards):
    unfollowed = Scorer(replace(profile, followed_providers=frozenset()), NOW, TAXONOMY)
    before = unfollowed.score(CandidatePool(cards)).score
    after = Scorer(profile, NOW, TAXONOMY).score(CandidatePool(cards)).score
    for card, was, now in zip(cards, before.tolist(), after.tolist(), strict=True):
        lift = FOLLOWED_PARTNER_LIFT if card.provider_id in profile.followed_providers else 1.0
        assert now == pytest.approx(was * lift)
    for ranked in rank(profile, cards, NOW, TAXONOMY):
        followed = ranked.candidate.provider_id in profile.followed_providers
        assert (ranked.reasons[0].code == "followed_partner") == followed


@settings(max_examples=300)
@given(profiles(), candidates())
def test_promotions_keep_to_their_slots_and_caps(profile, cards):
    ranked = rank(profile, cards, NOW, TAXONOMY)
    positions = [n for n, r in enumerate(ranked) if r.candidate.kind == "promotion"]
    assert all(n % PROMOTION_EVERY == PROMOTION_AT for n in positions)
    assert all(b - a >= PROMOTION_EVERY for a, b in itertools.pairwise(positions))
    for n in positions:
        card = ranked[n].candidate
        assert ranked[n].reasons[0].code == "sponsored"
        if card.delivery is not None:
            assert card.delivery.seen_today < card.delivery.consumer_cap
            assert card.delivery.delivered_today < card.delivery.daily_cap
        # Targeting: a followed interest, or one below or above it.
        followed_near = {s for f in profile.follows for s in lineage(f)}
        assert any(lineage(s) & profile.follows or s in followed_near for s in card.interests)


@settings(max_examples=300)
@given(profiles(), candidates())
def test_a_survey_is_never_shown_beyond_its_caps(profile, cards):
    """Every survey card shown leaves its survey within both caps after this impression;
    with one survey per page and a request serving one page, no request oversteps them."""
    for ranked in rank(profile, cards, NOW, TAXONOMY, page_size=PAGE):
        delivery = ranked.candidate.delivery
        if ranked.candidate.kind == "survey" and delivery is not None:
            assert delivery.seen_today < delivery.consumer_cap
            assert delivery.delivered_today < delivery.daily_cap


def test_a_survey_ahead_of_even_pacing_waits_for_later_in_the_day():
    """At 15:00 a survey running all day may have used 15/24 of its daily cap (plus a
    burst of 2%); beyond that it waits, like a promotion."""
    profile = Profile(follows=frozenset({"shoes"}))

    def shown(delivered_today: int) -> bool:
        survey = Candidate(
            card_id=1,
            provider_id=1,
            kind="survey",
            interests=("shoes",),
            published_at=NOW - timedelta(days=2),
            starts_at=NOW - timedelta(days=2),
            ends_at=NOW + timedelta(days=2),
            delivery=Delivery(100, 3, delivered_today, 0),
        )
        return bool(rank(profile, [survey], NOW, TAXONOMY))

    assert shown(0) and shown(64)
    assert not shown(65)


@settings(max_examples=300)
@given(profiles(), candidates())
def test_at_most_one_survey_per_page(profile, cards):
    ranked = rank(profile, cards, NOW, TAXONOMY, page_size=PAGE)
    for start in range(0, len(ranked), PAGE):
        page = ranked[start : start + PAGE]
        assert sum(r.candidate.kind == "survey" for r in page) <= MAX_SURVEYS_PER_PAGE


@settings(max_examples=300)
@given(profiles(), candidates(kinds=ORGANIC_KINDS))
def test_no_more_than_two_in_a_row_from_one_provider_while_others_remain(profile, cards):
    ranked = [r.candidate.provider_id for r in rank(profile, cards, NOW, TAXONOMY)]
    run = MAX_RUN_PER_PROVIDER + 1
    for n in range(len(ranked) - run + 1):
        if len(set(ranked[n : n + run])) == 1:
            # Only when every card still to come is from that provider too.
            assert set(ranked[n:]) == {ranked[n]}


@settings(max_examples=200)
@given(profiles(), candidates(), st.integers(1, 30))
def test_the_same_input_gives_the_same_order_and_a_limit_is_a_prefix(profile, cards, limit):
    full = rank(profile, cards, NOW, TAXONOMY)
    again = rank(profile, list(cards), NOW, TAXONOMY)
    assert [r.candidate.card_id for r in full] == [r.candidate.card_id for r in again]
    head = rank(profile, cards, NOW, TAXONOMY, limit=limit)
    assert [r.candidate for r in head] == [r.candidate for r in full[:limit]]
    assert len({r.candidate.card_id for r in full}) == len(full)


@settings(max_examples=300)
@given(profiles(), candidates())
def test_every_card_says_why(profile, cards):
    for ranked in rank(profile, cards, NOW, TAXONOMY):
        assert ranked.reasons
        assert all(r.code for r in ranked.reasons)
        assert ranked.score > 0


@settings(max_examples=150)
@given(profiles(), candidates(kinds=ORGANIC_KINDS))
def test_paging_serves_every_card_once(profile, cards):
    """A page is the top of rank(cards not served yet): scrolling shows each card once."""
    everything = {r.candidate.card_id for r in rank(profile, cards, NOW, TAXONOMY)}
    served: list[int] = []
    while True:
        left = [c for c in cards if c.card_id not in served]
        ranked = rank(profile, left, NOW, TAXONOMY, limit=PAGE + 1, page_size=PAGE)
        served += [r.candidate.card_id for r in ranked[:PAGE]]
        if len(ranked) <= PAGE:
            break
    assert len(served) == len(set(served))
    assert set(served) == everything


@settings(max_examples=100)
@given(profiles(), candidates())
def test_the_score_is_the_product_of_its_signals(profile, cards):
    for ranked in rank(profile, cards, NOW, TAXONOMY):
        product = 1.0
        for value in ranked.signals.values():
            product *= value
        assert abs(product - ranked.score) <= 1e-9 * max(1.0, ranked.score)


@given(profiles(), candidates())
def test_learning_never_resurrects_a_filtered_card(profile, cards):
    """However strongly a consumer likes a provider, a hidden one stays hidden."""
    keen = replace(
        profile.affinities, providers={p: 1.0 for p in PROVIDERS}, kinds={"youtube": 1.0}
    )
    for ranked in rank(replace(profile, affinities=keen), cards, NOW, TAXONOMY):
        assert ranked.candidate.provider_id not in profile.hidden_providers


def test_a_promotion_less_relevant_than_the_feed_waits_for_a_later_slot_of_the_page():
    profile = Profile(follows=frozenset({"shoes/running"}))
    organic = [
        Candidate(n, 1 + n % 6, ORGANIC_KINDS[n % 3], ("shoes/running",), NOW) for n in range(1, 41)
    ]

    def promotion(card_id: int, interests: tuple[str, ...]) -> Candidate:
        start = NOW - timedelta(hours=1)
        return Candidate(
            card_id, 100 + card_id, "promotion", interests, start, None, start, NOW + timedelta(1)
        )

    on_topic, broad = promotion(901, ("shoes/running",)), promotion(902, ("shoes",))

    def slots(*promotions: Candidate) -> list[int]:
        ranked = rank(profile, [*organic, *promotions], NOW, TAXONOMY, limit=PAGE)
        return [n for n, r in enumerate(ranked) if r.candidate.kind == "promotion"]

    assert slots(on_topic) == [PROMOTION_AT]
    assert slots(broad) == [PAGE - PROMOTION_EVERY + PROMOTION_AT]  # the page's last slot
    # As many promotions per page as there are slots for them: only the order changes.
    crowd = [promotion(910 + n, ("shoes",)) for n in range(PAGE // PROMOTION_EVERY)]
    assert len(slots(*crowd)) == PAGE // PROMOTION_EVERY


@settings(max_examples=300)
@given(profiles(), st.lists(slugs, min_size=1, max_size=4, unique=True))
def test_several_interests_add_up_with_diminishing_returns(profile, interests):
    """A card's value from its interests' own values: the best in full, each further
    liked one at half the share of the one before, plus the strongest dislike."""
    scorer = Scorer(profile, NOW, TAXONOMY)
    alone = sorted((scorer._slug_value(slug) for slug in interests), reverse=True)
    liked = [v for v in alone if v > 0]
    expected = sum(v * DIMINISHING**n for n, v in enumerate(liked)) + min(0.0, alone[-1])
    combined = scorer.match(tuple(interests)).value  # 0 when the card is not worth showing
    assert combined == (pytest.approx(expected) if expected > 0 else 0.0)


@settings(max_examples=200)
@given(candidates())
def test_a_pool_keeps_each_cards_provider_kind_and_interests(cards):
    """Ranking reads cards as columns of codes; every card must decode to itself."""
    pool = CandidatePool(cards)
    for i, card in enumerate(cards):
        assert pool.providers[pool.provider_code[i]] == card.provider_id
        assert pool.kinds[pool.kind_code[i]] == card.rules and card.rules.name == card.kind
        code = pool.interest_code[i]
        assert pool.interests.sets[code] == card.interests
        row = pool.interests.matrix[code]
        assert [pool.interests.slugs[n - 1] for n in row if n] == list(card.interests)
        assert pool.numbers["card_id"][i] == card.card_id


@settings(max_examples=150)
@given(profiles(), candidates())
def test_the_feed_is_the_same_however_far_ahead_scores_are_sorted(profile, cards):
    """Scores are sorted only as far as composition reads; reading further must not
    change a single position."""
    everything = [r.candidate.card_id for r in rank(profile, cards, NOW, TAXONOMY)]
    with mock.patch("app.ranking.rank.SORTED_AHEAD", 2):
        lazily = [r.candidate.card_id for r in rank(profile, cards, NOW, TAXONOMY)]
    assert lazily == everything


def test_interning_from_many_threads_gives_each_value_one_id():
    """Request threads build candidates at once; two sets of interests must never
    share an id, or a card would be ranked for another card's topics."""
    table: Interned[tuple[str, ...]] = Interned()
    values = [(f"topic-{n}", "shoes") for n in range(2_000)]
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(lambda batch: [table.id(v) for v in batch], [values] * 8))
    assert all(batch == ids[0] for batch in ids)
    assert sorted(ids[0]) == list(range(len(values)))
    assert [table.values[i] for i in ids[0]] == values


def test_a_thread_that_finds_the_interest_rows_added_while_it_waited_reads_them():
    """Two request threads see new interest sets at once; the one that waits for the
    lock finds the rows added by the other. It failed one first page in a few thousand
    under load ("'int' object is not iterable") before it looked again under the lock."""
    sets = InternedInterestSets()
    first, second = sets.id(("shoes", "shoes/running")), sets.id(("home",))
    lock = sets._lock

    class OtherThreadFirst:
        """The lock, but the other thread adds the rows just before this one takes it."""

        def __enter__(self) -> None:
            sets._lock = lock
            sets.matrix()
            lock.acquire()

        def __exit__(self, *exc: object) -> None:
            lock.release()

    sets._lock = OtherThreadFirst()  # type: ignore[assignment]
    matrix = sets.matrix()
    slugs = [[sets.slugs.values[i] for i in row if i] for row in matrix[[first, second]]]
    assert slugs == [["shoes", "shoes/running"], ["home"]]


def test_a_candidate_with_todays_delivery_is_the_same_card_with_the_same_numbers():
    """with_delivery copies instead of rebuilding: the copy must rank exactly like a
    candidate built with the delivery from the start."""
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    promotion = Candidate(
        card_id=7, provider_id=3, kind="promotion", interests=("shoes",),
        published_at=start, badge="new", starts_at=start, ends_at=start + timedelta(days=9),
        popularity=1.3,
    )  # fmt: skip
    delivery = Delivery(daily_cap=100, consumer_cap=3, delivered_today=40, seen_today=2)
    copied, built = promotion.with_delivery(delivery), replace(promotion, delivery=delivery)
    for name in Candidate.__slots__:
        assert getattr(copied, name) == getattr(built, name), name
    assert promotion.delivery is None  # the snapshot's own candidate is left as it was


def test_a_card_stays_new_by_the_same_rule_through_every_copy_of_its_candidate():
    """The catalog copies candidates (a new popularity, today's delivery): each copy keeps
    when the card stopped being new, the earlier of its publication and its first store."""
    stored = datetime(2026, 3, 2, 9, tzinfo=UTC)
    redated = Candidate(
        card_id=8, provider_id=3, kind="product_feed", interests=("shoes",),
        published_at=stored + timedelta(days=5), badge="new", first_seen_ts=stored.timestamp(),
    )  # fmt: skip
    ends = (stored + timedelta(days=2)).timestamp()
    delivery = Delivery(daily_cap=100, consumer_cap=3)
    for copy in (redated, replace(redated, popularity=1.4), redated.with_delivery(delivery)):
        assert copy.new_until_ts == ends
        assert not is_new_now(copy, (stored + timedelta(days=5)).timestamp())
        assert is_new_now(copy, ends - 1)
