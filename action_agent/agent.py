"""Runs conversation turns through the action graph, one session at a time.

A session's state lives in the checkpointer under thread_id "<user>:<session>" (the user id keeps
one user from answering another's confirmation). A yes or no resumes the pending confirmation with
LangGraph's Command(resume=...); any other action starts a fresh run, which drops it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from action_agent.domain import Domain
from action_agent.graph.builder import build_graph
from action_agent.graph.checkpoint import open_checkpointer
from action_agent.graph.deps import GraphDeps
from action_agent.graph.state import NEEDS_CONFIRMATION, turn_input


@dataclass(frozen=True)
class Turn:
    request_id: str
    session_id: str
    user_id: int
    intent: str
    entities: dict[str, Any]
    confidence: float
    now: datetime
    time_zone: str
    utterance: str = ""
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a turn produced: the graph's final state, or its pending confirmation."""

    status: str
    action: str
    result: dict[str, Any]
    speak_text: str
    follow_up_prompt: str
    error_code: str = ""
    confirmation: dict[str, Any] | None = None


class NoPendingConfirmation(Exception):
    """Confirm named a confirmation that is not waiting (used, expired, replaced or never asked)."""


def _config(user_id: int, session_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": f"{user_id}:{session_id}"}}


def _outcome(final: dict[str, Any]) -> Outcome:
    interrupts = final.get("__interrupt__") or []
    if interrupts:
        pending = interrupts[0].value
        return Outcome(NEEDS_CONFIRMATION, pending["action"], pending["details"], pending["prompt"], "", "", pending)
    return Outcome(final.get("execution_status", ""), final.get("selected_tool") or "",
                   final.get("execution_result") or {}, final.get("response_text", ""),
                   final.get("follow_up_prompt") or "", final.get("error_code", ""))


class ActionAgent:
    def __init__(self, graph: Any, deps: GraphDeps) -> None:
        self._graph = graph
        self._deps = deps
        # One turn at a time per session: a session's state is read, changed and written as one.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    @asynccontextmanager
    async def open(cls, domain: Domain, database_url: str) -> AsyncIterator[ActionAgent]:
        async with open_checkpointer(database_url) as checkpointer:
            deps = GraphDeps.over(domain)
            await deps.catalog.venues()  # warm: the first request should not pay for it
            yield cls(build_graph(checkpointer), deps)

    @property
    def domain(self) -> Domain:
        return self._deps.domain

    def session_lock(self, user_id: int, session_id: str) -> asyncio.Lock:
        key = f"{user_id}:{session_id}"
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    async def pending_confirmation(self, user_id: int, session_id: str) -> dict[str, Any] | None:
        snapshot = await self._graph.aget_state(_config(user_id, session_id))
        return snapshot.interrupts[0].value if snapshot.interrupts else None

    async def execute(self, turn: Turn) -> Outcome:
        """One understood turn. Call under session_lock."""
        if turn.intent in ("confirm", "deny", "unclear"):
            pending = await self.pending_confirmation(turn.user_id, turn.session_id)
            if pending is not None and turn.intent != "unclear":
                return await self._resume(turn.user_id, turn.session_id, turn.intent == "confirm", turn.now)
            if pending is not None and not turn.entities:
                # Neither yes nor no: ask again rather than dropping the pending action.
                return Outcome(NEEDS_CONFIRMATION, pending["action"], pending["details"],
                               f"Sorry, was that a yes or a no? {pending['prompt']}", "", "", pending)
        state = turn_input(session_id=turn.session_id, user_id=turn.user_id, request_id=turn.request_id,
                           intent=turn.intent, entities=turn.entities, confidence=turn.confidence,
                           now=turn.now.isoformat(), time_zone=turn.time_zone, utterance=turn.utterance,
                           context=turn.context)
        final = await self._graph.ainvoke(state, _config(turn.user_id, turn.session_id), context=self._deps,
                                          durability="exit")
        return _outcome(final)

    async def confirm(self, user_id: int, session_id: str, confirmation_id: str, confirmed: bool,
                      now: datetime) -> Outcome:
        """Answer the pending confirmation `confirmation_id`. Call under session_lock."""
        pending = await self.pending_confirmation(user_id, session_id)
        if pending is None or pending["confirmation_id"] != confirmation_id:
            raise NoPendingConfirmation(
                f"confirmation {confirmation_id!r} is not pending in this session (used, expired or replaced)")
        return await self._resume(user_id, session_id, confirmed, now)

    async def _resume(self, user_id: int, session_id: str, confirmed: bool, now: datetime) -> Outcome:
        decision = {"confirmed": confirmed, "now": now.isoformat()}
        final = await self._graph.ainvoke(Command(resume=decision), _config(user_id, session_id),
                                          context=self._deps, durability="exit")
        return _outcome(final)
