"""Voice gateway settings (environment: LUNA_GATEWAY_*, DASHSCOPE_*)."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from luna_common.settings import CommonSettings


class GatewaySettings(CommonSettings):
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("LUNA_GATEWAY_HOST"))
    port: int = Field(default=50051, validation_alias=AliasChoices("LUNA_GATEWAY_PORT"))
    action_agent_address: str = Field(
        default="127.0.0.1:50052", validation_alias=AliasChoices("LUNA_ACTION_AGENT_ADDRESS")
    )
    # Largest accepted gRPC message (one audio chunk or event).
    max_message_bytes: int = Field(default=256 * 1024, validation_alias=AliasChoices("LUNA_MAX_MESSAGE_BYTES"))
    idle_timeout_seconds: float = Field(default=300.0, validation_alias=AliasChoices("LUNA_IDLE_TIMEOUT_SECONDS"))
    max_sessions_per_user: int = Field(default=3, validation_alias=AliasChoices("LUNA_MAX_SESSIONS_PER_USER"))
    max_sessions: int = Field(default=200, validation_alias=AliasChoices("LUNA_MAX_SESSIONS"))
    dashscope_api_key: str = Field(default="", validation_alias=AliasChoices("DASHSCOPE_API_KEY"))
