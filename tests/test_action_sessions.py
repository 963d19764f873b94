"""Conversation state (LangGraph checkpoints) of idle sessions is deleted: the saver's pruning on SQLite and
PostgreSQL, and the agent doing it at start-up."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from luna.action.v1 import action_pb2 as pb

from action_agent.graph.checkpoint import (
    _checkpoint_id_floor,
    open_checkpointer,
    prune_idle_threads,
    sqlite_checkpoint_path,
)
from tests.action_support import Conversation, action_stub, agent_server, seed_database
from tests.servers import start_server
from tests.store_support import database_url


class Counter(TypedDict):
    turns: int


async def _step(state: Counter) -> dict[str, Any]:
    return {"turns": state.get("turns", 0) + 1}


def _graph(saver: Any) -> Any:
    graph = StateGraph(Counter)
    graph.add_node("step", _step)
    graph.add_edge(START, "step")
    graph.add_edge("step", END)
    return graph.compile(checkpointer=saver)


async def _threads(saver: Any) -> set[str]:
    return {t.config["configurable"]["thread_id"] async for t in saver.alist(None)}


def test_checkpoint_ids_order_by_time():
    from langgraph.checkpoint.base.id import uuid6

    before = _checkpoint_id_floor(datetime.now(UTC) - timedelta(seconds=1))
    made = str(uuid6())
    after = _checkpoint_id_floor(datetime.now(UTC) + timedelta(seconds=1))
    assert before < made < after


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def test_idle_sessions_are_forgotten_and_active_ones_kept(backend, tmp_path):
    with database_url(backend, tmp_path) as url:
        async with open_checkpointer(url) as saver:
            graph = _graph(saver)
            for thread in ("1:old", "1:recent"):
                for _ in range(2):  # several checkpoints per thread
                    await graph.ainvoke({"turns": 0}, {"configurable": {"thread_id": thread}})
            assert await prune_idle_threads(saver, timedelta(hours=24)) == 0
            # Two days from now, a session last touched now has been idle for two days...
            later = datetime.now(UTC) + timedelta(days=2)
            assert {"1:old", "1:recent"} <= await _threads(saver)
            await graph.ainvoke({"turns": 0}, {"configurable": {"thread_id": "1:recent"}})
            assert await prune_idle_threads(saver, timedelta(hours=24), now=later) == 2
            assert await _threads(saver) == set()
            # ...while one idle for less than the limit stays, with its state.
            await graph.ainvoke({"turns": 0}, {"configurable": {"thread_id": "1:recent"}})
            assert await prune_idle_threads(saver, timedelta(hours=24), now=datetime.now(UTC) + timedelta(hours=1)) == 0
            state = await graph.aget_state({"configurable": {"thread_id": "1:recent"}})
            assert state.values == {"turns": 1}


def _age_every_checkpoint(path: str, by: timedelta) -> None:
    """Rewrite the checkpoint ids of the file as if they had been made `by` earlier."""
    old = _checkpoint_id_floor(datetime.now(UTC) - by)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE checkpoints SET checkpoint_id = ?", (old,))
        conn.execute("UPDATE writes SET checkpoint_id = ?", (old,))


def test_the_agent_forgets_idle_sessions_at_start_up(tmp_path):
    url = seed_database(tmp_path / "luna.db")
    checkpoints = sqlite_checkpoint_path(url)
    with agent_server(url) as server, action_stub(server.address) as stub:
        talk = Conversation(stub)
        assert talk.say(pb.INTENT_GREETING).status == pb.ACTION_STATUS_SUCCESS
    with sqlite3.connect(checkpoints) as conn:
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] > 0
    _age_every_checkpoint(checkpoints, timedelta(hours=30))
    server = start_server("action_agent", ["--database-url", url, "--workers", "1"],
                          env={"LUNA_SESSION_RETENTION_HOURS": "24", "LUNA_LOG_LEVEL": "INFO"})
    try:
        deadline = time.monotonic() + 15
        while not any('"event": "housekeeping"' in line for line in server.output) and time.monotonic() < deadline:
            time.sleep(0.05)
        with action_stub(server.address) as stub:
            assert Conversation(stub).say(pb.INTENT_THANKS).status == pb.ACTION_STATUS_SUCCESS  # another session
        assert server.terminate() == 0
    finally:
        server.kill()
    assert any('"idle_sessions_deleted": 1' in line for line in server.output), "".join(server.output)
    with sqlite3.connect(checkpoints) as conn:
        # Only the new turn's checkpoint is left: the aged session state was deleted.
        remaining = conn.execute("SELECT count(*) FROM checkpoints WHERE checkpoint_id < ?",
                                 (_checkpoint_id_floor(datetime.now(UTC) - timedelta(hours=1)),)).fetchone()[0]
    assert remaining == 0
    assert Path(checkpoints).exists()
