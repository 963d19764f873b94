"""Security over the real processes: every entry point verifies tokens (signature, expiry, form), one user cannot
read or change another user's bookings, invites or sessions through any RPC, and secrets come only from the
environment (the services refuse to start without one and never print it).

Not repeated here: LunaService's own token and per-caller tests (tests/test_backend_service.py), a foreign resume
token (tests/test_gateway_sessions.py) and the action agent not being routed through Envoy
(tests/test_web_bridge.py::test_action_service_is_not_exposed).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from luna.action.v1 import action_pb2 as pb
from luna.backend.v1 import backend_pb2, backend_pb2_grpc
from luna.voice.v1 import voice_pb2, voice_pb2_grpc

from gateway.client import open_stream
from luna_common.tokens import issue_token
from tests.action_support import Conversation, action_stub, bookings, invites
from tests.gateway_support import connect, final_transcript, is_error, text
from tests.reliability_support import Stack, reliability_stack
from tests.servers import ROOT, TEST_TOKEN_SECRET

ALEX, SARAH, OTHER = 1, 2, 3
ASSISTANT = final_transcript(voice_pb2.ROLE_ASSISTANT)
S = pb.ActionStatus


def _forged(user: int) -> str:
    body, _, sig = issue_token(user, TEST_TOKEN_SECRET).partition(".")
    return f"{body}.{'A' if sig[0] != 'A' else 'B'}{sig[1:]}"


def _swapped_body(user: int) -> str:
    """Someone else's claims under a real signature."""
    body = issue_token(OTHER, TEST_TOKEN_SECRET).partition(".")[0]
    return f"{body}.{issue_token(user, TEST_TOKEN_SECRET).partition('.')[2]}"


BAD_TOKENS = {
    "bad signature": _forged(ALEX),
    "claims swapped": _swapped_body(ALEX),
    "other secret": issue_token(ALEX, "a-different-secret-0123456789"),
    "expired": issue_token(ALEX, TEST_TOKEN_SECRET, ttl_seconds=60, now=time.time() - 7200),
    "malformed": "eyJ1aWQiOjF9",
    "empty": "",
}


def number(value: object) -> float:
    assert isinstance(value, (int, float)), value
    return float(value)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def good(user: int) -> tuple[tuple[str, str], ...]:
    return bearer(issue_token(user, TEST_TOKEN_SECRET))


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with reliability_stack() as running:
        yield running


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_every_entry_point_refuses_a_bad_token(stack: Stack, kind: str):
    token = BAD_TOKENS[kind]
    async with grpc.aio.insecure_channel(stack.gateway.address) as gw, \
            grpc.aio.insecure_channel(stack.agent.address) as agent:
        stream = await open_stream(gw, voice_pb2.Start(session_token=token, time_zone="UTC"))
        with pytest.raises(EOFError):
            await stream.next(within=10)
        assert stream.error is not None and stream.error.code() == grpc.StatusCode.UNAUTHENTICATED
        assert not stream.history  # not even `connected`
        voice = voice_pb2_grpc.VoiceGatewayStub(gw)
        luna = backend_pb2_grpc.LunaServiceStub(agent)
        calls = [
            voice.GetSession(voice_pb2.GetSessionRequest(session_id="x"), metadata=bearer(token), timeout=5),
            voice.EndSession(voice_pb2.EndSessionRequest(session_id="x"), metadata=bearer(token), timeout=5),
            voice.Understand(voice_pb2.UnderstandRequest(text="hello"), metadata=bearer(token), timeout=5),
            luna.ListMyBookings(backend_pb2.ListMyBookingsRequest(), metadata=bearer(token), timeout=5),
            luna.ListMyInvites(backend_pb2.ListMyInvitesRequest(), metadata=bearer(token), timeout=5),
            luna.ListFriends(backend_pb2.ListFriendsRequest(), metadata=bearer(token), timeout=5),
            luna.ListVenues(backend_pb2.ListVenuesRequest(), metadata=bearer(token), timeout=5),
        ]
        for call in calls:
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED, (kind, err.value.details())
        watch = luna.WatchMyBookings(backend_pb2.WatchMyBookingsRequest(), metadata=bearer(token), timeout=5)
        with pytest.raises(grpc.aio.AioRpcError) as err:
            await watch.read()
        assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_another_users_bookings_and_invites_cannot_be_read_or_changed(stack: Stack):
    url = stack.url
    with action_stub(stack.agent.address) as stub, grpc.insecure_channel(stack.agent.address) as channel:
        luna = backend_pb2_grpc.LunaServiceStub(channel)
        alex = Conversation(stub, user_id=ALEX)
        prompt = alex.say(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=2, date_time=alex.at(18, 45))
        booked = alex.confirm(prompt)
        assert booked.status == S.ACTION_STATUS_SUCCESS, booked.speak_text
        code = str(booked.result["confirmation_code"])
        ask = alex.say(pb.INTENT_SEND_INVITE, person_name="Sarah")
        sent = alex.confirm(ask)
        assert sent.status == S.ACTION_STATUS_SUCCESS, sent.speak_text
        invite_id = int(number(sent.result["invite_id"]))

        # Read: nothing of Alex's shows up for another user, by any RPC.
        other = Conversation(stub, user_id=OTHER)
        check = other.say(pb.INTENT_CHECK_BOOKING)
        assert code not in str(check) and " ".join(code) not in check.speak_text
        theirs = luna.ListMyBookings(backend_pb2.ListMyBookingsRequest(include_past=True), metadata=good(OTHER))
        assert code not in {b.confirmation_code for b in theirs.bookings}
        first = next(iter(luna.WatchMyBookings(backend_pb2.WatchMyBookingsRequest(include_past=True),
                                               metadata=good(OTHER), timeout=5)))
        assert code not in {b.confirmation_code for b in first.bookings}
        mine = luna.ListMyBookings(backend_pb2.ListMyBookingsRequest(), metadata=good(ALEX))
        assert code in {b.confirmation_code for b in mine.bookings}
        their_invites = luna.ListMyInvites(backend_pb2.ListMyInvitesRequest(), metadata=good(OTHER))
        assert invite_id not in {i.id for i in [*their_invites.received, *their_invites.sent]}
        sarahs = luna.ListMyInvites(backend_pb2.ListMyInvitesRequest(), metadata=good(SARAH))
        assert invite_id in {i.id for i in sarahs.received}

        # Change: by confirmation code, by a confirmation id from Alex's session, by answering Alex's invite.
        attempts: list[tuple[pb.Intent.ValueType, dict[str, Any]]] = [
            (pb.INTENT_CANCEL_BOOKING, {"confirmation_code": code}),
            (pb.INTENT_MODIFY_BOOKING, {"confirmation_code": code, "party_size": 6}),
            (pb.INTENT_CHECK_BOOKING, {"confirmation_code": code})]
        for intent, entities in attempts:
            reply = other.say(intent, **entities)
            assert reply.status in (S.ACTION_STATUS_FAILED, S.ACTION_STATUS_NEEDS_CLARIFICATION), (intent, reply)
            assert "Olive Garden" not in reply.speak_text, reply.speak_text
            if reply.status == S.ACTION_STATUS_NEEDS_CLARIFICATION:
                assert other.say(pb.INTENT_CONFIRM).status != S.ACTION_STATUS_SUCCESS
        pending_cancel = alex.say(pb.INTENT_CANCEL_BOOKING, confirmation_code=code)
        assert pending_cancel.status == S.ACTION_STATUS_NEEDS_CONFIRMATION
        for session in (other.session_id, alex.session_id):
            with pytest.raises(grpc.RpcError) as err:
                stub.Confirm(pb.ConfirmRequest(
                    request_id=uuid.uuid4().hex, session_id=session, user_id=OTHER,
                    confirmation_id=pending_cancel.confirmation.confirmation_id, confirmed=True,
                    now=alex.request(pb.INTENT_GREETING).now), timeout=10)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        accept = other.say(pb.INTENT_RESPOND_INVITE, person_name="Alex", response="accept")
        assert accept.status != S.ACTION_STATUS_SUCCESS or int(number(accept.result["invite_id"])) != invite_id
        assert alex.confirm(pending_cancel, yes=False).status == S.ACTION_STATUS_CANCELLED

    assert bookings(url, confirmation_code=code, user_id=ALEX, party_size=2, status="confirmed") == 1
    assert invites(url, id=invite_id, to_user_id=SARAH, status="pending") == 1


async def test_another_users_session_and_confirmation_are_out_of_reach_through_the_gateway(stack: Stack):
    async with grpc.aio.insecure_channel(stack.gateway.address) as channel:
        voice = voice_pb2_grpc.VoiceGatewayStub(channel)
        alex, alex_connected = await connect(channel, ALEX, text_only=True)
        await alex.send(text("book a table for two at Sushi Zen tomorrow at 1 pm"))
        confirmation = (await alex.next(lambda e: e.WhichOneof("event") == "action_confirmation",
                                        within=20)).action_confirmation
        intruder, _ = await connect(channel, OTHER, text_only=True)
        before = bookings(stack.url, user_id=ALEX)
        await intruder.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(
            confirmation_id=confirmation.confirmation_id, confirmed=True)))
        await intruder.next(is_error("unknown_confirmation"), within=10)
        session = alex_connected.session_id
        for call in (voice.GetSession(voice_pb2.GetSessionRequest(session_id=session), metadata=good(OTHER)),
                     voice.EndSession(voice_pb2.EndSessionRequest(session_id=session), metadata=good(OTHER)),
                     voice.Understand(voice_pb2.UnderstandRequest(text="yes", session_id=session),
                                      metadata=good(OTHER))):
            with pytest.raises(grpc.aio.AioRpcError) as err:
                await call
            assert err.value.code() == grpc.StatusCode.NOT_FOUND
        await asyncio.sleep(0.3)
        assert bookings(stack.url, user_id=ALEX) == before
        # Alex's session was not ended or answered by any of that: Alex's own "no" still lands.
        await alex.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(
            confirmation_id=confirmation.confirmation_id, confirmed=False)))
        result = (await alex.next(lambda e: e.WhichOneof("event") == "action_result", within=20)).action_result
        assert result.status == S.ACTION_STATUS_CANCELLED
        for stream in (alex, intruder):
            await stream.close()
        assert bookings(stack.url, user_id=ALEX) == before


def _start(module: str, env: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LUNA_") and k != "DATABASE_URL"}
    return subprocess.run([sys.executable, "-m", module, "--port", "0", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("module", "secret"), [("gateway", None), ("action_agent", None), ("gateway", "short")])
def test_services_refuse_to_start_without_a_secret_from_the_environment(module, secret, tmp_path):
    env = {} if secret is None else {"LUNA_TOKEN_SECRET": secret}
    args = ["--database-url", f"sqlite:///{tmp_path / 'luna.db'}"] if module == "action_agent" else []
    done = _start(module, env, args)
    assert done.returncode != 0
    assert "LUNA_TOKEN_SECRET" in done.stdout + done.stderr
    assert "SERVING" not in done.stdout


def test_the_secret_and_tokens_never_reach_the_logs(stack: Stack, tmp_path):
    """Both servers ran the suite's calls above (tokens in metadata and start events): neither printed a token or
    the secret. Their output is everything they wrote to stdout and stderr."""
    token = issue_token(ALEX, TEST_TOKEN_SECRET)
    with grpc.insecure_channel(stack.gateway.address) as channel:
        stub = voice_pb2_grpc.VoiceGatewayStub(channel)
        with pytest.raises(grpc.RpcError):
            stub.GetSession(voice_pb2.GetSessionRequest(session_id="nope"), metadata=bearer(token), timeout=5)
    output = "".join(stack.gateway.output) + "".join(stack.agent.output)
    assert TEST_TOKEN_SECRET not in output
    assert token.partition(".")[2] not in output
