"""Voice gateway sessions over real gRPC (text mode, no speech engine): lifecycle, resume, limits, bad input.

Against a seeded action agent, so turns run the real action graph.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys

import grpc
import pytest
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

from gateway.sessions import SessionLimitExceeded, SessionRegistry
from gateway.turns import SERVICE_UNAVAILABLE
from tests.gateway_support import (
    WAITING,
    bearer,
    connect,
    final_transcript,
    gateway,
    is_error,
    is_state,
    seeded_agent,
    stub,
    text,
    token,
)
from tests.servers import ROOT, TEST_TOKEN_SECRET

ASSISTANT = final_transcript(voice_pb2.ROLE_ASSISTANT)
BOOKING = "book a table for two at Olive Garden tomorrow at 7 pm"


@pytest.fixture(scope="module")
def agent():
    with seeded_agent() as server:
        yield server


@pytest.fixture(scope="module")
def gw(agent):
    with gateway(agent.address, LUNA_SPEECH_ENGINE="none", LUNA_IDLE_TIMEOUT_SECONDS="3",
                 LUNA_MAX_SESSIONS_PER_USER="2", LUNA_MAX_MESSAGE_BYTES="65536") as server:
        yield server


@pytest.fixture
async def channel(gw):
    async with grpc.aio.insecure_channel(gw.address) as ch:
        yield ch


async def end(stream) -> None:
    await stream.send(voice_pb2.ClientEvent(end_session=voice_pb2.EndSessionEvent()))
    await stream.next(lambda e: e.WhichOneof("event") == "session_ended", within=10)
    await stream.close()


async def test_connected_then_get_session_for_the_owner_only(channel):
    opus = voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_OPUS, sample_rate_hz=48000, channels=1)
    stream, connected = await connect(channel, 11, input_audio=opus)
    assert connected.session_id and connected.resume_token and not connected.resumed
    assert connected.input_audio.encoding == voice_pb2.AUDIO_ENCODING_OPUS
    assert connected.input_audio.sample_rate_hz == 48000
    assert connected.engine == "none" and connected.idle_timeout_seconds == 3
    await stream.next(is_state(voice_pb2.SESSION_STATE_LISTENING), within=5)

    info = (await stub(channel).GetSession(voice_pb2.GetSessionRequest(session_id=connected.session_id),
                                           metadata=bearer(11))).session
    assert info.user_id == 11 and info.connected and info.state == voice_pb2.SESSION_STATE_LISTENING
    assert info.created_at.seconds > 0
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await stub(channel).GetSession(voice_pb2.GetSessionRequest(session_id=connected.session_id),
                                       metadata=bearer(12))
    assert other.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as anonymous:
        await stub(channel).GetSession(voice_pb2.GetSessionRequest(session_id=connected.session_id))
    assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
    await end(stream)


async def test_text_booking_with_confirmation(channel):
    stream, connected = await connect(channel, 1, text_only=True)
    await stream.send(text(BOOKING))
    confirmation = (await stream.next(lambda e: e.WhichOneof("event") == "action_confirmation",
                                      within=20)).action_confirmation
    assert confirmation.confirmation_id and confirmation.action == "make_booking"
    prompt = await stream.next(ASSISTANT, within=10)
    assert prompt.transcript.text == confirmation.prompt
    await stream.next(is_state(WAITING), within=10)

    await stream.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(
        confirmation_id=confirmation.confirmation_id, confirmed=True)))
    result = (await stream.next(lambda e: e.WhichOneof("event") == "action_result", within=20)).action_result
    assert result.status == action_pb2.ACTION_STATUS_SUCCESS and result.action == "make_booking"
    reply = await stream.next(ASSISTANT, within=10)
    assert reply.transcript.text
    metrics = (await stream.next(lambda e: e.WhichOneof("event") == "turn_metrics", within=10)).turn_metrics
    assert metrics.action_ms > 0 and metrics.total_ms >= metrics.action_ms
    info = (await stub(channel).GetSession(voice_pb2.GetSessionRequest(session_id=connected.session_id),
                                           metadata=bearer(1))).session
    assert info.actions_executed == 1 and info.turn_count == 1
    await end(stream)


async def test_resume_after_a_dropped_connection_keeps_the_pending_confirmation(channel):
    stream, connected = await connect(channel, 1, text_only=True)
    await stream.send(text(BOOKING.replace("two", "three")))
    confirmation = (await stream.next(lambda e: e.WhichOneof("event") == "action_confirmation",
                                      within=20)).action_confirmation
    await stream.next(is_state(WAITING), within=10)
    await stream.drop()

    await asyncio.sleep(0.3)
    info = (await stub(channel).GetSession(voice_pb2.GetSessionRequest(session_id=connected.session_id),
                                           metadata=bearer(1))).session
    assert not info.connected and info.turn_count == 1

    resumed, again = await connect(channel, 1, text_only=True, resume_token=connected.resume_token)
    assert again.resumed and again.session_id == connected.session_id
    repeated = (await resumed.next(lambda e: e.WhichOneof("event") == "action_confirmation",
                                   within=5)).action_confirmation
    assert repeated.confirmation_id == confirmation.confirmation_id
    await resumed.send(text("yes"))  # answered in words, as a spoken "yes" would be
    result = (await resumed.next(lambda e: e.WhichOneof("event") == "action_result", within=20)).action_result
    assert result.status == action_pb2.ACTION_STATUS_SUCCESS and result.action == "make_booking"
    await end(resumed)


async def test_resume_with_an_unknown_or_foreign_token_is_not_found(channel):
    stream, connected = await connect(channel, 23, text_only=True)
    for user, resume_token in ((23, "not-a-token"), (24, connected.resume_token)):
        other = await _open(channel, voice_pb2.Start(session_token=token(user), resume_token=resume_token))
        with pytest.raises(EOFError):
            await other.next(within=5)
        assert other.error is not None and other.error.code() == grpc.StatusCode.NOT_FOUND
    await end(stream)


async def _open(channel, start):
    from gateway.client import open_stream
    return await open_stream(channel, start)


async def test_idle_session_ends_after_the_timeout(channel):
    stream, _ = await connect(channel, 13)
    ended = await stream.next(lambda e: e.WhichOneof("event") == "session_ended", within=8)
    assert ended.session_ended.reason == voice_pb2.END_REASON_IDLE_TIMEOUT
    with pytest.raises(EOFError):
        await stream.next(within=5)


async def test_end_session_by_api(channel):
    stream, connected = await connect(channel, 14)
    request = voice_pb2.EndSessionRequest(session_id=connected.session_id)
    with pytest.raises(grpc.aio.AioRpcError) as foreign:
        await stub(channel).EndSession(request, metadata=bearer(99))
    assert foreign.value.code() == grpc.StatusCode.NOT_FOUND
    info = (await stub(channel).EndSession(request, metadata=bearer(14))).session
    assert info.session_id == connected.session_id
    ended = await stream.next(lambda e: e.WhichOneof("event") == "session_ended", within=5)
    assert ended.session_ended.reason == voice_pb2.END_REASON_ENDED_BY_API
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub(channel).GetSession(voice_pb2.GetSessionRequest(session_id=connected.session_id),
                                       metadata=bearer(14))
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_session_limit_per_user_leaves_open_sessions_working(channel):
    first, _ = await connect(channel, 15, text_only=True)
    second, _ = await connect(channel, 15, text_only=True)
    third = await _open(channel, voice_pb2.Start(session_token=token(15)))
    with pytest.raises(EOFError):
        await third.next(within=5)
    assert third.error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "limit" in third.error.details()
    await first.send(text("hello"))
    assert (await first.next(ASSISTANT, within=15)).transcript.text
    await end(first)
    await end(second)


def test_a_new_session_replaces_the_users_stalest_dropped_one():
    registry = SessionRegistry(max_sessions=10, max_sessions_per_user=2, idle_timeout_seconds=60)

    class Live:
        def close(self, reason, message):
            pass

        def supersede(self):
            pass

    async def scenario():
        dropped = registry.create(1, "UTC")
        live = registry.create(1, "UTC")
        live.connection = Live()
        third = registry.create(1, "UTC")  # the dropped one gives way
        assert dropped.ended and not live.ended and registry.get(third.id, 1) is third
        third.connection = Live()
        with pytest.raises(SessionLimitExceeded, match="already has 2 open sessions"):
            registry.create(1, "UTC")
        await registry.close()

    asyncio.run(scenario())


def test_process_session_limit():
    registry = SessionRegistry(max_sessions=2, max_sessions_per_user=5, idle_timeout_seconds=60)

    async def fill():
        registry.create(1, "UTC")
        registry.create(2, "UTC")
        with pytest.raises(SessionLimitExceeded, match="limit of 2 sessions"):
            registry.create(3, "UTC")
        await registry.close()

    asyncio.run(fill())


async def test_bad_input_gets_error_events_and_the_session_goes_on(channel):
    stream, _ = await connect(channel, 16)
    bystander, _ = await connect(channel, 17, text_only=True)
    audio = voice_pb2.ClientEvent
    await stream.send(audio(audio_chunk=voice_pb2.InputAudioChunk(data=b"\x01\x02\x03", sequence=0)))
    odd = await stream.next(is_error("invalid_audio"), within=5)
    assert "odd number of bytes" in odd.error.message
    await stream.send(audio(audio_chunk=voice_pb2.InputAudioChunk(data=bytes(640), sequence=5)))
    await stream.send(audio(audio_chunk=voice_pb2.InputAudioChunk(data=bytes(640), sequence=3)))
    gap = await stream.next(is_error("invalid_sequence"), within=5)
    assert "missing" in gap.error.message
    late = await stream.next(is_error("invalid_sequence"), within=5)
    assert "dropped" in late.error.message
    await stream.send(text("   "))
    await stream.next(is_error("invalid_text"), within=5)
    await stream.send(text("x" * 2000))
    await stream.next(is_error("invalid_text"), within=5)
    await stream.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(confirmation_id="nope", confirmed=True)))
    await stream.next(is_error("unknown_confirmation"), within=5)
    await stream.send(voice_pb2.ClientEvent(start=voice_pb2.Start(session_token=token(16))))
    await stream.next(is_error("invalid_event"), within=5)
    await stream.send(voice_pb2.ClientEvent())
    await stream.next(is_error("invalid_event"), within=5)

    await stream.send(text("hello"))
    assert (await stream.next(ASSISTANT, within=15)).transcript.text
    await bystander.send(text("hello"))
    assert (await bystander.next(ASSISTANT, within=15)).transcript.text
    info = (await stub(channel).GetSession(voice_pb2.GetSessionRequest(
        session_id=(await _session_id(stream))), metadata=bearer(16))).session
    assert info.errors >= 8
    await end(stream)
    await end(bystander)


async def _session_id(stream) -> str:
    return next(r.event.connected.session_id for r in stream.history if r.kind == "connected")


async def test_invalid_opus_data_is_an_error_event(channel):
    opus = voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_OPUS, sample_rate_hz=48000, channels=1)
    stream, _ = await connect(channel, 18, input_audio=opus)
    await stream.send_audio(b"garbage!")
    error = await stream.next(is_error("invalid_audio"), within=5)
    assert "Opus" in error.error.message
    await end(stream)


@pytest.mark.parametrize(("start", "code", "words"), [
    (dict(input_audio=voice_pb2.AudioConfig(channels=2)), grpc.StatusCode.INVALID_ARGUMENT, "mono"),
    (dict(input_audio=voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=12345)),
     grpc.StatusCode.INVALID_ARGUMENT, "sample_rate_hz"),
    (dict(time_zone="Mars/Olympus_Mons"), grpc.StatusCode.INVALID_ARGUMENT, "time_zone"),
    (dict(session_token=""), grpc.StatusCode.UNAUTHENTICATED, "missing"),
])
async def test_bad_start_is_refused(channel, start, code, words):
    fields = {"session_token": token(25), **start}
    stream = await _open(channel, voice_pb2.Start(**fields))
    with pytest.raises(EOFError):
        await stream.next(within=5)
    assert stream.error.code() == code and words in stream.error.details()
    assert not any(r.kind == "connected" for r in stream.history)


async def test_oversized_message_fails_that_stream_only(channel):
    bystander, _ = await connect(channel, 20, text_only=True)
    stream, _ = await connect(channel, 19)
    await stream.send_audio(bytes(100_000))
    with pytest.raises(EOFError):
        await stream.next(lambda e: False, within=5)
    assert stream.error is not None and stream.error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    await bystander.send(text("hello"))
    assert (await bystander.next(ASSISTANT, within=15)).transcript.text
    await end(bystander)


async def test_audio_faster_than_real_time_is_resource_exhausted(channel):
    bystander, _ = await connect(channel, 22, text_only=True)
    stream, _ = await connect(channel, 21)
    # Audio at four times real time, until the server ends the stream (the client stops writing then, so grpcio's
    # client-side write race cannot mask the server's status).
    with contextlib.suppress(grpc.aio.AioRpcError, asyncio.InvalidStateError):
        await stream.stream_chunks([bytes(640)] * 1000, 0.005)
    with pytest.raises(EOFError):
        await stream.next(lambda e: False, within=5)
    assert stream.error is not None and stream.error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "faster than real time" in stream.error.details()
    await bystander.send(text("hello"))
    assert (await bystander.next(ASSISTANT, within=15)).transcript.text
    await end(bystander)


async def test_understand_needs_a_token(channel):
    request = voice_pb2.UnderstandRequest(text="table for four at Olive Garden tonight at 7", time_zone="UTC")
    reply = await stub(channel).Understand(request, metadata=bearer(1))
    assert reply.intent == action_pb2.INTENT_MAKE_BOOKING and reply.entities.party_size == 4
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await stub(channel).Understand(request)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_action_agent_down_is_a_retryable_error_and_the_session_goes_on():
    async def scenario(address):
        async with grpc.aio.insecure_channel(address) as ch:
            stream, _ = await connect(ch, 1, text_only=True)
            for _ in range(2):
                await stream.send(text("find me a sushi place"))
                error = await stream.next(is_error("service_unavailable"), within=20)
                assert error.error.retryable
                reply = await stream.next(ASSISTANT, within=10)
                assert reply.transcript.text == SERVICE_UNAVAILABLE
                await stream.next(is_state(WAITING), within=10)
            await end(stream)

    with gateway("127.0.0.1:1", LUNA_SPEECH_ENGINE="none", LUNA_ACTION_TIMEOUT_SECONDS="2") as server:
        asyncio.run(scenario(server.address))


def test_luna_chat_talks_to_the_gateway(gw):
    env = {**os.environ, "LUNA_TOKEN_SECRET": TEST_TOKEN_SECRET}
    done = subprocess.run([sys.executable, "-m", "luna_cli.main", "chat", "--address", gw.address, "--user", "26"],
                          input="find me a sushi place nearby\n/yes\n/quit\n", capture_output=True, text=True,
                          env=env, timeout=60, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "connected: session" in done.stdout
    assert "you: find me a sushi place nearby" in done.stdout
    assert "luna: " in done.stdout and "[metrics]" in done.stdout
    assert "nothing to confirm" in done.stdout
