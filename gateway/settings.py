"""Voice gateway settings (environment: LUNA_GATEWAY_*, DASHSCOPE_*)."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import AliasChoices, Field

from luna_common.settings import CommonSettings


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class GatewaySettings(CommonSettings):
    host: str = Field(default="127.0.0.1", validation_alias=_env("LUNA_GATEWAY_HOST"))
    port: int = Field(default=50051, validation_alias=_env("LUNA_GATEWAY_PORT"))
    action_agent_address: str = Field(default="127.0.0.1:50052", validation_alias=_env("LUNA_ACTION_AGENT_ADDRESS"))
    # Seconds one Execute/Confirm call may take; a timed-out call is retried once with the same request_id.
    action_timeout_seconds: float = Field(default=10.0, gt=0, validation_alias=_env("LUNA_ACTION_TIMEOUT_SECONDS"))
    # Connections to the action agent; sessions are spread over them, and so over its worker processes.
    action_connections: int = Field(default=8, ge=1, le=64, validation_alias=_env("LUNA_ACTION_CONNECTIONS"))

    # ---- limits ----
    # Largest accepted gRPC message (one audio chunk or event).
    max_message_bytes: int = Field(default=256 * 1024, validation_alias=_env("LUNA_MAX_MESSAGE_BYTES"))
    idle_timeout_seconds: float = Field(default=300.0, gt=0, validation_alias=_env("LUNA_IDLE_TIMEOUT_SECONDS"))
    max_sessions_per_user: int = Field(default=3, ge=1, validation_alias=_env("LUNA_MAX_SESSIONS_PER_USER"))
    max_sessions: int = Field(default=200, ge=1, validation_alias=_env("LUNA_MAX_SESSIONS"))
    # Audio may arrive faster than real time only by this much (network jitter, reconnect catch-up).
    audio_burst_ms: int = Field(default=1000, ge=0, validation_alias=_env("LUNA_AUDIO_BURST_MS"))
    # One chunk may carry at most this much audio.
    max_chunk_ms: int = Field(default=200, ge=20, validation_alias=_env("LUNA_MAX_CHUNK_MS"))
    max_text_chars: int = Field(default=1000, ge=1, validation_alias=_env("LUNA_MAX_TEXT_CHARS"))

    # ---- VAD and endpointing ----
    # webrtcvad aggressiveness 0 (lenient) .. 3 (rejects the most non-speech).
    vad_aggressiveness: int = Field(default=3, ge=0, le=3, validation_alias=_env("LUNA_VAD_AGGRESSIVENESS"))
    # Speech shorter than this (a click, a cough) does not start a turn.
    min_speech_ms: int = Field(default=200, ge=20, validation_alias=_env("LUNA_MIN_SPEECH_MS"))
    # End of turn after this much silence...
    trailing_silence_ms: int = Field(default=500, ge=100, validation_alias=_env("LUNA_TRAILING_SILENCE_MS"))
    # ...or this much when the words so far already form a complete request...
    complete_silence_ms: int = Field(default=300, ge=60, validation_alias=_env("LUNA_COMPLETE_SILENCE_MS"))
    # ...or this much after a hesitation ("um", "and").
    hesitation_silence_ms: int = Field(default=1200, ge=100, validation_alias=_env("LUNA_HESITATION_SILENCE_MS"))
    # Understanding confidence from which a partial transcript counts as a complete request.
    complete_confidence: float = Field(default=0.95, ge=0, le=1, validation_alias=_env("LUNA_COMPLETE_CONFIDENCE"))

    # ---- full duplex ----
    # User speech this long during a reply interrupts it (unless it is a backchannel like "mm-hmm").
    barge_in_ms: int = Field(default=300, ge=20, validation_alias=_env("LUNA_BARGE_IN_MS"))
    # Speech longer than this is never a backchannel, whatever the recognizer heard.
    backchannel_max_ms: int = Field(default=700, ge=100, validation_alias=_env("LUNA_BACKCHANNEL_MAX_MS"))
    # How far reply audio may run ahead of real time (client jitter buffer); bounds what plays after a stop.
    output_lead_ms: int = Field(default=150, ge=0, validation_alias=_env("LUNA_OUTPUT_LEAD_MS"))
    # Reply audio is sent in chunks of this length (PCM16; Opus uses 20 ms packets).
    output_chunk_ms: int = Field(default=40, ge=10, le=200, validation_alias=_env("LUNA_OUTPUT_CHUNK_MS"))
    # PCM16 reply rate when the client does not ask for one.
    output_sample_rate: int = Field(default=16000, validation_alias=_env("LUNA_OUTPUT_SAMPLE_RATE"))

    # ---- speech engine ----
    # auto: Qwen-Omni realtime when DASHSCOPE_API_KEY is set, else embedded; qwen: the same, but a missing key is
    # an error; embedded: never Qwen. Qwen sessions fall back to the embedded engine when Qwen fails.
    # none: no speech engine (text mode only; audio is still decoded, VAD'd and endpointed).
    speech_engine: Literal["auto", "qwen", "embedded", "none"] = Field(
        default="auto", validation_alias=_env("LUNA_SPEECH_ENGINE")
    )
    # Worker processes for speech recognition (pocketsphinx holds the GIL while decoding); 0 = in-process threads.
    # By default one core is left to the gateway process itself.
    asr_workers: int = Field(default_factory=lambda: min(4, max(1, (os.cpu_count() or 2) - 1)), ge=0, le=32,
                             validation_alias=_env("LUNA_ASR_WORKERS"))
    dashscope_api_key: str = Field(default="", validation_alias=_env("DASHSCOPE_API_KEY"))
    # How often a line with active sessions and average latency is logged.
    stats_interval_seconds: float = Field(default=60.0, gt=0, validation_alias=_env("LUNA_STATS_INTERVAL_SECONDS"))
