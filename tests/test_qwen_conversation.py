"""Qwen voice sessions end to end below the Converse stream: the real SDK against the stand-in service,
and a real grpc.aio ActionService (defined here, recording its calls) as the action agent."""

from __future__ import annotations

import json

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from luna.action.v1 import action_pb2, action_pb2_grpc
from luna.voice.v1 import voice_pb2

from gateway.speech.qwen.backoff import RetryPolicy
from gateway.speech.qwen.conversation import FALLBACK_MESSAGE, QwenConversation, SessionContext
from gateway.speech.qwen.events import EngineFailure, FailureKind, QwenEngineError
from gateway.speech.qwen.session import QwenRealtimeSession
from tests.qwen_helpers import Recorder, loud, qwen_settings, utterance
from tests.qwen_standin import Call, QwenStandIn, Reply, Turn

pytestmark = pytest.mark.timeout(60)

BOOKING_ARGS = {"venue_name": "Olive Garden", "party_size": 4, "date_time": "2026-11-24T19:00:00-05:00",
                "venue_id": 12}
PROMPT = "Book Olive Garden for 4 tonight at 7 PM?"
BOOKED = "You're booked at Olive Garden for 4 tonight at 7."


def make_booking_tool() -> action_pb2.Tool:
    parameters = struct_pb2.Struct()
    parameters.update({"type": "object", "properties": {"venue_name": {"type": "string"},
                                                        "party_size": {"type": "integer"},
                                                        "date_time": {"type": "string"}},
                       "required": ["party_size", "date_time"]})
    return action_pb2.Tool(name="make_booking", description="Create a reservation at a venue",
                           requires_confirmation=True, parameters=parameters)


class RecordingActions(action_pb2_grpc.ActionServiceServicer):
    """A real ActionService peer: critical actions need confirmation, Confirm executes them."""

    def __init__(self) -> None:
        self.executed: list[action_pb2.ActionRequest] = []
        self.confirmed: list[action_pb2.ConfirmRequest] = []
        self.unavailable = False

    async def ListTools(self, request, context):
        return action_pb2.ListToolsResponse(tools=[make_booking_tool()])

    async def Execute(self, request, context):
        if self.unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "graph down")
        self.executed.append(request)
        details = struct_pb2.Struct()
        details.update({"venue": request.entities.venue_name, "party_size": request.entities.party_size})
        return action_pb2.ActionResponse(
            request_id=request.request_id, session_id=request.session_id, action="make_booking",
            status=action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION,
            confirmation=action_pb2.PendingConfirmation(confirmation_id="conf-1", action="make_booking",
                                                        details=details, prompt=PROMPT))

    async def Confirm(self, request, context):
        self.confirmed.append(request)
        if not request.confirmed:
            return action_pb2.ActionResponse(action="make_booking", status=action_pb2.ACTION_STATUS_CANCELLED,
                                             speak_text="Okay, I won't book it.")
        result = struct_pb2.Struct()
        result.update({"confirmation_code": "LUNA-7Q2"})
        return action_pb2.ActionResponse(action="make_booking", status=action_pb2.ACTION_STATUS_SUCCESS,
                                         speak_text=BOOKED, result=result)


@pytest.fixture
async def actions():
    servicer = RecordingActions()
    server = grpc.aio.server()
    action_pb2_grpc.add_ActionServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    yield servicer, action_pb2_grpc.ActionServiceStub(channel)
    await channel.close()
    await server.stop(None)


@pytest.fixture
def standin():
    with QwenStandIn() as server:
        yield server


async def open_conversation(standin, stub, **kwargs):
    settings = qwen_settings(standin.url, **kwargs.pop("settings", {}))
    conversation = QwenConversation(QwenRealtimeSession(settings), stub,
                                    SessionContext(session_id="s-1", user_id=7, time_zone="America/New_York"),
                                    **kwargs)
    await conversation.start()
    return conversation, Recorder(conversation.outputs())


def say(conversation: QwenConversation) -> None:
    for chunk in utterance():
        conversation.send_audio(chunk)


def kind(event) -> str | None:
    return event.WhichOneof("event") if isinstance(event, voice_pb2.ServerEvent) else type(event).__name__


def final_transcript(role):
    return lambda e: kind(e) == "transcript" and e.transcript.is_final and e.transcript.role == role


async def test_a_spoken_booking_is_confirmed_by_the_user_through_the_action_agent(standin, actions):
    servicer, stub = actions
    standin.script = [
        Turn("book a table for 4 at olive garden tonight at 7", call=Call("make_booking", BOOKING_ARGS)),
        Turn("yes please", call=Call("answer_confirmation", {"confirmed": True})),
    ]
    conversation, out = await open_conversation(standin, stub)
    tools = standin.received("session.update")[0]["session"]["tools"]
    assert [t["function"]["name"] for t in tools] == ["make_booking", "answer_confirmation"]
    assert tools[0]["function"]["parameters"]["required"] == ["party_size", "date_time"]

    say(conversation)
    await out.until(lambda e: final_transcript(voice_pb2.ROLE_ASSISTANT)(e) and e.transcript.text == PROMPT)
    # Execute got the call as a typed request; ids that are not entities travel in the context.
    (request,) = servicer.executed
    assert request.intent == action_pb2.INTENT_MAKE_BOOKING and request.session_id == "s-1" and request.user_id == 7
    assert (request.entities.venue_name, request.entities.party_size) == ("Olive Garden", 4)
    assert request.entities.date_time == BOOKING_ARGS["date_time"]
    assert request.utterance == "book a table for 4 at olive garden tonight at 7"
    assert json_format.MessageToDict(request.context.extra)["tool_arguments"] == {"venue_id": 12}
    # NEEDS_CONFIRMATION went back to the model as the function's output, then a response.create.
    output = json.loads(standin.received("conversation.item.create")[0]["item"]["output"])
    assert output["status"] == "needs_confirmation" and output["say"] == PROMPT
    confirmation = next(e for e in out.items if kind(e) == "action_confirmation").action_confirmation
    assert (confirmation.confirmation_id, confirmation.prompt) == ("conf-1", PROMPT)
    assert not servicer.confirmed

    say(conversation)
    await out.until(lambda e: final_transcript(voice_pb2.ROLE_ASSISTANT)(e) and e.transcript.text == BOOKED)
    (confirm,) = servicer.confirmed
    assert (confirm.confirmation_id, confirm.confirmed, confirm.user_id) == ("conf-1", True, 7)
    result = next(e for e in out.items if kind(e) == "action_result").action_result
    assert result.status == action_pb2.ACTION_STATUS_SUCCESS and result.speak_text == BOOKED
    outputs = [json.loads(e["item"]["output"]) for e in standin.received("conversation.item.create")]
    assert outputs[1]["status"] == "success" and outputs[1]["result"] == {"confirmation_code": "LUNA-7Q2"}
    await conversation.close()

    user = [e.transcript.text for e in out.items if final_transcript(voice_pb2.ROLE_USER)(e)]
    assert user == ["book a table for 4 at olive garden tonight at 7", "yes please"]
    audio = [e.audio_chunk for e in out.items if kind(e) == "audio_chunk"]
    assert audio and [a.sequence for a in audio] == list(range(len(audio)))
    assert sum(a.is_final for a in audio) == 2  # one closing chunk per spoken reply
    assert any(kind(e) == "turn_metrics" for e in out.items)


async def test_the_model_cannot_confirm_without_the_users_yes(standin, actions):
    servicer, stub = actions
    standin.script = [
        Turn("book a table for 4 at olive garden tonight at 7", call=Call("make_booking", BOOKING_ARGS)),
        # The user did not say yes, yet the model reports a yes.
        Turn("hmm what time was that again", call=Call("answer_confirmation", {"confirmed": True})),
    ]
    conversation, out = await open_conversation(standin, stub)
    say(conversation)
    await out.until(lambda e: final_transcript(voice_pb2.ROLE_ASSISTANT)(e) and e.transcript.text == PROMPT)
    say(conversation)
    await standin.wait_for(lambda: len(standin.received("conversation.item.create")) == 2)
    await conversation.close()
    assert servicer.confirmed == []
    output = json.loads(standin.received("conversation.item.create")[1]["item"]["output"])
    assert output["status"] == "not_confirmed" and PROMPT in output["say"]


async def test_a_tap_on_confirm_goes_to_the_action_agent_and_is_spoken(standin, actions):
    servicer, stub = actions
    standin.script = [Turn("book a table for 4 at olive garden tonight at 7", call=Call("make_booking", BOOKING_ARGS))]
    conversation, out = await open_conversation(standin, stub)
    say(conversation)
    await out.until(lambda e: kind(e) == "action_confirmation")
    await conversation.confirm("conf-1", True)
    await out.until(lambda e: final_transcript(voice_pb2.ROLE_ASSISTANT)(e) and e.transcript.text == BOOKED)
    await conversation.close()
    assert [c.confirmation_id for c in servicer.confirmed] == ["conf-1"]


async def test_without_function_calling_the_gateways_flow_answers(standin, actions):
    servicer, stub = actions
    heard: list[str] = []

    async def understand_and_act(text: str) -> action_pb2.ActionResponse:
        heard.append(text)
        return action_pb2.ActionResponse(action="venue_info", status=action_pb2.ACTION_STATUS_SUCCESS,
                                         speak_text="Olive Garden is open until ten tonight.",
                                         follow_up_prompt="Want me to book a table?")

    standin.script = [Turn("is olive garden open tonight")]
    conversation, out = await open_conversation(standin, stub, understand_and_act=understand_and_act,
                                                settings={"model": "qwen3-omni-flash-realtime"})
    say(conversation)
    spoken = "Olive Garden is open until ten tonight. Want me to book a table?"
    await out.until(lambda e: final_transcript(voice_pb2.ROLE_ASSISTANT)(e) and e.transcript.text == spoken)
    await conversation.close()

    assert heard == ["is olive garden open tonight"]
    assert "tools" not in standin.received("session.update")[0]["session"]
    assert spoken in standin.received("response.create")[0]["response"]["instructions"]
    assert next(e for e in out.items if kind(e) == "action_result").action_result.action == "venue_info"
    assert servicer.executed == []  # the gateway's own flow acted, not the model


async def test_barge_in_reports_what_was_said_and_sends_no_more_audio(standin, actions):
    _, stub = actions
    standin.script = [Turn("tell me about olive garden", reply=Reply(text=" ".join(["word"] * 40), audio_ms=4000,
                                                                    pace_s=0.02)),
                      Turn("stop")]
    standin.deltas_after_cancel = 3
    conversation, out = await open_conversation(standin, stub)
    say(conversation)
    await out.until(lambda e: kind(e) == "audio_chunk")
    conversation.send_audio(loud(100))
    interrupted = (await out.until(lambda e: kind(e) == "interrupted")).interrupted
    await standin.wait_for(lambda: bool(standin.received("response.cancel")))
    # The cancelled reply's in-flight audio and its response.done have been sent by now.
    await standin.wait_for(lambda: "response.done" in [k for k, _ in standin.sent])
    await conversation.close()
    index = out.items.index(next(e for e in out.items if kind(e) == "interrupted"))
    assert not [e for e in out.items[index:] if kind(e) == "audio_chunk"]
    assert interrupted.spoken_text.startswith("word") and interrupted.turn_id == "s-1:1"


@pytest.mark.parametrize("fail", ["error", "drop"])
async def test_a_qwen_failure_hands_the_pending_turn_to_the_embedded_engine(standin, actions, fail):
    _, stub = actions
    standin.script = [Turn("book a table for 4 at olive garden tonight at 7", fail=fail)]
    retry = RetryPolicy(initial_seconds=60)
    conversation, out = await open_conversation(standin, stub, retry=retry)
    assert retry.available()
    say(conversation)
    failure = await out.until(lambda e: isinstance(e, EngineFailure))
    await out.ends()
    await conversation.close()
    assert failure.kind == (FailureKind.SERVER_ERROR if fail == "error" else FailureKind.CONNECTION_LOST)
    assert failure.pending_user_transcript == "book a table for 4 at olive garden tonight at 7"
    status = [e.status for e in out.items if kind(e) == "status"]
    assert status[-1].message == FALLBACK_MESSAGE
    assert out.items[-1] is failure  # nothing after the hand-over
    assert not retry.available() and retry.consecutive_failures == 1  # new sessions stay on embedded for now


async def test_an_unreachable_qwen_counts_against_the_retry_policy(standin, actions):
    _, stub = actions
    standin.refuse_handshake = True
    retry = RetryPolicy(initial_seconds=60)
    with pytest.raises(QwenEngineError):
        await open_conversation(standin, stub, retry=retry)
    assert not retry.available()


async def test_typed_text_goes_to_a_function_calling_model_as_a_message(standin, actions):
    _, stub = actions
    conversation, out = await open_conversation(standin, stub)
    await conversation.handle_text("what's good for sushi around here")
    await out.until(lambda e: final_transcript(voice_pb2.ROLE_ASSISTANT)(e))
    await conversation.close()
    item = standin.received("conversation.item.create")[0]["item"]
    assert item == {"type": "message", "role": "user",
                    "content": [{"type": "input_text", "text": "what's good for sushi around here"}]}
    assert [e.transcript.text for e in out.items if final_transcript(voice_pb2.ROLE_USER)(e)] == [
        "what's good for sushi around here"]


async def test_an_unreachable_action_agent_is_spoken_not_fatal(standin, actions):
    servicer, stub = actions
    servicer.unavailable = True
    standin.script = [Turn("book a table for 4 at olive garden tonight at 7", call=Call("make_booking", BOOKING_ARGS))]
    conversation, out = await open_conversation(standin, stub)
    say(conversation)
    result = (await out.until(lambda e: kind(e) == "action_result")).action_result
    await out.until(lambda e: final_transcript(voice_pb2.ROLE_ASSISTANT)(e))
    await conversation.close()
    assert result.status == action_pb2.ACTION_STATUS_FAILED and result.error_code == "action_unavailable"
    output = json.loads(standin.received("conversation.item.create")[0]["item"]["output"])
    assert output["status"] == "failed"
    assert not any(isinstance(e, EngineFailure) for e in out.items)
