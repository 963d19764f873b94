"""SQLite writes made on the event loop (checkpoints, recorded answers) never wait there for another
connection's write lock: while another process holds it they wait in a thread, the loop keeps serving, and
they land once the lock is free."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import empty_checkpoint

from action_agent.graph.checkpoint import open_checkpointer, sqlite_checkpoint_path
from action_agent.idempotency import ResponseLog
from action_agent.store import make_engine, migrate


async def _waits_without_blocking_the_loop(path: str, write: Awaitable[Any]) -> Any:
    """Run `write` while another connection holds `path`'s write lock; the loop must keep ticking."""
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    task = asyncio.ensure_future(write)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for _ in range(20):
        await asyncio.sleep(0.01)
    assert loop.time() - started < 1.0, "the loop was blocked waiting for the lock"
    assert not task.done(), "the write went through while another connection held the lock"
    blocker.execute("COMMIT")
    blocker.close()
    return await asyncio.wait_for(task, timeout=10)


async def test_a_recorded_answer_waits_for_the_lock_in_a_thread(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'luna.db'}"
    engine = make_engine(url)
    migrate(engine)
    log = ResponseLog(engine)
    try:
        assert await log.record(1, "r-free", "execute", b"first") == b"first"  # the lock is free: inline
        stored = await _waits_without_blocking_the_loop(str(tmp_path / "luna.db"),
                                                        log.record(1, "r-locked", "execute", b"second"))
        assert stored == b"second"
        assert await log.lookup(1, "r-locked") == b"second"
        assert await log.record(1, "r-locked", "execute", b"retry") == b"second"  # the first answer stands
    finally:
        engine.dispose()


async def test_a_checkpoint_waits_for_the_lock_in_a_thread(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'luna.db'}"
    async with open_checkpointer(url) as saver:
        config: Any = {"configurable": {"thread_id": "1:s", "checkpoint_ns": ""}}
        first = empty_checkpoint()
        await saver.aput(config, first, {"source": "input", "step": -1, "parents": {}}, {})
        second = empty_checkpoint()
        saved = await _waits_without_blocking_the_loop(
            sqlite_checkpoint_path(url),
            saver.aput(config, second, {"source": "loop", "step": 0, "parents": {}}, {}))
        assert saved["configurable"]["checkpoint_id"] == second["id"]
        latest = await saver.aget_tuple({"configurable": {"thread_id": "1:s", "checkpoint_ns": ""}})
        assert latest is not None and latest.checkpoint["id"] == second["id"]
