"""Action agent settings (environment: LUNA_ACTION_*, DATABASE_URL)."""

from __future__ import annotations

import os

from pydantic import AliasChoices, Field

from luna_common.settings import CommonSettings

DEFAULT_DATABASE_URL = "sqlite:///var/luna.db"


class ActionAgentSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("LUNA_ACTION_HOST"))
    port: int = Field(default=50052, validation_alias=AliasChoices("LUNA_ACTION_PORT"))
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL", "LUNA_DATABASE_URL")
    )
    # Dev sign-in (ListDemoUsers/DevLogin) for the demo users; off in production.
    dev_login: bool = Field(default=False, validation_alias=AliasChoices("LUNA_DEV_LOGIN"))
    # Server processes sharing the port (SO_REUSEPORT); everything durable is in the database, so any
    # worker can answer any call. 1 serves from this process alone.
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64,
                         validation_alias=AliasChoices("LUNA_ACTION_WORKERS"))
    # Conversation state (checkpoints) of sessions untouched this long is deleted, at start-up and hourly.
    session_retention_hours: float = Field(default=24.0, gt=0,
                                           validation_alias=AliasChoices("LUNA_SESSION_RETENTION_HOURS"))
