"""What a tool runs with: the domain, the acting user (and only that user), the request's clock and zone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from action_agent.domain import Domain

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class ToolContext:
    domain: Domain
    user_id: int
    now: datetime
    tz: ZoneInfo
    # Set for writes: the same key on a retry makes the store return the first result.
    idempotency_key: str | None = None

    async def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a sync domain call off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def read(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """A short point read: inline where the domain allows it (SQLite), else off the event loop."""
        if self.domain.inline_reads:
            return fn(*args, **kwargs)
        return await asyncio.to_thread(fn, *args, **kwargs)

    def local(self, value: datetime) -> str:
        """An instant as ISO 8601 in the user's zone (what results carry)."""
        return value.astimezone(self.tz).isoformat()
