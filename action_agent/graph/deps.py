"""What the graph's nodes run against (LangGraph run context): the domain and a venue-name cache."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from action_agent.domain import Domain
from action_agent.domain.async_calls import DomainCalls
from luna_common.vocabulary import VenueName

P = ParamSpec("P")
R = TypeVar("R")

# Venues change rarely; names are re-read at most this often (seconds).
CATALOG_TTL_SECONDS = 30.0


@dataclass
class VenueCatalog:
    """Every venue's names, reloaded in the background when older than the TTL (loading takes tens of ms)."""

    domain: Domain
    _venues: list[VenueName] = field(default_factory=list)
    _loaded_at: float = float("-inf")
    _refresh: asyncio.Task[None] | None = None

    async def venues(self) -> list[VenueName]:
        if not self._venues:
            await self._reload()
        elif time.monotonic() - self._loaded_at > CATALOG_TTL_SECONDS and self._refresh is None:
            self._refresh = asyncio.create_task(self._reload())
        return self._venues

    async def _reload(self) -> None:
        try:
            self._venues = await asyncio.to_thread(self.domain.venues.all_venue_names)
            self._loaded_at = time.monotonic()
        finally:
            self._refresh = None


@dataclass
class GraphDeps(DomainCalls):
    domain: Domain
    catalog: VenueCatalog

    @classmethod
    def over(cls, domain: Domain) -> GraphDeps:
        return cls(domain, VenueCatalog(domain))
