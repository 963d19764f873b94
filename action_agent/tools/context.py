"""What a tool runs with: the domain, the acting user (and only that user), the request's clock and zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from action_agent.domain import Domain
from action_agent.domain.async_calls import DomainCalls

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ToolContext(DomainCalls):
    domain: Domain
    user_id: int
    now: datetime
    tz: ZoneInfo
    # Set for writes: the same key on a retry makes the store return the first result.
    idempotency_key: str | None = None

    def local(self, value: datetime) -> str:
        """An instant as ISO 8601 in the user's zone (what results carry)."""
        return value.astimezone(self.tz).isoformat()
