"""Runs conversation turns through the action graph, one session at a time.

A session's state lives in the checkpointer under thread_id "<user>:<session>" (the user id keeps
one user from answering another's confirmation). A yes or no resumes the pending confirmation with
LangGraph's Command(resume=...); any other action starts a fresh run, which drops it.

An answered confirmation keeps its outcome reachable: a run that took the answer but stopped before finishing
(an error, or cancelled at shutdown) is finished by the next yes or no to it (the write is idempotent, keyed by
the confirmation), and an outcome whose caller had already gone (it timed out) is replayed to the next answer
(`Replay`), so the user learns what happened to the action they confirmed.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.types import Command

from action_agent.domain import Domain
from action_agent.graph.builder import build_graph
from action_agent.graph.checkpoint import open_checkpointer, prune_idle_threads
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
    # The confirmation this turn answered (its id), when it answered one.
    answered: str = ""


# The outcome of an answered confirmation (by its id) that never reached its caller, if one was recorded.
Replay = Callable[[str], Awaitable[Outcome | None]]


class NoPendingConfirmation(Exception):
    """Confirm named a confirmation that is not waiting (used, expired, replaced or never asked)."""


def _config(user_id: int, session_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": f"{user_id}:{session_id}"}}


def _outcome(final: dict[str, Any]) -> Outcome:
    interrupts = final.get("__interrupt__") or []
    if interrupts:
        pending = interrupts[0].value
        return Outcome(NEEDS_CONFIRMATION, pending["action"], pending["details"], pending["prompt"], "", "", pending)
    answered = final.get("confirmation") or {}
    return Outcome(final.get("execution_status", ""), final.get("selected_tool") or "",
                   final.get("execution_result") or {}, final.get("response_text", ""),
                   final.get("follow_up_prompt") or "", final.get("error_code", ""),
                   answered=answered.get("confirmation_id", ""))


class ActionAgent:
    def __init__(self, graph: Any, deps: GraphDeps, checkpointer: BaseCheckpointSaver[Any] | None = None) -> None:
        self._graph = graph
        self._deps = deps
        self.checkpointer = checkpointer
        # One turn at a time per session: a session's state is read, changed and written as one.
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    @classmethod
    @asynccontextmanager
    async def open(cls, domain: Domain, database_url: str) -> AsyncIterator[ActionAgent]:
        async with open_checkpointer(database_url) as checkpointer:
            deps = GraphDeps.over(domain)
            await deps.catalog.venues()  # warm: the first request should not pay for it
            yield cls(build_graph(checkpointer), deps, checkpointer)

    async def forget_idle_sessions(self, idle_for: timedelta) -> int:
        """Delete the conversation state of sessions untouched for `idle_for`; returns how many."""
        return 0 if self.checkpointer is None else await prune_idle_threads(self.checkpointer, idle_for)

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

    async def execute(self, turn: Turn, replay: Replay | None = None) -> Outcome:
        """One understood turn. Call under session_lock."""
        if turn.intent in ("confirm", "deny", "unclear"):
            snapshot = await self._graph.aget_state(_config(turn.user_id, turn.session_id))
            pending = snapshot.interrupts[0].value if snapshot.interrupts else None
            if pending is not None and turn.intent != "unclear":
                return await self._resume(turn.user_id, turn.session_id, turn.intent == "confirm", turn.now,
                                          turn.request_id)
            if pending is not None and not turn.entities:
                # Neither yes nor no: ask again rather than dropping the pending action.
                return Outcome(NEEDS_CONFIRMATION, pending["action"], pending["details"],
                               f"Sorry, was that a yes or a no? {pending['prompt']}", "", "", pending)
            answered = snapshot.values.get("confirmation") or {}
            if pending is None and answered and (answered.get("answered_by") == turn.request_id
                                                 or turn.intent != "unclear"):
                outcome = await self._answered(turn.user_id, turn.session_id, snapshot, turn.request_id, replay)
                if outcome is not None:
                    return outcome
        state = turn_input(session_id=turn.session_id, user_id=turn.user_id, request_id=turn.request_id,
                           intent=turn.intent, entities=turn.entities, confidence=turn.confidence,
                           now=turn.now.isoformat(), time_zone=turn.time_zone, utterance=turn.utterance,
                           context=turn.context)
        final = await self._graph.ainvoke(state, _config(turn.user_id, turn.session_id), context=self._deps,
                                          durability="exit")
        return _outcome(final)

    async def confirm(self, user_id: int, session_id: str, confirmation_id: str, confirmed: bool,
                      now: datetime, request_id: str, replay: Replay | None = None) -> Outcome:
        """Answer the pending confirmation `confirmation_id`. Call under session_lock."""
        snapshot = await self._graph.aget_state(_config(user_id, session_id))
        pending = snapshot.interrupts[0].value if snapshot.interrupts else None
        if pending is not None and pending["confirmation_id"] == confirmation_id:
            return await self._resume(user_id, session_id, confirmed, now, request_id)
        answered = snapshot.values.get("confirmation") or {}
        if pending is None and answered.get("confirmation_id") == confirmation_id:
            outcome = await self._answered(user_id, session_id, snapshot, request_id, replay)
            if outcome is not None:
                return outcome
        raise NoPendingConfirmation(
            f"confirmation {confirmation_id!r} is not pending in this session (used, expired or replaced)")

    async def _answered(self, user_id: int, session_id: str, snapshot: Any, request_id: str,
                        replay: Replay | None) -> Outcome | None:
        """A yes or no for the confirmation the session answered last: its outcome, where the caller may not
        have it; None where it was answered and heard (a confirmation is used once).

        - The run that took the answer stopped before finishing (an error, or cancelled at shutdown): finish it.
          The earlier yes stands; the tool's write is idempotent (keyed by the confirmation), so this makes the
          action once or reports the one made meanwhile, whatever this answer says.
        - This very request answered it (a retry whose recorded answer was lost in a crash): its outcome.
        - Its answer never reached the caller (the call timed out while it ran): the recorded outcome."""
        if snapshot.next:
            final = await self._graph.ainvoke(None, _config(user_id, session_id), context=self._deps,
                                              durability="exit")
            return _outcome(final)
        answered = snapshot.values["confirmation"]
        if answered.get("answered_by") == request_id:
            return _outcome(snapshot.values)
        return None if replay is None else await replay(answered["confirmation_id"])

    async def _resume(self, user_id: int, session_id: str, confirmed: bool, now: datetime,
                      request_id: str) -> Outcome:
        decision = {"confirmed": confirmed, "now": now.isoformat(), "request_id": request_id}
        final = await self._graph.ainvoke(Command(resume=decision), _config(user_id, session_id),
                                          context=self._deps, durability="exit")
        return _outcome(final)
