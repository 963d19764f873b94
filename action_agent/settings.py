"""Action agent settings (environment: LUNA_ACTION_*, DATABASE_URL)."""

from __future__ import annotations

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
