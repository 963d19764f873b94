"""The action agent over gRPC on the seeded demo city: every intent, the multi-turn flows of issue 4,
confirmation through restarts, exactly-once effects and clean errors."""

from __future__ import annotations

import concurrent.futures
import uuid
from datetime import timedelta

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from luna.action.v1 import action_pb2 as pb
from sqlalchemy import delete

from action_agent.domain import Domain
from action_agent.idempotency import action_requests
from action_agent.store import make_engine, session_factory
from tests.action_support import (
    Conversation,
    action_stub,
    agent_server,
    bookings,
    invites,
    seed_database,
    stamp,
)

S = pb.ActionStatus


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    return seed_database(tmp_path_factory.mktemp("action") / "luna.db")


@pytest.fixture(scope="module")
def server(database):
    with agent_server(database) as server:
        yield server


@pytest.fixture(scope="module")
def stub(server):
    with action_stub(server.address) as stub:
        yield stub


@pytest.fixture
def talk(stub):
    return Conversation(stub)


def test_sushi_nearby_then_book_it_then_invite_sarah(talk, database):
    found = talk.say(pb.INTENT_GET_RECOMMENDATIONS, cuisine="sushi", distance="nearby")
    assert found.status == S.ACTION_STATUS_SUCCESS and found.action == "get_recommendations"
    top = found.result["venues"][0]["name"]
    assert "sushi" in found.result["venues"][0]["cuisines"]
    assert top in found.speak_text and found.follow_up_prompt

    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="it", party_size=4, date_time=talk.at(19))
    assert prompt.status == S.ACTION_STATUS_NEEDS_CONFIRMATION and prompt.action == "make_booking"
    assert prompt.confirmation.prompt == prompt.speak_text
    assert f"for 4 at {top} for 7 PM tonight" in prompt.speak_text
    assert prompt.confirmation.expires_at.ToDatetime() > talk.now.replace(tzinfo=None) - timedelta(hours=6)
    before = bookings(database)

    done = talk.confirm(prompt)
    assert done.status == S.ACTION_STATUS_SUCCESS, done.speak_text
    code = done.result["confirmation_code"]
    assert len(code) == 6 and " ".join(code) in done.speak_text
    assert done.result["venue_name"] == top and done.result["party_size"] == 4
    assert bookings(database) == before + 1
    assert bookings(database, confirmation_code=code, user_id=1, party_size=4, status="confirmed") == 1
    assert "invite" in done.follow_up_prompt

    ask = talk.say(pb.INTENT_SEND_INVITE, person_name="Sarah")
    assert ask.status == S.ACTION_STATUS_NEEDS_CONFIRMATION, ask.speak_text
    assert ask.speak_text == f"Should I invite Sarah to {top} at 7 PM tonight?"
    sent_before = invites(database, from_user_id=1)
    sent = talk.say(pb.INTENT_CONFIRM)  # a spoken "yes" resumes the pending confirmation too
    assert sent.status == S.ACTION_STATUS_SUCCESS and sent.action == "send_invite", sent.speak_text
    assert sent.result["to_name"] == "Sarah" and sent.result["venue_name"] == top
    assert sent.result["booking_id"] == done.result["booking_id"]
    assert invites(database, from_user_id=1) == sent_before + 1
    assert invites(database, id=int(sent.result["invite_id"]), status="pending") == 1


def test_unknown_venue_is_not_found_with_suggestions(talk):
    reply = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="XYZ", party_size=2, date_time=talk.at(19))
    assert reply.status == S.ACTION_STATUS_FAILED and reply.error_code == "venue_not_found"
    assert reply.speak_text.startswith("I couldn't find XYZ. Did you mean ")
    assert reply.result["suggestions"]


def test_misspelt_venue_suggests_the_close_name(talk):
    reply = talk.say(pb.INTENT_VENUE_INFO, venue_name="Oliv Gardn")
    assert reply.status == S.ACTION_STATUS_SUCCESS and reply.result["name"] == "Olive Garden"
    reply = talk.say(pb.INTENT_VENUE_INFO, venue_name="Starbooks")
    assert reply.error_code == "venue_not_found"
    assert reply.speak_text.startswith("I couldn't find Starbooks. Did you mean Starbucks")


def test_not_found_then_the_right_name_completes_the_booking(talk):
    first = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Garden of Olives", party_size=2, date_time=talk.at(18))
    assert first.error_code == "venue_not_found"
    second = talk.say(pb.INTENT_UNCLEAR, venue_name="Olive Garden")
    assert second.status == S.ACTION_STATUS_NEEDS_CONFIRMATION
    assert second.speak_text == "Should I book a table for 2 at Olive Garden for 6 PM tonight?"


def test_missing_party_size_is_asked_then_four_completes_it(talk):
    ask = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", date_time=talk.at(19, 30))
    assert ask.status == S.ACTION_STATUS_NEEDS_CLARIFICATION
    assert ask.speak_text == "For how many people?" and ask.error_code == "missing_party_size"
    prompt = talk.say(pb.INTENT_UNCLEAR, party_size=4)
    assert prompt.status == S.ACTION_STATUS_NEEDS_CONFIRMATION
    assert prompt.speak_text == "Should I book a table for 4 at Olive Garden for 7:30 PM tonight?"
    assert prompt.confirmation.details["party_size"] == 4


def test_missing_time_then_day_and_time_arrive_separately(talk):
    ask = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Carrabba's", party_size=3)
    assert ask.error_code == "missing_date_time" and ask.speak_text == "What day and time?"
    ask = talk.say(pb.INTENT_UNCLEAR, date="tomorrow")
    assert ask.error_code == "missing_time" and ask.speak_text == "At what time?"
    prompt = talk.say(pb.INTENT_UNCLEAR, date_time=talk.at(20))
    assert prompt.speak_text == "Should I book a table for 3 at Carrabba's Italian Grill for 8 PM tomorrow?"


def test_deny_writes_nothing(talk, database):
    before = bookings(database)
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="The Blue Plate", party_size=2, date_time=talk.at(18, 30))
    assert prompt.status == S.ACTION_STATUS_NEEDS_CONFIRMATION
    no = talk.confirm(prompt, yes=False)
    assert no.status == S.ACTION_STATUS_CANCELLED and no.speak_text == "Okay, I won't book it."
    assert bookings(database) == before
    with pytest.raises(grpc.RpcError) as err:  # a confirmation is answered once
        talk.confirm(prompt, yes=True)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert bookings(database) == before


def test_spoken_no_cancels_and_a_later_yes_has_nothing_to_confirm(talk, database):
    before = bookings(database)
    talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=talk.at(17))
    no = talk.say(pb.INTENT_DENY)
    assert no.status == S.ACTION_STATUS_CANCELLED
    yes = talk.say(pb.INTENT_CONFIRM)
    assert yes.status == S.ACTION_STATUS_FAILED and yes.error_code == "no_pending_confirmation"
    assert bookings(database) == before


def test_amending_a_pending_booking_asks_again(talk):
    talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=talk.at(17, 30))
    again = talk.say(pb.INTENT_UNCLEAR, party_size=6)
    assert again.status == S.ACTION_STATUS_NEEDS_CONFIRMATION
    assert "for 6 at Olive Garden" in again.speak_text
    unclear = talk.say(pb.INTENT_UNCLEAR)
    assert unclear.status == S.ACTION_STATUS_NEEDS_CONFIRMATION and "yes or a no" in unclear.speak_text
    assert unclear.confirmation.confirmation_id == again.confirmation.confirmation_id


def test_moving_on_drops_the_pending_confirmation(talk, database):
    before = bookings(database)
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=talk.at(20, 30))
    other = talk.say(pb.INTENT_CHECK_INVITES)
    assert other.status == S.ACTION_STATUS_SUCCESS
    with pytest.raises(grpc.RpcError) as err:
        talk.confirm(prompt)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert bookings(database) == before


def test_confirmation_expires_after_two_minutes(talk, database):
    before = bookings(database)
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=talk.at(21))
    late = talk.confirm(prompt, now=talk.now + timedelta(minutes=2, seconds=1))
    assert late.status == S.ACTION_STATUS_FAILED and late.error_code == "confirmation_expired"
    assert bookings(database) == before


def test_another_user_cannot_answer_the_confirmation(talk, stub, database):
    before = bookings(database)
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=talk.at(16))
    intruder = Conversation(stub, session_id=talk.session_id, user_id=2)
    with pytest.raises(grpc.RpcError) as err:
        intruder.confirm(prompt)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert bookings(database) == before
    assert talk.confirm(prompt, yes=False).status == S.ACTION_STATUS_CANCELLED


def test_duplicate_request_ids_make_one_booking(talk, database):
    before = bookings(database)
    request = talk.request(pb.INTENT_MAKE_BOOKING, venue_name="Sushi Zen", party_size=2, date_time=talk.at(13))
    first = talk.stub.Execute(request, timeout=15)
    assert talk.stub.Execute(request, timeout=15) == first
    confirm_id = uuid.uuid4().hex
    # Retries of the same Confirm, some concurrent: one answer, one booking.
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: talk.confirm(first, request_id=confirm_id), range(4)))
    assert all(r == replies[0] for r in replies)
    assert replies[0].status == S.ACTION_STATUS_SUCCESS
    assert talk.confirm(first, request_id=confirm_id) == replies[0]
    assert bookings(database) == before + 1


def test_every_intent_answers(talk):
    cases = [
        (pb.INTENT_CHECK_BOOKING, {}, "check_booking"),
        (pb.INTENT_SEARCH_VENUE, {"venue_name": "Starbucks", "distance": "nearby"}, "search_venue"),
        (pb.INTENT_VENUE_INFO, {"venue_name": "The Blue Plate"}, "venue_info"),
        (pb.INTENT_CHECK_AVAILABILITY, {"venue_name": "Olive Garden", "date_time": talk.at(19), "party_size": 2},
         "check_availability"),
        (pb.INTENT_FIND_FRIENDS, {"venue_name": "Sushi Zen"}, "find_friends"),
        (pb.INTENT_CHECK_INVITES, {}, "check_invites"),
        (pb.INTENT_GET_DIRECTIONS, {"venue_name": "Carrabba's"}, "get_directions"),
        (pb.INTENT_ESTIMATE_TRAVEL, {"venue_name": "Starbucks"}, "estimate_travel"),
        (pb.INTENT_GREETING, {}, ""),
        (pb.INTENT_THANKS, {}, ""),
        (pb.INTENT_HELP, {}, ""),
    ]
    for intent, entities, action in cases:
        reply = talk.say(intent, **entities)
        assert reply.status == S.ACTION_STATUS_SUCCESS, (action, reply.speak_text, reply.error_code)
        assert reply.action == action and reply.speak_text
    assert talk.say(pb.INTENT_UNCLEAR).error_code == "intent_unclear"
    assert talk.say(pb.INTENT_SEARCH_VENUE, venue_name="Starbucks", distance="nearby").result["venues"][0]["name"] \
        == "Starbucks"
    friends = talk.say(pb.INTENT_FIND_FRIENDS, venue_name="Sushi Zen")
    assert "Sarah" in friends.speak_text
    invites_reply = talk.say(pb.INTENT_CHECK_INVITES)
    assert "John invited you to The Blue Plate" in invites_reply.speak_text


def test_respond_to_johns_invite(talk, database):
    reply = talk.say(pb.INTENT_RESPOND_INVITE, person_name="John", response="accept")
    assert reply.status == S.ACTION_STATUS_SUCCESS, reply.speak_text
    assert reply.speak_text.startswith("Done. You've accepted John's invite to The Blue Plate")
    assert invites(database, id=int(reply.result["invite_id"]), status="accepted") == 1
    again = talk.say(pb.INTENT_RESPOND_INVITE, person_name="John", response="accept")
    assert again.status == S.ACTION_STATUS_FAILED and again.error_code == "no_pending_invites"


def test_modify_then_cancel_the_booking_just_made(talk, database):
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Carrabba's", party_size=2, date_time=talk.at(18, 15))
    code = talk.confirm(prompt).result["confirmation_code"]
    change = talk.say(pb.INTENT_MODIFY_BOOKING, party_size=5)
    assert change.status == S.ACTION_STATUS_NEEDS_CONFIRMATION, change.speak_text
    assert change.speak_text == "Should I change your booking at Carrabba's Italian Grill for 5 people?"
    changed = talk.say(pb.INTENT_CONFIRM)
    assert changed.status == S.ACTION_STATUS_SUCCESS and changed.result["party_size"] == 5
    assert bookings(database, confirmation_code=code, party_size=5) == 1
    cancel = talk.say(pb.INTENT_CANCEL_BOOKING, confirmation_code=code)
    assert cancel.status == S.ACTION_STATUS_NEEDS_CONFIRMATION
    assert talk.confirm(cancel).status == S.ACTION_STATUS_SUCCESS
    assert bookings(database, confirmation_code=code, status="cancelled") == 1


def test_the_italian_place_we_went_to_last_week(talk):
    reply = talk.say(pb.INTENT_VENUE_INFO, venue_name="the Italian place we went to last week")
    assert reply.status == S.ACTION_STATUS_SUCCESS and reply.result["name"] == "Carrabba's Italian Grill"


def test_ambiguous_venue_names_the_options(talk):
    reply = talk.say(pb.INTENT_GET_DIRECTIONS, venue_name="zen")
    assert reply.status == S.ACTION_STATUS_NEEDS_CLARIFICATION and reply.error_code == "ambiguous_venue"
    assert reply.speak_text == "Did you mean Sushi Zen or Sushi Zen Express?"
    done = talk.say(pb.INTENT_UNCLEAR, venue_name="Sushi Zen Express")
    assert done.status == S.ACTION_STATUS_SUCCESS and done.result["venue_name"] == "Sushi Zen Express"


def test_unknown_friend_lists_friends(talk):
    talk.say(pb.INTENT_VENUE_INFO, venue_name="Olive Garden")
    reply = talk.say(pb.INTENT_SEND_INVITE, person_name="Zebulon", date_time=talk.at(19))
    assert reply.status == S.ACTION_STATUS_FAILED and reply.error_code == "friend_not_found"
    assert reply.speak_text.startswith("I couldn't find a friend named Zebulon.")


def test_fully_booked_offers_alternatives(talk):
    for _ in range(2):  # Sushi Zen seats 40
        prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Sushi Zen", party_size=20, date_time=talk.at(15, 30))
        assert talk.confirm(prompt).status == S.ACTION_STATUS_SUCCESS
    check = talk.say(pb.INTENT_CHECK_AVAILABILITY, venue_name="Sushi Zen", date_time=talk.at(15, 30), party_size=4)
    assert check.status == S.ACTION_STATUS_SUCCESS and check.result["available"] is False
    assert "I could do" in check.speak_text
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Sushi Zen", party_size=4, date_time=talk.at(15, 30))
    full = talk.confirm(prompt)
    assert full.status == S.ACTION_STATUS_FAILED and full.error_code == "fully_booked"
    assert full.result["alternatives"] and "I could do" in full.speak_text and full.follow_up_prompt


def test_a_booking_in_the_past_is_a_spoken_failure(talk, database):
    before = bookings(database)
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=talk.at(19, days=-3))
    reply = talk.confirm(prompt)
    assert reply.status == S.ACTION_STATUS_FAILED and reply.error_code == "outside_booking_window", reply.error_code
    assert reply.speak_text and bookings(database) == before


def test_party_size_out_of_range_is_a_spoken_failure(talk):
    reply = talk.say(pb.INTENT_CHECK_AVAILABILITY, venue_name="Olive Garden", date_time=talk.at(19), party_size=99)
    assert reply.status == S.ACTION_STATUS_FAILED and reply.error_code == "invalid_parameters"
    assert "party size" in reply.speak_text


@pytest.mark.parametrize(("change", "field"), [
    ({"request_id": ""}, "request_id"),
    ({"session_id": ""}, "session_id"),
    ({"user_id": 0}, "user_id"),
    ({"intent": 0}, "intent"),
    ({"confidence": 1.5}, "confidence"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
])
def test_bad_execute_requests_are_invalid_argument(talk, change, field):
    request = talk.request(pb.INTENT_CHECK_BOOKING)
    for key, value in change.items():
        setattr(request, key, value)
    with pytest.raises(grpc.RpcError) as err:
        talk.stub.Execute(request, timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and field in err.value.details()


def test_bad_entities_and_confirms_are_invalid_argument_and_the_server_keeps_serving(talk, server):
    with pytest.raises(grpc.RpcError) as err:
        talk.say(pb.INTENT_RESPOND_INVITE, response="maybe")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "response" in err.value.details()
    with pytest.raises(grpc.RpcError) as err:
        talk.say(pb.INTENT_VENUE_INFO, venue_name="x" * 600)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    with pytest.raises(grpc.RpcError) as err:
        talk.stub.Confirm(pb.ConfirmRequest(request_id="r", session_id=talk.session_id, user_id=1, confirmed=True,
                                            now=stamp(talk.now)), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "confirmation_id" in err.value.details()
    with grpc.insecure_channel(server.address) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert talk.say(pb.INTENT_GREETING).status == S.ACTION_STATUS_SUCCESS


def test_list_tools_is_a_function_calling_registry(stub):
    tools = {t.name: t for t in stub.ListTools(pb.ListToolsRequest(), timeout=5).tools}
    assert set(tools) == {"make_booking", "modify_booking", "cancel_booking", "check_booking",
                          "get_recommendations", "search_venue", "venue_info", "check_availability", "find_friends",
                          "send_invite", "respond_invite", "check_invites", "get_directions", "estimate_travel"}
    assert {n for n, t in tools.items() if t.requires_confirmation} == {
        "make_booking", "modify_booking", "cancel_booking", "send_invite"}
    booking = tools["make_booking"].parameters
    assert booking["type"] == "object" and set(booking["required"]) == {"party_size", "date_time"}
    assert booking["properties"]["date_time"]["format"] == "date-time"
    assert booking["properties"]["venue_id"]["type"] == "integer"
    for tool in tools.values():
        assert tool.description and "$defs" not in str(tool.parameters) and "'title'" not in str(tool.parameters)


def test_vocabulary_has_venues_aliases_and_friends(stub):
    vocabulary = stub.GetVocabulary(pb.GetVocabularyRequest(user_id=1), timeout=5)
    by_name = {v.name: v for v in vocabulary.venues}
    assert "Carrabba's" in by_name["Carrabba's Italian Grill"].aliases
    assert {"Sarah", "John"} <= set(vocabulary.friend_names)
    assert vocabulary.version and "sushi" in vocabulary.cuisines
    venues_only = stub.GetVocabulary(pb.GetVocabularyRequest(user_id=0), timeout=5)
    assert not venues_only.friend_names and len(venues_only.venues) == len(vocabulary.venues)
    with pytest.raises(grpc.RpcError) as err:
        stub.GetVocabulary(pb.GetVocabularyRequest(user_id=-1), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def forget_answer(url: str, request_id: str) -> None:
    """What a crash between the session's checkpoint and the response log leaves: no recorded answer."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            assert conn.execute(delete(action_requests).where(action_requests.c.request_id == request_id)).rowcount
    finally:
        engine.dispose()


def test_a_retried_yes_whose_answer_was_not_recorded_gets_the_same_answer(talk, database):
    before = bookings(database)
    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=3, date_time=talk.at(13, 30))
    yes_id = uuid.uuid4().hex
    done = talk.confirm(prompt, request_id=yes_id)
    forget_answer(database, yes_id)
    again = talk.confirm(prompt, request_id=yes_id)
    assert again.status == S.ACTION_STATUS_SUCCESS
    assert again.result["confirmation_code"] == done.result["confirmation_code"]
    assert again.speak_text == done.speak_text
    with pytest.raises(grpc.RpcError) as err:  # another request may not reuse the confirmation
        talk.confirm(prompt)
    assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert bookings(database) == before + 1

    prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=3, date_time=talk.at(14, 30))
    spoken_yes = talk.request(pb.INTENT_CONFIRM)
    done = talk.stub.Execute(spoken_yes, timeout=15)
    forget_answer(database, spoken_yes.request_id)
    again = talk.stub.Execute(spoken_yes, timeout=15)
    assert again.status == S.ACTION_STATUS_SUCCESS
    assert again.result["confirmation_code"] == done.result["confirmation_code"]
    assert bookings(database) == before + 2


def test_a_retried_invite_answer_whose_response_was_not_recorded_gets_the_same_answer(talk, database):
    """respond_invite is exactly-once across a crash between the store's commit and the recorded response: the
    store keeps the answer's key, so the retry finds the invite it answered and says the same."""
    engine = make_engine(database)
    try:
        social = Domain(session_factory(engine)).social
        received, _ = social.list_invites(talk.user_id)
        waiting_from = {i.from_user.id for i in received if i.status == "pending"}
        friend = next(f for f in social.list_friends(talk.user_id) if f.id not in waiting_from)
        invite = social.send_invite(friend.id, talk.user_id, 1, talk.now + timedelta(days=3))
    finally:
        engine.dispose()
    answer = talk.request(pb.INTENT_RESPOND_INVITE, person_name=friend.first_name, response="decline")
    done = talk.stub.Execute(answer, timeout=15)
    assert done.status == S.ACTION_STATUS_SUCCESS, done.speak_text
    assert int(done.result["invite_id"]) == invite.id and done.result["status"] == "declined"
    forget_answer(database, answer.request_id)
    again = talk.stub.Execute(answer, timeout=15)
    assert (again.status, again.result, again.speak_text) == (done.status, done.result, done.speak_text)
    assert invites(database, id=invite.id, status="declined") == 1
    # Another request is another answer: the invite is no longer waiting for one.
    other = talk.say(pb.INTENT_RESPOND_INVITE, person_name=friend.first_name, response="accept")
    assert other.status == S.ACTION_STATUS_FAILED and other.error_code == "no_pending_invites"
    assert invites(database, id=invite.id, status="declined") == 1
