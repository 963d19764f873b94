"""Settings every Luna service shares, read from the environment (LUNA_ prefix)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LUNA_", extra="ignore")

    # HMAC secret for session tokens. Required: the services refuse to start without it.
    token_secret: str = Field(default="", min_length=0)
    log_level: str = "INFO"
    # Seconds open calls may take to finish after SIGTERM.
    shutdown_grace_seconds: float = 10.0

    def require_token_secret(self) -> str:
        if len(self.token_secret) < 16:
            raise SystemExit(
                "LUNA_TOKEN_SECRET must be set (at least 16 characters); `make run` creates one for development"
            )
        return self.token_secret
