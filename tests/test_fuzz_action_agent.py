"""Malformed requests thrown at the real action agent (hypothesis): random field values (ids, intents outside the
enum, NaN confidences, unknown time zones, timestamps out of range, odd entity text), undecodable payloads and
unknown fields, over every ActionService method.

Every call must end OK or with a clear status (INVALID_ARGUMENT naming the field, FAILED_PRECONDITION for a
confirmation that is not pending, UNKNOWN only for bytes gRPC cannot parse), never INTERNAL (an unhandled
failure in the agent); an OK answer is a complete, speakable one. The agent must stay up, keep its memory and keep
serving a regular conversation.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.protobuf.message import DecodeError
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from luna.action.v1 import action_pb2 as pb

from tests.action_support import Conversation, action_stub, agent_server, seed_database
from tests.reliability_support import rss_kb

SERVICE = "/luna.action.v1.ActionService/"
EXAMPLES = 200
PER_EXAMPLE = (4, 12)
RESPONSES: dict[str, Any] = {"Execute": pb.ActionResponse, "Confirm": pb.ActionResponse,
                             "ListTools": pb.ListToolsResponse, "GetVocabulary": pb.GetVocabularyResponse}
OK_STATUSES = {pb.ACTION_STATUS_SUCCESS, pb.ACTION_STATUS_NEEDS_CONFIRMATION, pb.ACTION_STATUS_NEEDS_CLARIFICATION,
               pb.ACTION_STATUS_CANCELLED, pb.ACTION_STATUS_FAILED}
UNKNOWN_FIELD = bytes([0xF8, 0x06, 0x01])

small_text = st.text(max_size=40)
odd_text = st.one_of(small_text, small_text, st.text(min_size=490, max_size=620), st.sampled_from(
    ["", " ", "\x00", "Olive Garden", "it", "tomorrow", "25:99", "2030-02-30T19:00:00", "1e309", "NaN"]))
int32 = st.integers(-(2**31), 2**31 - 1)
int64 = st.integers(-(2**63), 2**63 - 1)
# Mostly well-formed ids, users, intents and confidences, so most calls get past validation into the graph.
ids = st.sampled_from(["", "x" * 129]) | st.text(min_size=1, max_size=20).filter(str.strip) | st.uuids().map(str) \
    | st.uuids().map(str) | st.uuids().map(str)
users = st.integers(1, 12) | st.integers(1, 12) | st.integers(1, 12) | int64
intents = st.integers(1, 20) | st.integers(1, 20) | st.integers(1, 20) | st.integers(-3, 40)
confidences = st.floats(0, 1, width=32) | st.floats(0, 1, width=32) | st.floats(width=32)
# Timestamp's valid range is years 1 to 9999; beyond it `now` must be INVALID_ARGUMENT.
MIN_SECONDS, MAX_SECONDS = -62135596800, 253402300799
timestamps = st.one_of(
    st.none(),
    st.builds(lambda s, n: timestamp_pb2.Timestamp(seconds=s, nanos=n), st.integers(MIN_SECONDS, MAX_SECONDS),
              st.integers(0, 999_999_999)),
    st.builds(lambda s, n: timestamp_pb2.Timestamp(seconds=s, nanos=n), int64, st.integers(-(2**31), 2**31 - 1)),
    st.builds(lambda s: timestamp_pb2.Timestamp(seconds=s), st.integers(1_700_000_000, 2_000_000_000)))


def _optional(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


entities = st.builds(
    lambda venue, person, dt, date, party, cuisine, price, dist, km, resp, code: pb.Entities(**_optional(
        venue_name=venue, person_name=person, date_time=dt, date=date, party_size=party, cuisine=cuisine,
        price_level=price, distance=dist, distance_km=km, response=resp, confirmation_code=code)),
    st.none() | odd_text, st.none() | odd_text, st.none() | odd_text, st.none() | odd_text, st.none() | int32,
    st.none() | small_text, st.none() | int32, st.none() | small_text,
    st.none() | st.floats(allow_nan=True, allow_infinity=True),
    st.none() | st.sampled_from(["accept", "decline", "maybe", ""]), st.none() | small_text)


def _action_request(request_id, session, user, intent, ents, confidence, tz, now, utterance, turns,
                    previous) -> bytes:
    request = pb.ActionRequest(request_id=request_id, session_id=session, user_id=user, intent=intent,
                               entities=ents, confidence=confidence, time_zone=tz, utterance=utterance,
                               context=pb.ActionContext(turn_count=turns, previous_intents=previous))
    if now is not None:
        request.now.CopyFrom(now)
    return request.SerializeToString()


action_requests = st.builds(
    _action_request, ids, ids, users, intents, entities, confidences,
    st.sampled_from(["", "UTC", "America/New_York", "Mars/Olympus", "../../etc/passwd", "\x00"]),
    timestamps, st.text(max_size=2100), int32, st.lists(st.integers(-2, 50), max_size=8))


def _confirm_request(request_id, session, user, confirmation, yes, now) -> bytes:
    request = pb.ConfirmRequest(request_id=request_id, session_id=session, user_id=user,
                                confirmation_id=confirmation, confirmed=yes)
    if now is not None:
        request.now.CopyFrom(now)
    return request.SerializeToString()


confirm_requests = st.builds(_confirm_request, ids, ids, users, ids, st.booleans(), timestamps)
vocabulary_requests = st.builds(lambda u: pb.GetVocabularyRequest(user_id=u).SerializeToString(), int64)


@st.composite
def calls(draw: st.DrawFn) -> tuple[str, bytes]:
    method = draw(st.sampled_from(["Execute"] * 5 + ["Confirm"] * 2 + ["GetVocabulary", "ListTools"]))
    payload = {"Execute": action_requests, "Confirm": confirm_requests, "GetVocabulary": vocabulary_requests,
               "ListTools": st.just(b"")}[method]
    body = draw(payload)
    mangle = draw(st.sampled_from(["none"] * 6 + ["unknown_field", "random", "truncate"]))
    if mangle == "unknown_field":
        body += UNKNOWN_FIELD
    elif mangle == "random":
        body = draw(st.binary(max_size=200))
    elif mangle == "truncate" and len(body) > 2:
        body = body[: draw(st.integers(1, len(body) - 1))]
    return method, body


def _parses(method: str, body: bytes) -> bool:
    request_type: Any = {"Execute": pb.ActionRequest, "Confirm": pb.ConfirmRequest,
                    "GetVocabulary": pb.GetVocabularyRequest, "ListTools": pb.ListToolsRequest}[method]
    try:
        request_type.FromString(body)
    except DecodeError:
        return False
    return True


def check(method: str, body: bytes, outcome: grpc.Future) -> str:
    try:
        response = outcome.result(timeout=60)
    except grpc.RpcError as exc:
        code, details = exc.code(), exc.details() or ""
        context = (method, code, details, body[:80])
        if code == grpc.StatusCode.UNKNOWN:
            assert not _parses(method, body) and "DecodeError" in details, context
        else:
            assert code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION), context
            assert details, context
        return code.name
    if method in ("Execute", "Confirm"):
        assert response.status in OK_STATUSES, (method, response)
        assert response.speak_text or response.confirmation.prompt, (method, response)
        if response.status == pb.ACTION_STATUS_FAILED:
            assert response.error_code, response
    return "OK"


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator:
    with agent_server(seed_database(tmp_path_factory.mktemp("fuzz-agent") / "luna.db")) as server:
        yield server


def test_malformed_action_requests_get_clear_errors_and_leave_the_agent_healthy(agent):
    pid = agent.proc.pid
    codes: Counter[str] = Counter()
    with grpc.insecure_channel(agent.address) as channel, action_stub(agent.address) as stub:
        methods = {m: channel.unary_unary(SERVICE + m, request_serializer=lambda b: b,
                                          response_deserializer=r.FromString) for m, r in RESPONSES.items()}
        talk = Conversation(stub)
        for _ in range(3):  # warm every path once before taking the baseline
            talk.say(pb.INTENT_GET_RECOMMENDATIONS, cuisine="sushi", distance="nearby")
        rss_before = rss_kb(pid)

        def run(seed: int) -> None:
            # No shrinking: every example costs real calls, and the run must stay bounded even when one fails.
            @hypothesis_seed(seed)
            @settings(max_examples=EXAMPLES // 2, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate))
            @given(st.lists(calls(), min_size=PER_EXAMPLE[0], max_size=PER_EXAMPLE[1]))
            def batch(planned: list[tuple[str, bytes]]) -> None:
                futures = [methods[m].future(body, timeout=60) for m, body in planned]
                for (method, body), future in zip(planned, futures, strict=True):
                    codes[check(method, body, future)] += 1
                assert agent.proc.poll() is None, "the action agent died"

            batch()

        started = time.monotonic()
        run(1)
        rss_middle = rss_kb(pid)
        run(2)
        elapsed = time.monotonic() - started
        # A regular conversation still works, start to finish.
        prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=talk.at(18))
        assert prompt.status == pb.ACTION_STATUS_NEEDS_CONFIRMATION, prompt.speak_text
        assert talk.confirm(prompt, yes=False).status == pb.ACTION_STATUS_CANCELLED
        rss_after = rss_kb(pid)
    total = sum(codes.values())
    print(f"\naction fuzz: {total} calls in {elapsed:.1f} s: {dict(codes)}; agent RSS KiB {rss_before} -> "
          f"{rss_middle} (half way) -> {rss_after}")
    assert total >= 1000 and codes["OK"] >= 100 and codes["INVALID_ARGUMENT"] and codes["FAILED_PRECONDITION"]
    # Memory stable: caches fill in the first half; the second, as long, may add only a little more.
    assert rss_after - rss_middle < 8 * 1024, (rss_before, rss_middle, rss_after)
    assert rss_after - rss_before < 24 * 1024, (rss_before, rss_middle, rss_after)


def test_out_of_range_now_is_invalid_argument(agent):
    bad = timestamp_pb2.Timestamp(seconds=MIN_SECONDS - 1)
    with action_stub(agent.address) as stub:
        talk = Conversation(stub)
        execute = talk.request(pb.INTENT_CHECK_BOOKING)
        execute.now.CopyFrom(bad)
        confirm = pb.ConfirmRequest(request_id="r-1", session_id=talk.session_id, user_id=1, confirmation_id="c-1",
                                    confirmed=True, now=bad)
        for call, request in ((stub.Execute, execute), (stub.Confirm, confirm)):
            with pytest.raises(grpc.RpcError) as err:
                call(request, timeout=10)
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT, err.value.details()
            assert "now" in (err.value.details() or "")
        assert talk.say(pb.INTENT_GREETING).status == pb.ACTION_STATUS_SUCCESS
