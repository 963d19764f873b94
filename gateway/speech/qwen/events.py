"""Typed events a Qwen realtime session hands to the gateway, and its failure type."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class SessionReady:
    session_id: str
    model: str
    function_calling: bool
    # True when this is a transparent reconnect of a running voice session.
    reconnected: bool = False


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    item_id: str
    # The reply that was playing and is now cancelled (barge-in), if any.
    interrupted_response_id: str | None = None


@dataclass(frozen=True, slots=True)
class SpeechStopped:
    item_id: str


@dataclass(frozen=True, slots=True)
class UserTranscript:
    item_id: str
    text: str


@dataclass(frozen=True, slots=True)
class ResponseStarted:
    response_id: str


@dataclass(frozen=True, slots=True)
class AssistantTranscriptDelta:
    response_id: str
    text: str


@dataclass(frozen=True, slots=True)
class AudioDelta:
    response_id: str
    # PCM16 mono at 24 kHz.
    pcm: bytes


@dataclass(frozen=True, slots=True)
class FunctionCall:
    call_id: str
    name: str
    arguments: dict[str, Any]
    response_id: str = ""


@dataclass(frozen=True, slots=True)
class Interrupted:
    response_id: str
    # The assistant transcript that was handed out before the barge-in.
    spoken_text: str


@dataclass(frozen=True, slots=True)
class ResponseDone:
    response_id: str
    # completed, cancelled, failed, incomplete
    status: str
    transcript: str


class FailureKind(enum.StrEnum):
    CONNECT_FAILED = "connect_failed"
    SERVER_ERROR = "server_error"
    CONNECTION_LOST = "connection_lost"
    STALLED = "stalled"


@dataclass(frozen=True, slots=True)
class EngineFailure:
    """Qwen cannot serve this session any more; the gateway switches to the embedded engine.

    What the user said that Qwen has not answered yet travels along, so the embedded engine
    can take the turn over: the last unanswered transcript and the audio since the last transcript.
    """

    kind: FailureKind
    message: str
    pending_user_transcript: str | None = None
    # PCM16 16 kHz mono sent since the last user transcript (bounded).
    pending_audio: bytes = b""
    pending_function_call: FunctionCall | None = None
    code: str = ""
    details: dict[str, Any] = field(default_factory=dict)


class QwenEngineError(Exception):
    """Raised by calls that cannot complete (start failed, session already failed)."""

    def __init__(self, failure: EngineFailure) -> None:
        super().__init__(f"{failure.kind}: {failure.message}")
        self.failure = failure


QwenEvent = (
    SessionReady
    | SpeechStarted
    | SpeechStopped
    | UserTranscript
    | ResponseStarted
    | AssistantTranscriptDelta
    | AudioDelta
    | FunctionCall
    | Interrupted
    | ResponseDone
    | EngineFailure
)
