"""The voice gateway on the Qwen-Omni engine, end to end and offline.

Real parts throughout: the gateway process (python -m gateway) with the real dashscope SDK, pointed by
LUNA_QWEN_URL at the loopback stand-in service (tests/qwen_standin.py, scripted per test), the real action
agent over the seeded demo city, and a Converse client over gRPC.
"""

from __future__ import annotations

import asyncio
import socket
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import grpc
import pytest
from luna.action.v1 import action_pb2
from luna.voice.v1 import voice_pb2

from gateway.settings import GatewaySettings
from gateway.speech.qwen.conversation import FALLBACK_MESSAGE
from gateway.speech.qwen.engine import QwenEngine
from gateway.speech.select import EngineConfigError, create_qwen
from tests.action_support import NY, agent_server, bookings, seed_database
from tests.gateway_support import connect, final_transcript, gateway, is_state, text
from tests.qwen_helpers import loud, utterance
from tests.qwen_standin import Call, QwenStandIn, Reply, Turn
from tests.servers import ServerProcess

pytestmark = pytest.mark.timeout(60)

USER_FINAL = final_transcript(voice_pb2.ROLE_USER)
ASSISTANT_FINAL = final_transcript(voice_pb2.ROLE_ASSISTANT)
PCM16 = voice_pb2.AudioConfig(encoding=voice_pb2.AUDIO_ENCODING_PCM16, sample_rate_hz=16000, channels=1)
QWEN_ENV = {"DASHSCOPE_API_KEY": "sk-test", "LUNA_QWEN_VAD_SILENCE_MS": "200", "LUNA_QWEN_STALL_TIMEOUT_SECONDS": "3",
            "LUNA_QWEN_HANDSHAKE_TIMEOUT_SECONDS": "2", "LUNA_QWEN_FINISH_TIMEOUT_SECONDS": "2",
            # Short backoff, so each test starts with Qwen healthy again after the previous one made it fail.
            "LUNA_QWEN_RETRY_INITIAL_SECONDS": "1", "LUNA_ASR_WORKERS": "0"}
RETRY_WAIT_S = 1.2
# A short reply of the embedded engine (its turns are spoken in real time).
THANKS = "thanks"
WELCOME = "You're welcome! Enjoy your meal."


def kind(name: str):
    return lambda e: e.WhichOneof("event") == name


def status_message(message: str):
    return lambda e: e.WhichOneof("event") == "status" and e.status.message == message


def at_tomorrow(hour: int) -> str:
    tomorrow = datetime.now(NY).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, hour, 0, tzinfo=NY).isoformat()


class Agent:
    def __init__(self, server: ServerProcess, database: str) -> None:
        self.server = server
        self.database = database


@pytest.fixture(scope="module")
def agent() -> Iterator[Agent]:
    with tempfile.TemporaryDirectory(prefix="luna-gw-qwen-") as tmp:
        url = seed_database(Path(tmp) / "luna.db")
        with agent_server(url) as server:
            yield Agent(server, url)


@pytest.fixture(scope="module")
def standin() -> Iterator[QwenStandIn]:
    with QwenStandIn() as server:
        yield server


@pytest.fixture(autouse=True)
def fresh_script(standin: QwenStandIn) -> None:
    standin.script = []
    standin.refuse_handshake = False
    standin.connections.clear()


@pytest.fixture(scope="module")
def gw(agent: Agent, standin: QwenStandIn) -> Iterator[ServerProcess]:
    """Function calling: qwen3.5-omni-flash-realtime (the default model)."""
    with gateway(agent.server.address, LUNA_QWEN_URL=standin.url, **QWEN_ENV) as server:
        yield server


@pytest.fixture(scope="module")
def gw_no_tools(agent: Agent, standin: QwenStandIn) -> Iterator[ServerProcess]:
    with gateway(agent.server.address, LUNA_QWEN_URL=standin.url, LUNA_QWEN_MODEL="qwen3-omni-flash-realtime",
                 **QWEN_ENV) as server:
        yield server


async def say(stream) -> None:
    """One utterance the stand-in's VAD takes for a turn: 300 ms of speech, 300 ms of silence."""
    await stream.stream_chunks(utterance(), 0.05)


async def finished(standin: QwenStandIn) -> None:
    await standin.wait_for(lambda: bool(standin.received("session.finish")), within_s=10)


async def end(stream) -> None:
    await stream.send(voice_pb2.ClientEvent(end_session=voice_pb2.EndSessionEvent()))
    await stream.next(kind("session_ended"), within=10)
    await stream.close()


async def test_spoken_booking_through_a_function_call_confirmed_by_voice(gw, standin, agent):
    standin.script = [
        Turn("book a table for two at olive garden tomorrow at seven pm",
             call=Call("make_booking", {"venue_name": "Olive Garden", "party_size": 2, "date_time": at_tomorrow(19)})),
        Turn("yes please", call=Call("answer_confirmation", {"confirmed": True})),
    ]
    before = bookings(agent.database, user_id=1)
    async with grpc.aio.insecure_channel(gw.address) as channel:
        stream, connected = await connect(channel, 1, input_audio=PCM16)
        assert connected.engine == "qwen"
        assert connected.output_audio.sample_rate_hz == 24000  # Qwen's own rate when the client leaves it open
        tools = standin.connections[0].session.get("tools") or []
        names = {t["function"]["name"] for t in tools}
        assert {"make_booking", "answer_confirmation"} <= names  # the real agent's ListTools, declared

        await say(stream)
        heard = await stream.next(USER_FINAL, within=10)
        assert "olive garden" in heard.transcript.text
        confirmation = (await stream.next(kind("action_confirmation"), within=10)).action_confirmation
        assert confirmation.action == "make_booking" and "Olive Garden" in confirmation.prompt
        prompt = await stream.next(ASSISTANT_FINAL, within=10)
        assert prompt.transcript.text == confirmation.prompt  # the model read the agent's own prompt
        audio = [r.event.audio_chunk for r in stream.history if r.kind == "audio_chunk"]
        assert audio and audio[-1].is_final and sum(len(a.data) for a in audio) > 0
        assert bookings(agent.database, user_id=1) == before  # nothing booked before the user's yes

        await say(stream)
        yes = await stream.next(USER_FINAL, within=10)
        assert yes.transcript.text == "yes please"
        result = (await stream.next(kind("action_result"), within=10)).action_result
        assert result.action == "make_booking" and result.status == action_pb2.ACTION_STATUS_SUCCESS
        code = result.result["confirmation_code"]
        assert bookings(agent.database, user_id=1, confirmation_code=code, status="confirmed") == 1
        spoken = await stream.next(ASSISTANT_FINAL, within=10)
        assert spoken.transcript.text == " ".join(p for p in (result.speak_text, result.follow_up_prompt) if p)
        await stream.next(is_state(voice_pb2.SESSION_STATE_WAITING), within=5)  # what clients take as turn end
        outputs = standin.received("conversation.item.create")
        assert [e["item"]["type"] for e in outputs] == ["function_call_output", "function_call_output"]
        await end(stream)
        await finished(standin)  # the realtime session was finished cleanly, not dropped
    await asyncio.sleep(0.3)
    # The SDK's report of that clean close is not logged as an error.
    assert not any("Connection closed normally" in line for line in gw.output)


async def test_without_function_calling_the_gateway_understands_and_the_user_confirms_by_tap(
        gw_no_tools, standin, agent):
    standin.script = [Turn("book a table for two at olive garden tomorrow at six pm")]
    before = bookings(agent.database, user_id=2)
    async with grpc.aio.insecure_channel(gw_no_tools.address) as channel:
        stream, connected = await connect(channel, 2, input_audio=PCM16)
        assert connected.engine == "qwen"
        assert "tools" not in standin.connections[0].session
        assert standin.connections[0].session["turn_detection"]["create_response"] is False

        await say(stream)
        await stream.next(USER_FINAL, within=10)
        confirmation = (await stream.next(kind("action_confirmation"), within=15)).action_confirmation
        assert confirmation.action == "make_booking"
        await stream.next(ASSISTANT_FINAL, within=10)
        speak = [e for e in standin.received("response.create")
                 if confirmation.prompt in (e.get("response") or {}).get("instructions", "")]
        assert speak, "the gateway's reply was given to the model to say"

        await stream.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(
            confirmation_id=confirmation.confirmation_id, confirmed=True)))
        result = (await stream.next(kind("action_result"), within=10)).action_result
        assert result.status == action_pb2.ACTION_STATUS_SUCCESS and result.action == "make_booking"
        assert bookings(agent.database, user_id=2) == before + 1
        done = await stream.next(ASSISTANT_FINAL, within=10)
        assert done.transcript.text.startswith(result.speak_text)  # said by the model, as the agent worded it
        assert any(result.speak_text in (e.get("response") or {}).get("instructions", "")
                   for e in standin.received("response.create"))

        # Typed text takes the same path: understood by the gateway, said by the model.
        await stream.send(text(THANKS))
        reply = await stream.next(ASSISTANT_FINAL, within=15)
        assert reply.transcript.text == WELCOME
        assert WELCOME in standin.received("response.create")[-1]["response"]["instructions"]
        assert not [r for r in stream.history if r.kind == "error"]
        await end(stream)
        await finished(standin)


async def test_barge_in_cancels_the_response_and_stops_its_audio(gw, standin):
    long_reply = Reply(text="There are so many great places around here, let me tell you about all of them.",
                       audio_ms=4000, chunk_ms=100, pace_s=0.1)
    standin.script = [Turn("tell me about restaurants", reply=long_reply),
                      Turn("stop", reply=Reply(text="Okay.")),
                      Turn("and another", reply=long_reply)]
    async with grpc.aio.insecure_channel(gw.address) as channel:
        stream, connected = await connect(channel, 1, input_audio=PCM16)
        assert connected.engine == "qwen"
        await say(stream)
        first = await stream.next(kind("audio_chunk"), within=10)
        turn_id = first.audio_chunk.turn_id
        await stream.send_audio(loud(100))  # the user talks over the reply
        interrupted = (await stream.next(kind("interrupted"), within=5)).interrupted
        assert interrupted.turn_id == turn_id
        await standin.wait_for(lambda: bool(standin.received("response.cancel")), within_s=5)
        at = len(stream.history)
        await stream.stream_chunks([loud(100)] * 2 + [bytes(3200)] * 3, 0.05)
        okay = await stream.next(lambda e: ASSISTANT_FINAL(e) and e.transcript.text == "Okay.", within=10)
        later = [r.event.audio_chunk for r in stream.history[at:] if r.kind == "audio_chunk"]
        assert all(chunk.turn_id != turn_id for chunk in later)  # nothing more of the interrupted reply

        # The client's own interrupt does the same.
        await say(stream)
        done = {turn_id, okay.transcript.turn_id}
        third = await stream.next(lambda e: kind("audio_chunk")(e) and e.audio_chunk.turn_id not in done, within=10)
        cancels = len(standin.received("response.cancel"))
        await stream.send(voice_pb2.ClientEvent(interrupt=voice_pb2.Interrupt()))
        stopped = (await stream.next(kind("interrupted"), within=5)).interrupted
        assert stopped.turn_id == third.audio_chunk.turn_id
        await standin.wait_for(lambda: len(standin.received("response.cancel")) > cancels, within_s=5)
        assert not [r for r in stream.history if r.kind == "error"]
        await end(stream)


async def test_a_server_error_mid_turn_hands_the_turn_and_the_pending_confirmation_to_the_embedded_engine(
        gw, standin, agent):
    await asyncio.sleep(RETRY_WAIT_S)
    standin.script = [
        Turn("book a table for two at olive garden tomorrow at eight pm",
             call=Call("make_booking", {"venue_name": "Olive Garden", "party_size": 2, "date_time": at_tomorrow(20)})),
        Turn("yes please", fail="error"),
    ]
    before = bookings(agent.database, user_id=5)
    async with grpc.aio.insecure_channel(gw.address) as channel:
        stream, connected = await connect(channel, 5, input_audio=PCM16)
        assert connected.engine == "qwen"
        await say(stream)
        await stream.next(kind("action_confirmation"), within=10)
        await stream.next(ASSISTANT_FINAL, within=10)
        await say(stream)  # "yes please": Qwen transcribes it, then fails
        await stream.next(status_message(FALLBACK_MESSAGE), within=10)
        # The embedded engine answers that turn: the confirmation Qwen's turn left pending is confirmed.
        result = (await stream.next(kind("action_result"), within=20)).action_result
        assert result.action == "make_booking" and result.status == action_pb2.ACTION_STATUS_SUCCESS
        assert bookings(agent.database, user_id=5) == before + 1
        reply = await stream.next(lambda e: kind("transcript")(e) and e.transcript.role == voice_pb2.ROLE_ASSISTANT,
                                  within=10)
        assert result.speak_text in reply.transcript.text
        await stream.next(lambda e: kind("audio_chunk")(e) and e.audio_chunk.turn_id == reply.transcript.turn_id,
                          within=10)  # spoken with the embedded voice
        # The session carries on: typed text is answered by the embedded engine too.
        await stream.send(text(THANKS))
        again = await stream.next(lambda e: ASSISTANT_FINAL(e) and e.transcript.text == WELCOME, within=20)
        assert again.transcript.turn_id != reply.transcript.turn_id
        await end(stream)


async def test_a_dropped_socket_mid_turn_falls_back_without_losing_the_turn(gw, standin):
    await asyncio.sleep(RETRY_WAIT_S)
    standin.script = [Turn(THANKS, fail="drop")]
    async with grpc.aio.insecure_channel(gw.address) as channel:
        stream, connected = await connect(channel, 1, input_audio=PCM16)
        assert connected.engine == "qwen"
        await say(stream)
        heard = await stream.next(USER_FINAL, within=10)
        assert heard.transcript.text == THANKS
        await stream.next(status_message(FALLBACK_MESSAGE), within=10)
        reply = await stream.next(lambda e: ASSISTANT_FINAL(e) and e.transcript.text == WELCOME, within=20)
        assert reply.transcript.turn_id != heard.transcript.turn_id
        # Qwen's backoff (1 s here) passes; at the next turn boundary the session goes back to Qwen.
        await asyncio.sleep(RETRY_WAIT_S)
        standin.script = [Turn("hello there", reply=Reply(text="Hi again!"))]
        await stream.send(text(THANKS))
        await stream.next(status_message("Luna's voice is back"), within=20)
        await say(stream)
        back = await stream.next(lambda e: ASSISTANT_FINAL(e) and e.transcript.text == "Hi again!", within=10)
        assert back.transcript.text == "Hi again!"
        await end(stream)


async def test_an_unreachable_service_at_start_means_the_embedded_engine(agent):
    with socket.socket() as probe:  # a port with nothing listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with gateway(agent.server.address, LUNA_QWEN_URL=f"ws://127.0.0.1:{port}/api-ws/v1/realtime",
                 **QWEN_ENV) as server:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stream, connected = await connect(channel, 3, input_audio=PCM16)
            assert connected.engine == "embedded"
            await stream.send(text(THANKS))
            reply = await stream.next(lambda e: ASSISTANT_FINAL(e) and e.transcript.text == WELCOME, within=20)
            assert reply.transcript.text == WELCOME
            await end(stream)


@pytest.mark.parametrize(("engine", "key", "chosen"), [
    ("auto", "", None), ("auto", "sk-x", "qwen"), ("qwen", "sk-x", "qwen"), ("embedded", "sk-x", None),
    ("none", "sk-x", None)])
def test_engine_selection(monkeypatch, engine, key, chosen):
    monkeypatch.setenv("LUNA_SPEECH_ENGINE", engine)
    monkeypatch.setenv("DASHSCOPE_API_KEY", key)
    qwen = create_qwen(GatewaySettings())
    assert (qwen.name if isinstance(qwen, QwenEngine) else None) == chosen


def test_asking_for_qwen_without_a_key_is_a_configuration_error(monkeypatch):
    monkeypatch.setenv("LUNA_SPEECH_ENGINE", "qwen")
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("LUNA_QWEN_API_KEY", raising=False)
    with pytest.raises(EngineConfigError, match="DASHSCOPE_API_KEY"):
        create_qwen(GatewaySettings())
