"""Action agent settings (environment: LUNA_ACTION_*, DATABASE_URL)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from pydantic import AliasChoices, Field

from luna_common.settings import CommonSettings

DEFAULT_DATABASE_URL = "sqlite:///var/luna.db"
CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def available_cpus() -> int:
    """The CPUs this process may use: its CPU affinity, capped by a cgroup (container) CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    try:
        quota, period = CGROUP_CPU_MAX.read_text().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


class ActionAgentSettings(CommonSettings):
    host: str = Field(default="127.0.0.1", validation_alias=AliasChoices("LUNA_ACTION_HOST"))
    port: int = Field(default=50052, validation_alias=AliasChoices("LUNA_ACTION_PORT"))
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL", "LUNA_DATABASE_URL")
    )
    # Dev sign-in (ListDemoUsers/DevLogin) for the demo users; off in production.
    dev_login: bool = Field(default=False, validation_alias=AliasChoices("LUNA_DEV_LOGIN"))
    # Server processes sharing the port (SO_REUSEPORT), by default one per available CPU; everything durable
    # is in the database, so any worker can answer any call. 1 serves from this process alone.
    workers: int = Field(default_factory=available_cpus, ge=1, le=64,
                         validation_alias=AliasChoices("LUNA_ACTION_WORKERS"))
    # Conversation state (checkpoints) of sessions untouched this long is deleted, at start-up and hourly.
    session_retention_hours: float = Field(default=24.0, gt=0,
                                           validation_alias=AliasChoices("LUNA_SESSION_RETENTION_HOURS"))
