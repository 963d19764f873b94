"""The Qwen realtime adapter with the real dashscope SDK against the loopback stand-in service."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from gateway.speech.qwen.events import (
    AssistantTranscriptDelta,
    AudioDelta,
    EngineFailure,
    FailureKind,
    FunctionCall,
    Interrupted,
    QwenEngineError,
    ResponseDone,
    SessionReady,
    SpeechStarted,
    UserTranscript,
)
from gateway.speech.qwen.persona import LUNA_INSTRUCTIONS
from gateway.speech.qwen.session import QwenRealtimeSession
from tests.qwen_helpers import Recorder, loud, qwen_settings, utterance
from tests.qwen_standin import Call, QwenStandIn, Reply, Turn, tone

pytestmark = pytest.mark.timeout(60)

TOOLS = [{"type": "function", "function": {"name": "make_booking", "description": "Book a table",
                                           "parameters": {"type": "object", "properties": {}}}}]


@pytest.fixture
def standin():
    with QwenStandIn() as server:
        yield server


async def open_session(standin: QwenStandIn, tools=(), **overrides):
    session = QwenRealtimeSession(qwen_settings(standin.url, **overrides))
    await session.start(tools)
    return session, Recorder(session.events())


def say(session: QwenRealtimeSession, speech_ms: int = 300, silence_ms: int = 300) -> None:
    for chunk in utterance(speech_ms, silence_ms):
        session.send_audio(chunk)


async def test_a_spoken_turn_streams_the_reply(standin):
    standin.script = [Turn("find me sushi nearby", reply=Reply(text="I found three sushi places near you.",
                                                                 audio_ms=500))]
    session, events = await open_session(standin, TOOLS)
    say(session)
    done = await events.until(lambda e: isinstance(e, ResponseDone))
    await session.close()

    assert isinstance(events.items[0], SessionReady) and events.items[0].function_calling
    assert events.of(UserTranscript)[0].text == "find me sushi nearby"
    assert "".join(d.text for d in events.of(AssistantTranscriptDelta)) == "I found three sushi places near you."
    audio = events.of(AudioDelta)
    assert len(audio) == 5 and all(a.pcm == tone(100) for a in audio)
    assert done.status == "completed" and done.transcript == "I found three sushi places near you."
    # What the SDK sent: the model in the URL, the key, and the session configuration.
    conn = standin.connections[0]
    assert conn.path == "/api-ws/v1/realtime?model=qwen3.5-omni-flash-realtime"
    assert conn.headers["Authorization"] == "Bearer sk-test"
    update = standin.received("session.update")[0]["session"]
    assert update["tools"] == TOOLS
    assert update["instructions"].startswith(LUNA_INSTRUCTIONS)
    assert update["voice"] == "Tina"
    assert update["turn_detection"]["silence_duration_ms"] == 200
    assert update["turn_detection"]["create_response"] is True
    # Input audio went out as base64 16 kHz PCM, byte for byte.
    assert sum(e["bytes"] for e in standin.received("input_audio_buffer.append")) == sum(map(len, utterance()))


async def test_without_function_calling_the_gateway_answers_and_the_model_speaks(standin):
    standin.script = [Turn("is olive garden open tonight")]
    session, events = await open_session(standin, TOOLS, model="qwen3-omni-flash-realtime")
    say(session)
    heard = await events.until(lambda e: isinstance(e, UserTranscript))
    assert heard.text == "is olive garden open tonight"
    await asyncio.sleep(0.2)
    assert not events.of(AudioDelta)  # the server must not answer by itself
    session.speak("Olive Garden is open until ten tonight.")
    done = await events.until(lambda e: isinstance(e, ResponseDone))
    await session.close()

    update = standin.received("session.update")[0]["session"]
    assert "tools" not in update and update["turn_detection"]["create_response"] is False
    assert update["voice"] == "Cherry"
    create = standin.received("response.create")[0]["response"]
    assert "Olive Garden is open until ten tonight." in create["instructions"]
    assert done.transcript == "Olive Garden is open until ten tonight."
    assert events.of(AudioDelta)


async def test_barge_in_cancels_the_reply_and_drops_its_audio(standin):
    standin.script = [Turn("tell me about olive garden", reply=Reply(text=" ".join(["word"] * 40), audio_ms=4000,
                                                                    pace_s=0.02)),
                      Turn("actually stop")]
    standin.deltas_after_cancel = 3  # audio already on the wire when the cancel arrives
    session, events = await open_session(standin)
    say(session)
    await events.until(lambda e: isinstance(e, AudioDelta))
    await asyncio.sleep(0.1)
    session.send_audio(loud(100))  # the user talks over Luna
    started = await events.until(lambda e: isinstance(e, SpeechStarted) and e.interrupted_response_id)
    interrupted = await events.until(lambda e: isinstance(e, Interrupted))
    done = await events.until(lambda e: isinstance(e, ResponseDone))
    await standin.wait_for(lambda: bool(standin.received("response.cancel")))
    await session.close()

    assert started.interrupted_response_id == interrupted.response_id == done.response_id
    assert done.status == "cancelled"
    index = events.items.index(started)
    assert not [e for e in events.items[index:] if isinstance(e, AudioDelta)]
    # The stand-in did send audio after speech_started; none of it reached the gateway.
    sent = [kind for kind, _ in standin.sent]
    after = sent[sent.index("input_audio_buffer.speech_started"):]
    assert after.count("response.audio.delta") >= 3
    forwarded = "".join(d.text for d in events.items[:index] if isinstance(d, AssistantTranscriptDelta))
    assert interrupted.spoken_text == forwarded and forwarded.startswith("word")
    assert len(forwarded) < len(" ".join(["word"] * 40))


@pytest.mark.parametrize("fail,kind", [("error", FailureKind.SERVER_ERROR), ("drop", FailureKind.CONNECTION_LOST),
                                       ("stall", FailureKind.STALLED)])
async def test_a_failure_mid_turn_hands_the_turn_over(standin, fail, kind):
    standin.script = [Turn("book a table for four at olive garden", fail=fail)]
    session, events = await open_session(standin, stall_timeout_seconds=0.5)
    say(session)
    failure = await events.until(lambda e: isinstance(e, EngineFailure))
    await events.ends()
    assert failure.kind == kind
    assert failure.pending_user_transcript == "book a table for four at olive garden"
    if fail == "error":
        assert failure.code == "internal_error"
    session.send_audio(loud(100))  # after a failure, input is ignored, not raised
    await session.close()


async def test_a_drop_while_the_user_speaks_keeps_the_audio(standin):
    standin.script = [Turn("this never gets transcribed", fail="drop_in_speech")]
    session, events = await open_session(standin)
    chunks = [loud(100), loud(100)]
    for chunk in chunks:
        session.send_audio(chunk)
    failure = await events.until(lambda e: isinstance(e, EngineFailure))
    assert failure.kind == FailureKind.CONNECTION_LOST
    assert failure.pending_user_transcript is None
    assert failure.pending_audio.startswith(b"".join(chunks))
    await session.close()


async def test_connect_failures_raise_a_typed_error(standin):
    standin.refuse_handshake = True
    with pytest.raises(QwenEngineError) as refused:
        await QwenRealtimeSession(qwen_settings(standin.url)).start()
    assert refused.value.failure.kind == FailureKind.CONNECT_FAILED

    standin.refuse_handshake = False
    standin.silence_update = True
    with pytest.raises(QwenEngineError) as silent:
        await QwenRealtimeSession(qwen_settings(standin.url, handshake_timeout_seconds=0.3)).start()
    assert "session.updated" in silent.value.failure.message

    with pytest.raises(QwenEngineError) as keyless:
        await QwenRealtimeSession(qwen_settings(standin.url, api_key="")).start()
    assert "DASHSCOPE_API_KEY" in keyless.value.failure.message


async def test_close_finishes_the_session_cleanly(standin):
    session, events = await open_session(standin)
    await session.close()
    await events.ends()
    assert [e["type"] for e in standin.received() if e["type"] != "input_audio_buffer.append"] == [
        "session.update", "session.finish"]
    assert ("session.finished" in [kind for kind, _ in standin.sent])
    assert not events.of(EngineFailure)


async def test_close_without_session_finished_still_ends(standin):
    standin.answer_finish = False
    session, events = await open_session(standin, finish_timeout_seconds=0.5)
    await session.close()
    await events.ends()
    assert not events.of(EngineFailure)


@pytest.mark.parametrize("how", ["server_closes", "age_limit"])
async def test_session_limit_reconnects_transparently(standin, how):
    standin.script = [Turn("hello luna", reply=Reply(text="Hi there!")),
                      Turn("find me pizza", reply=Reply(text="Here is a pizza place."))]
    if how == "server_closes":
        standin.close_after_responses = 1
        session, events = await open_session(standin, TOOLS)
    else:
        session, events = await open_session(standin, TOOLS, max_session_seconds=0.1)
        await asyncio.sleep(0.15)
    say(session)
    again = await events.until(lambda e: isinstance(e, SessionReady) and e.reconnected)
    # Once is enough for this test.
    standin.close_after_responses = None
    session.settings.max_session_seconds = 3600.0
    assert again.session_id and again.session_id != events.items[0].session_id
    say(session)
    second = await events.until(lambda e: isinstance(e, ResponseDone) and e.transcript == "Here is a pizza place.")
    await session.close()

    assert second.status == "completed" and not events.of(EngineFailure)
    assert len(standin.connections) == 2
    update = standin.connections[1].session
    assert update["tools"] == TOOLS
    # The new connection knows what was said before.
    assert "user: hello luna" in update["instructions"] and "assistant: Hi there!" in update["instructions"]
    assert standin.connections[1].received[0]["type"] == "session.update"


async def test_function_call_result_goes_back_as_function_call_output(standin):
    standin.script = [Turn("book olive garden", call=Call("make_booking", {"venue_name": "Olive Garden"}))]
    session, events = await open_session(standin, TOOLS)
    say(session)
    call = await events.until(lambda e: isinstance(e, FunctionCall))
    assert call.name == "make_booking" and call.arguments == {"venue_name": "Olive Garden"}
    session.submit_function_result(call.call_id, json.dumps({"status": "success", "say": "All set."}))
    done = await events.until(lambda e: isinstance(e, ResponseDone) and e.transcript)
    await session.close()
    item = standin.received("conversation.item.create")[0]["item"]
    assert item == {"type": "function_call_output", "call_id": call.call_id,
                    "output": json.dumps({"status": "success", "say": "All set."})}
    types = [e["type"] for e in standin.received()]
    assert types.index("response.create") > types.index("conversation.item.create")
    assert done.transcript == "All set."


async def test_a_transcript_arriving_after_the_reply_is_not_left_pending(standin):
    standin.script = [Turn("hello luna", reply=Reply(text="Hi there!"), late_transcript=True)]
    standin.close_after_responses = 1  # then the socket closes: a quiet session just reconnects
    session, events = await open_session(standin)
    say(session)
    await events.until(lambda e: isinstance(e, SessionReady) and e.reconnected)
    await session.close()
    done = events.items.index(events.of(ResponseDone)[0])
    assert events.items.index(events.of(UserTranscript)[0]) > done
    assert not events.of(EngineFailure)


@pytest.mark.parametrize("busy_loop", [False, True])
async def test_audio_sent_across_a_service_side_close_reaches_the_new_connection(standin, busy_loop):
    standin.script = [Turn("hello luna", reply=Reply(text="Hi there!")),
                      Turn("find me pizza", reply=Reply(text="Here is a pizza place."))]
    standin.close_after_responses = 1
    standin.close_delay_s = 0.1
    session = QwenRealtimeSession(qwen_settings(standin.url))
    await session.start()
    stream = session.events()
    say(session)
    async for event in stream:
        if isinstance(event, ResponseDone):
            break
    standin.close_after_responses = None
    if busy_loop:
        # Hold the event loop while the SDK thread sees the close: the next sends hit a dead socket
        # before the close callback is handled, as with a busy gateway.
        threading.Event().wait(0.4)
    say(session)  # the mic keeps streaming while the service closes the socket
    events = Recorder(stream)
    second = await events.until(lambda e: isinstance(e, ResponseDone) and e.transcript == "Here is a pizza place.")
    await session.close()
    assert second.status == "completed" and not events.of(EngineFailure)
    assert len(standin.connections) == 2
    assert [t.text for t in events.of(UserTranscript)] == ["find me pizza"]
