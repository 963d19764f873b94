"""Understanding: entity extraction (times, numbers, names, codes, ...) and the Python/protobuf API."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from luna.action.v1 import action_pb2

from gateway.understanding import INTENTS, Understander, from_proto, to_proto
from gateway.understanding.demo_vocabulary import demo_vocabulary
from gateway.understanding.text import normalize
from gateway.understanding.understander import trained_classifier
from luna_common.vocabulary import VenueName, Vocabulary

# Thursday 14 May 2026, 3 pm in New York.
NOW = datetime(2026, 5, 14, 15, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture(scope="module")
def u() -> Understander:
    return Understander()


def ents(u: Understander, text: str, now: datetime = NOW, tz: str = "America/New_York") -> dict[str, str | int | float]:
    return u.understand(text, now, tz).entities


@pytest.mark.parametrize(("text", "expected"), [
    ("twenty two people", "22 people"),
    ("seven thirty", "7 30"),
    ("on the twenty second", "on the 22nd"),
    ("may twentieth", "may 20th"),
    ("Joe's at 7pm", "joes at 7 pm"),
    ("um uh table for two", "table for 2"),
    ("8 p.m.", "8 pm"),
    ("our first date", "our first date"),
])
def test_normalize_number_words_fillers_and_apostrophes(text: str, expected: str) -> None:
    assert normalize(text).text == expected


@pytest.mark.parametrize(("text", "key", "value"), [
    ("book a table tonight at seven thirty", "date_time", "2026-05-14T19:30:00-04:00"),
    ("book a table at 7", "date_time", "2026-05-14T19:00:00-04:00"),
    ("book a table tomorrow at 8 pm", "date_time", "2026-05-15T20:00:00-04:00"),
    ("book a table tomorrow at noon", "date_time", "2026-05-15T12:00:00-04:00"),
    ("book a table at quarter to eight", "date_time", "2026-05-14T19:45:00-04:00"),
    ("book a table at half past six", "date_time", "2026-05-14T18:30:00-04:00"),
    ("book brunch sunday at 11", "date_time", "2026-05-17T11:00:00-04:00"),
    ("book breakfast tomorrow at 9", "date_time", "2026-05-15T09:00:00-04:00"),
    ("book a table friday at 6 30", "date_time", "2026-05-15T18:30:00-04:00"),
    ("book a table at seven oh five", "date_time", "2026-05-14T19:05:00-04:00"),
    ("book a table at 10 am", "date_time", "2026-05-15T10:00:00-04:00"),  # 10 am today has passed
    ("book a table at 12:15", "date_time", "2026-05-15T12:15:00-04:00"),
    ("is brooklyn diner open at midnight", "date_time", "2026-05-15T00:00:00-04:00"),
    ("book a table tomorrow for lunch", "date", "2026-05-15"),
    ("book a table tonight", "date", "2026-05-14"),
    ("book a table for saturday", "date", "2026-05-16"),
    ("book a table this thursday", "date", "2026-05-14"),
    ("book a table thursday", "date", "2026-05-21"),
    ("book a table next friday", "date", "2026-05-22"),
    ("book a table next monday", "date", "2026-05-18"),
    ("book a table the day after tomorrow", "date", "2026-05-16"),
    ("book a table on june 3rd", "date", "2026-06-03"),
    ("book a table on the 2nd", "date", "2026-06-02"),
    ("book a table on the twentieth", "date", "2026-05-20"),
    ("book a table on the 3rd of january", "date", "2027-01-03"),
    ("move my reservation from saturday to sunday", "date", "2026-05-17"),  # the new day, not the old one
    ("i need to reschedule tomorrow's dinner to the 20th", "date", "2026-05-20"),
])
def test_days_and_times(u: Understander, text: str, key: str, value: str) -> None:
    found = ents(u, text)
    assert found.get(key) == value
    assert ("date" in found) != ("date_time" in found)  # one or the other, never both


def test_time_zone_and_daylight_saving(u: Understander) -> None:
    # 23:30 UTC on 14 May is already the 15th in Tokyo; "tomorrow" is the 16th there.
    utc_now = datetime(2026, 5, 14, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert ents(u, "book a table tomorrow at 8 pm", utc_now, "Asia/Tokyo")["date_time"] == "2026-05-16T20:00:00+09:00"
    # In January New York is on standard time (-05:00).
    winter = datetime(2026, 1, 8, 12, tzinfo=ZoneInfo("America/New_York"))
    assert ents(u, "book a table tonight at 7", winter)["date_time"] == "2026-01-08T19:00:00-05:00"


@pytest.mark.parametrize(("text", "size"), [
    ("table for four at olive garden", 4),
    ("party of twelve at joes pizza", 12),
    ("book a table for just me", 1),
    ("book a table for me and my wife", 2),
    ("book a table for me and two friends", 3),
    ("book a table for the two of us", 2),
    ("book a table for six people tomorrow at 7", 6),
    ("change the party size to 3", 3),
    ("we'll be six now, update the booking", 6),
    ("can carrabbas seat eight on friday", 8),
])
def test_party_size(u: Understander, text: str, size: int) -> None:
    assert ents(u, text)["party_size"] == size


@pytest.mark.parametrize("text", ["book a table for 8 pm", "book a table for seven thirty", "add two more people"])
def test_times_and_additions_are_not_party_sizes(u: Understander, text: str) -> None:
    assert "party_size" not in ents(u, text)


@pytest.mark.parametrize(("text", "venue"), [
    ("book a table at carrabbas", "Carrabba's Italian Grill"),
    ("book a table at carabbas", "Carrabba's Italian Grill"),  # ASR misspelling
    ("book a table at Carrabba's", "Carrabba's Italian Grill"),
    ("reserve olive gardin for two", "Olive Garden"),
    ("book a table at blue plate", "The Blue Plate"),
    ("navigate to sushi zen on 5th", "Sushi Zen"),
    ("look up sushi zen express", "Sushi Zen Express"),
    ("where's the closest starbuck", "Starbucks"),
    ("book a table at seul garden", "Seoul Garden"),
])
def test_known_venues_resolve_to_canonical_names(u: Understander, text: str, venue: str) -> None:
    assert ents(u, text)["venue_name"] == venue


def test_unknown_venue_keeps_the_referring_words(u: Understander) -> None:
    found = ents(u, "Book a table at that Italian place we went to last week")
    assert found == {"venue_name": "that Italian place we went to last week"}  # no cuisine from inside it


@pytest.mark.parametrize("text", ["book it for tomorrow at 7", "give me directions to that place",
                                  "how do i get there"])
def test_context_words_leave_the_venue_to_the_action_agent(u: Understander, text: str) -> None:
    assert "venue_name" not in ents(u, text)


def test_venue_words_are_not_cuisines(u: Understander) -> None:
    assert ents(u, "book carrabbas italian grill for 2") == {"venue_name": "Carrabba's Italian Grill", "party_size": 2}


@pytest.mark.parametrize(("text", "name"), [
    ("invite sarah to dinner", "Sarah"), ("invite sara to dinner", "Sarah"), ("send an invite to jon", "John"),
    ("ask pria to lunch", "Priya"), ("ask markus to join us", "Marcus"), ("invite dave to lunch", "David"),
    ("decline sarah's invitation", "Sarah"), ("i'll pass on johns invite", "John"),
])
def test_friend_names(u: Understander, text: str, name: str) -> None:
    assert ents(u, text)["person_name"] == name


def test_common_words_are_not_friends(u: Understander) -> None:
    assert "person_name" not in ents(u, "book the same place as last time")
    assert "person_name" not in ents(u, "find some thai food nearby")


@pytest.mark.parametrize(("text", "code"), [
    ("cancel booking code ABC123", "ABC123"),
    ("cancel the reservation with confirmation code x y z four five six", "XYZ456"),
    ("cancel reservation LX7Q2K", "LX7Q2K"),
    ("look up reservation code lun one two three", "LUN123"),
])
def test_confirmation_codes(u: Understander, text: str, code: str) -> None:
    assert ents(u, text)["confirmation_code"] == code


def test_no_code_without_one(u: Understander) -> None:
    assert "confirmation_code" not in ents(u, "what's the confirmation code for my olive garden booking")


@pytest.mark.parametrize(("text", "expected"), [
    ("find me a cheap mexican place nearby", {"cuisine": "mexican", "price_level": 1, "distance": "nearby"}),
    ("i'm craving tacos within 2 miles", {"cuisine": "mexican", "distance_km": 3.22}),
    ("recommend a mid-range indian restaurant within 5 km", {"cuisine": "indian", "price_level": 2,
                                                              "distance_km": 5.0}),
    ("suggest a fancy place for our anniversary", {"price_level": 4, "occasion": "anniversary"}),
    ("best upscale steakhouse around here", {"cuisine": "steakhouse", "price_level": 3, "distance": "nearby"}),
    ("where can i get good pho", {"cuisine": "vietnamese"}),
    ("what's a good spot for a business lunch", {"occasion": "business"}),
])
def test_search_criteria(u: Understander, text: str, expected: dict[str, object]) -> None:
    result = u.understand(text, NOW)
    assert result.intent in ("get_recommendations", "search_venue")
    assert result.entities == expected


@pytest.mark.parametrize(("text", "response"), [
    ("accept the invite from john", "accept"), ("tell priya i'm in", "accept"),
    ("decline sarah's invitation", "decline"), ("tell priya i can't make it", "decline"),
])
def test_invite_answers(u: Understander, text: str, response: str) -> None:
    result = u.understand(text, NOW)
    assert result.intent == "respond_invite"
    assert result.entities["response"] == response


def test_response_only_for_invite_answers_and_nothing_for_out_of_scope(u: Understander) -> None:
    assert "response" not in u.understand("yes please", NOW).entities
    weather = u.understand("what's the weather going to be like tomorrow at 7", NOW)
    assert (weather.intent, weather.entities) == ("unclear", {})


def test_result_shape_is_the_contract(u: Understander) -> None:
    r = u.understand("Book a table for 4 at Olive Garden tonight at 7", NOW)
    assert r.intent in INTENTS and r.intent == "make_booking"
    assert 0.0 < r.confidence <= 1.0
    assert r.entities == {"venue_name": "Olive Garden", "date_time": "2026-05-14T19:00:00-04:00", "party_size": 4}
    assert r.as_dict()["text"] == "Book a table for 4 at Olive Garden tonight at 7"
    assert u.understand("Book a table for 4 at Olive Garden tonight at 7", NOW) == r  # deterministic


def test_empty_and_filler_only_input_is_unclear(u: Understander) -> None:
    for text in ("", "   ", "um uh"):
        r = u.understand(text, NOW)
        assert (r.intent, r.entities) == ("unclear", {})


def test_low_confidence_becomes_unclear() -> None:
    strict = Understander(min_confidence=1.01)
    assert strict.understand("book a table at olive garden", NOW).intent == "unclear"


def test_update_vocabulary_takes_new_names() -> None:
    u = Understander()
    assert u.understand("book a table at zanzibar grill", NOW).entities.get("venue_name") != "Zanzibar Grill"
    base = demo_vocabulary()
    u.update_vocabulary(Vocabulary(venues=(*base.venues, VenueName(999, "Zanzibar Grill", ("Zanzibar",))),
                                   friend_names=(*base.friend_names, "Tomasz"), cuisines=base.cuisines))
    assert u.understand("book a table at zanzibar grill", NOW).entities["venue_name"] == "Zanzibar Grill"
    assert u.understand("invite tomasz to dinner", NOW).entities["person_name"] == "Tomasz"


def test_proto_round_trip(u: Understander) -> None:
    r = u.understand("find a mid-range indian restaurant within 5 miles for six people tomorrow", NOW)
    intent, confidence, entities = to_proto(r)
    assert intent == action_pb2.INTENT_GET_RECOMMENDATIONS
    assert entities.HasField("distance_km") and abs(entities.distance_km - 8.05) < 1e-9
    assert entities.party_size == 6 and entities.price_level == 2 and entities.date == "2026-05-15"
    assert not entities.HasField("venue_name")
    back = from_proto(intent, confidence, entities, r.text)
    assert back == r
    for name in INTENTS:
        assert action_pb2.Intent.Name(to_proto(type(r)("", name, 1.0))[0]) == "INTENT_" + name.upper()


def test_fast_scoring_equals_the_fitted_pipeline() -> None:
    classifier = trained_classifier()
    for text in ("book a table for znum at zvenue tonight", "whats the weather", "zzz qqq", ""):
        assert np.allclose(classifier.margins(text), classifier.pipeline.decision_function([text])[0])


@pytest.mark.parametrize("text", ["cancel my flight on friday", "book a hotel room for two people tonight",
                                  "set an alarm for 7 tomorrow", "reserve an airbnb for the weekend"])
def test_out_of_scope_words_never_become_dining_actions(u: Understander, text: str) -> None:
    r = u.understand(text, NOW)
    assert (r.intent, r.entities) == ("unclear", {})


def test_a_dining_request_may_mention_music_or_a_taxi(u: Understander) -> None:
    assert u.understand("how long by taxi to the blue plate", NOW).intent == "estimate_travel"
