"""The Qwen engine's small parts: model capabilities, settings, retry backoff, the yes/no gate, tool mapping."""

from __future__ import annotations

import json

import pytest
from google.protobuf import struct_pb2
from luna.action.v1 import action_pb2

from gateway.speech.qwen import tools
from gateway.speech.qwen.backoff import RetryPolicy
from gateway.speech.qwen.confirmation import heard_yes_or_no
from gateway.speech.qwen.models import capabilities_for
from gateway.speech.qwen.settings import REGION_URLS, QwenSettings


@pytest.mark.parametrize("model,calls,voice", [
    ("qwen3.5-omni-flash-realtime", True, "Tina"),
    ("qwen3.5-omni-plus-realtime", True, "Tina"),
    ("qwen3.8-omni-flash-realtime", True, "Tina"),
    ("qwen3-omni-flash-realtime", False, "Cherry"),
    ("qwen3-omni-flash-realtime-2025-09-15", False, "Cherry"),
    ("qwen-omni-turbo-realtime", False, "Chelsie"),
])
def test_function_calling_is_known_by_model_name(model, calls, voice):
    caps = capabilities_for(model)
    assert (caps.function_calling, caps.default_voice) == (calls, voice)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-live")
    monkeypatch.setenv("LUNA_QWEN_MODEL", "qwen3-omni-flash-realtime")
    monkeypatch.setenv("LUNA_QWEN_REGION", "cn")
    monkeypatch.setenv("LUNA_QWEN_VAD_SILENCE_MS", "600")
    settings = QwenSettings()
    assert settings.enabled and settings.api_key == "sk-live"
    assert settings.model == "qwen3-omni-flash-realtime" and settings.vad_silence_ms == 600
    assert settings.endpoint == REGION_URLS["cn"]
    monkeypatch.setenv("LUNA_QWEN_URL", "wss://ws-123.ap-southeast-1.maas.aliyuncs.com/api-ws/v1/realtime")
    assert QwenSettings().endpoint.startswith("wss://ws-123.")
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    assert not QwenSettings().enabled
    monkeypatch.setenv("LUNA_QWEN_VAD_SILENCE_MS", "50")
    with pytest.raises(ValueError):
        QwenSettings()


def test_default_settings():
    settings = QwenSettings(api_key="k")
    assert settings.model == "qwen3.5-omni-flash-realtime" and settings.endpoint == REGION_URLS["intl"]
    assert "Luna" in settings.instructions


def test_backoff_grows_caps_and_resets():
    now = [100.0]
    policy = RetryPolicy(initial_seconds=10, factor=2, max_seconds=35, jitter=0.0, clock=lambda: now[0])
    assert policy.available()
    assert [policy.record_failure() for _ in range(4)] == [10, 20, 35, 35]
    assert not policy.available() and policy.seconds_until_retry() == 35
    now[0] += 35
    assert policy.available()
    policy.record_success()
    assert policy.record_failure() == 10


def test_backoff_jitter_stays_within_bounds():
    policy = RetryPolicy(initial_seconds=10, jitter=0.1, rng=lambda: 1.0)
    assert policy.record_failure() == pytest.approx(11.0)


@pytest.mark.parametrize("text,answer", [
    ("yes please", True), ("Yeah, go ahead", True), ("sure", True), ("book it", True),
    ("no", False), ("no thanks", False), ("don't", False), ("wait, not at seven", False),
    ("hmm what time was that again", None), ("yes but not at seven", None), ("", None),
])
def test_the_yes_or_no_gate(text, answer):
    assert heard_yes_or_no(text) is answer


def test_declarations_offer_known_tools_and_the_confirmation_tool():
    params = struct_pb2.Struct()
    params.update({"type": "object", "properties": {"party_size": {"type": "integer"}}})
    listed = [action_pb2.Tool(name="make_booking", description="Book", requires_confirmation=True, parameters=params),
              action_pb2.Tool(name="get_recommendations", description="Recommend"),
              action_pb2.Tool(name="teleport", description="not an intent")]
    declared = tools.declarations(listed)
    assert [d["function"]["name"] for d in declared] == ["make_booking", "get_recommendations",
                                                         "answer_confirmation"]
    assert declared[0]["function"]["parameters"]["properties"]["party_size"] == {"type": "integer"}
    assert "confirm" in declared[0]["function"]["description"]
    assert declared[1]["function"]["parameters"] == {"type": "object", "properties": {}}
    assert tools.declarations([]) == []


def test_a_function_call_becomes_a_typed_action_request():
    request = tools.action_request(
        "send_invite", {"friend_name": "Maya", "venue": "Olive Garden", "party_size": "2", "price_range": "x",
                        "venue_id": 3},
        request_id="call_1", session_id="s", user_id=5, utterance="invite maya", time_zone="UTC")
    assert request is not None and request.intent == action_pb2.INTENT_SEND_INVITE
    assert (request.entities.person_name, request.entities.venue_name, request.entities.party_size) == (
        "Maya", "Olive Garden", 2)
    assert not request.entities.HasField("price_level")  # "x" is not a price level: kept apart, not dropped
    extra = json.loads(json.dumps(dict(request.context.extra.fields["tool_arguments"].struct_value)))
    assert set(extra) == {"price_range", "venue_id"}
    assert request.now.seconds > 0
    assert tools.action_request("teleport", {}, request_id="r", session_id="s", user_id=5, utterance="",
                                time_zone="UTC") is None


def test_function_output_tells_the_model_what_to_say():
    response = action_pb2.ActionResponse(
        status=action_pb2.ACTION_STATUS_NEEDS_CONFIRMATION, action="cancel_booking", speak_text="ignored",
        confirmation=action_pb2.PendingConfirmation(confirmation_id="c", prompt="Cancel your 7 PM booking?"))
    output = json.loads(tools.function_output(response))
    assert output["status"] == "needs_confirmation" and output["say"] == "Cancel your 7 PM booking?"
    assert "Nothing has been done" in output["note"]
    done = action_pb2.ActionResponse(status=action_pb2.ACTION_STATUS_SUCCESS, speak_text="Done.",
                                     follow_up_prompt="Anything else?")
    assert json.loads(tools.function_output(done))["say"] == "Done. Anything else?"
