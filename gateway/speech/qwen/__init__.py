"""The Qwen-Omni realtime speech-to-speech engine (DashScope), used when DASHSCOPE_API_KEY is set.

- settings.QwenSettings: key, model, region/endpoint, voice, VAD, persona, timeouts, retry backoff
- session.QwenRealtimeSession: one realtime conversation; audio in, typed events (events.py) out
- conversation.QwenConversation: the gateway glue (Converse server events, ActionService calls)
- backoff.RetryPolicy: when to try Qwen again after a failure
"""

from gateway.speech.qwen.backoff import RetryPolicy
from gateway.speech.qwen.conversation import EncodedAudio, OutputAudio, Pcm24k, QwenConversation, SessionContext
from gateway.speech.qwen.events import EngineFailure, FailureKind, QwenEngineError
from gateway.speech.qwen.models import ModelCapabilities, capabilities_for
from gateway.speech.qwen.session import OUTPUT_SAMPLE_RATE, QwenRealtimeSession
from gateway.speech.qwen.settings import QwenSettings

__all__ = [
    "OUTPUT_SAMPLE_RATE",
    "EncodedAudio",
    "EngineFailure",
    "FailureKind",
    "ModelCapabilities",
    "OutputAudio",
    "Pcm24k",
    "QwenConversation",
    "QwenEngineError",
    "QwenRealtimeSession",
    "QwenSettings",
    "RetryPolicy",
    "SessionContext",
    "capabilities_for",
]
