"""Qwen-Omni realtime settings (environment: DASHSCOPE_API_KEY, LUNA_QWEN_*)."""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.speech.qwen.persona import LUNA_INSTRUCTIONS

# The realtime WebSocket endpoints per region; a key only works in the region that issued it.
REGION_URLS: dict[str, str] = {
    "intl": "wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime",
    "cn": "wss://dashscope.aliyuncs.com/api-ws/v1/realtime",
}


class QwenSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LUNA_QWEN_", extra="ignore", populate_by_name=True)

    api_key: str = Field(default="", validation_alias=AliasChoices("DASHSCOPE_API_KEY", "LUNA_QWEN_API_KEY"))
    model: str = "qwen3.5-omni-flash-realtime"
    # intl = Singapore (Alibaba Cloud Model Studio keys), cn = Beijing (DashScope console keys).
    region: Literal["intl", "cn"] = "intl"
    # Full endpoint without query (the SDK appends ?model=); overrides region, e.g. a workspace domain.
    url: str = ""
    # Empty: the model's default voice (Tina for qwen3.5, Cherry for qwen3 and older).
    voice: str = ""
    # Server VAD: silence that ends the user's turn (200 to 6000 ms) and speech threshold.
    vad_silence_ms: int = Field(default=800, ge=200, le=6000)
    vad_threshold: float = Field(default=0.5, ge=-1.0, le=1.0)
    vad_prefix_padding_ms: int = Field(default=300, ge=0)
    instructions: str = LUNA_INSTRUCTIONS
    # No reply audio (or function call) within this after the user's turn or a response.create: stalled.
    stall_timeout_seconds: float = Field(default=8.0, gt=0)
    # session.created + session.updated must arrive within this after the socket opens.
    handshake_timeout_seconds: float = Field(default=5.0, gt=0)
    # session.finish → session.finished wait on close.
    finish_timeout_seconds: float = Field(default=3.0, gt=0)
    # The service closes a session after 30 minutes; reconnect at the first quiet moment before that.
    max_session_seconds: float = Field(default=25 * 60.0, gt=0)
    # Input audio kept for the embedded engine in case Qwen fails mid-turn.
    pending_audio_seconds: float = Field(default=30.0, gt=0)
    # On a transparent reconnect (only at a quiet moment), the latest input audio is sent again so words said
    # meanwhile are not lost; short, so echo of the last reply is not replayed as speech.
    reconnect_replay_seconds: float = Field(default=1.0, ge=0)
    # Retry Qwen after a failure: first wait, growth factor, longest wait.
    retry_initial_seconds: float = Field(default=15.0, gt=0)
    retry_factor: float = Field(default=2.0, ge=1.0)
    retry_max_seconds: float = Field(default=600.0, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.api_key)

    @property
    def endpoint(self) -> str:
        return self.url or REGION_URLS[self.region]
