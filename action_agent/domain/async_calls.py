"""Calling the (synchronous) domain services from async code, for whatever holds a `domain`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from action_agent.domain import Domain

P = ParamSpec("P")
R = TypeVar("R")


class DomainCalls:
    domain: Domain

    async def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a sync domain call off the event loop."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def read(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """A short point read: inline where the domain allows it (SQLite), else off the event loop."""
        if self.domain.inline_reads:
            return fn(*args, **kwargs)
        return await asyncio.to_thread(fn, *args, **kwargs)
