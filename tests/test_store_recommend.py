"""Recommendations with spoken reasons, directions and travel estimates, and the vocabulary."""

from __future__ import annotations

import pytest

from action_agent.domain import InvalidRequest, NotFound, TravelMode
from action_agent.domain.recommendations import WALKING_DISTANCE_KM
from action_agent.domain.travel import GreatCircleRouter, distance_km, heading
from action_agent.store.demo_city import DEMO_HOME
from tests.store_support import BACKENDS, local, seeded_store

DEMO = 1


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    with seeded_store(request.param, tmp_path_factory.mktemp(f"recommend-{request.param}")) as s:
        yield s


def venue(store, name: str):
    return next(v for v in store.domain.venues.all_venues() if v.name == name)


def test_nearby_sushi_is_a_short_walk_and_says_why(store):
    results = store.domain.recommendations.recommend(DEMO, cuisine="sushi", nearby=True)
    assert results and results[0].venue.name == "Sushi Zen"
    top = results[0]
    assert top.walk_minutes <= 20 and top.distance_km <= WALKING_DISTANCE_KM
    assert top.reasons[0] == f"It's {'an' if str(top.walk_minutes)[0] == '8' else 'a'} {top.walk_minutes}-minute walk"
    assert any("Sarah" in r and "want" in r for r in top.reasons)
    assert all(r.distance_km <= WALKING_DISTANCE_KM and "sushi" in r.venue.cuisines for r in results)


def test_filters_cuisine_price_distance_and_opening(store):
    recommend = store.domain.recommendations.recommend
    cheap = recommend(DEMO, price_level=1, limit=20)
    assert cheap and all(r.venue.price_level == 1 for r in cheap)
    italian = recommend(DEMO, cuisine="Italian", limit=10)
    assert italian and all("italian" in r.venue.cuisines for r in italian)
    near = recommend(DEMO, max_distance_km=1.0, limit=20)
    assert all(r.distance_km <= 1.0 for r in near)
    # At 1 AM on a Friday most places are closed: whatever is recommended must be open then.
    late = recommend(DEMO, at=local(2, 1), limit=20)
    assert late and all(store.domain.availability.is_open(r.venue.id, local(2, 1)) for r in late)
    assert len(late) < len(recommend(DEMO, at=local(2, 19), limit=20))
    assert recommend(DEMO, at=local(2, 4, 30)) == []
    assert [r.score for r in recommend(DEMO, limit=10)] == sorted((r.score for r in recommend(DEMO, limit=10)),
                                                                  reverse=True)
    assert recommend(DEMO, cuisine="klingon") == []


def test_near_a_given_point_measures_from_there(store):
    williamsburg = (40.7081, -73.9571)
    results = store.domain.recommendations.recommend(DEMO, near=williamsburg, nearby=True, limit=5)
    assert results
    for r in results:
        assert r.distance_km == pytest.approx(distance_km(*williamsburg, r.venue.latitude, r.venue.longitude), abs=0.01)
        assert distance_km(*DEMO_HOME, r.venue.latitude, r.venue.longitude) > WALKING_DISTANCE_KM


def test_occasion_adds_a_reason(store):
    results = store.domain.recommendations.recommend(DEMO, occasion="family", limit=5)
    assert any("kid friendly" in r for rec in results for r in rec.reasons)


@pytest.mark.parametrize("kwargs", [{"limit": 0}, {"limit": 21}, {"price_level": 5}, {"max_distance_km": -1}])
def test_bad_recommendation_requests(store, kwargs):
    with pytest.raises(InvalidRequest):
        store.domain.recommendations.recommend(DEMO, **kwargs)


def test_unknown_user(store):
    with pytest.raises(NotFound):
        store.domain.recommendations.recommend(999_999)


def test_directions_from_home(store):
    starbucks = venue(store, "Starbucks")
    directions = store.domain.travel.directions(DEMO, starbucks.id)
    assert directions.distance_km < 0.5 and directions.walk_minutes <= 6
    assert directions.neighbourhood == "Union Square"
    assert "Starbucks" in directions.description and "walk" in directions.description
    far = store.domain.travel.directions(DEMO, venue(store, "Olive Garden").id)
    assert far.heading in ("north", "northeast", "northwest")
    assert far.walk_minutes > far.transit_minutes and far.distance_km > 2
    assert "subway" in far.description
    with pytest.raises(NotFound):
        store.domain.travel.directions(DEMO, 999_999)


def test_estimate_travel_modes(store):
    travel = store.domain.travel
    olive = venue(store, "Olive Garden").id
    walk = travel.estimate_travel(DEMO, olive, "walk")
    drive = travel.estimate_travel(DEMO, olive, TravelMode.DRIVE)
    assert walk.mode is TravelMode.WALK and walk.minutes > drive.minutes > 0
    with pytest.raises(InvalidRequest, match="walk, transit or drive"):
        travel.estimate_travel(DEMO, olive, "teleport")


def test_router_and_heading_basics():
    router = GreatCircleRouter()
    union_square, times_square = (40.7359, -73.9911), (40.7580, -73.9855)
    estimate = router.estimate(union_square, times_square, TravelMode.WALK)
    assert 2.5 < estimate.distance_km < 3.5 and 30 < estimate.minutes < 45
    assert router.estimate(union_square, union_square, TravelMode.TRANSIT).minutes == 1
    assert heading(*union_square, *times_square) == "north"
    assert heading(*times_square, *union_square) == "south"


def test_vocabulary_has_venues_aliases_cuisines_and_friends(store):
    vocabulary = store.domain.load_vocabulary(DEMO)
    names = {v.name for v in vocabulary.venues}
    assert {"Olive Garden", "Sushi Zen", "Sushi Zen Express", "Carrabba's Italian Grill"} <= names
    aliases = {a for v in vocabulary.venues for a in v.aliases}
    assert {"Carrabba's", "carrabbas", "Sushi Zen on 5th"} <= aliases
    assert {"Sarah", "John"} <= set(vocabulary.friend_names)
    assert "sushi" in vocabulary.cuisines and "middle eastern" in vocabulary.cuisines
    assert vocabulary.version and vocabulary.version == store.domain.load_vocabulary(DEMO).version
    assert store.domain.load_vocabulary(2).version != vocabulary.version
