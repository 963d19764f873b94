"""The graph's checkpointer: where a session's state (and a pending confirmation) lives between turns.

SQLite (a file next to the SQLite database: var/luna.db -> var/luna.checkpoints.db) by default,
PostgreSQL (the same database) when DATABASE_URL is PostgreSQL. Either way a pending confirmation
survives a restart of the agent.

The SQLite saver reads on the event loop (WAL readers never wait for writers, and a point read costs
less than handing it to a thread). It writes on the loop too when the write lock is free, through a
connection that never waits for it, and in a thread when another connection holds it (see
store.engine.sqlite_no_wait); LangGraph's AsyncSqliteSaver would hop to its connection thread for every
cursor, execute, fetch and commit.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, closing, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite import SqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from action_agent.store.engine import is_sqlite_busy

POOL_SIZE = 10
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def sqlite_checkpoint_path(database_url: str) -> str:
    """var/luna.db -> var/luna.checkpoints.db; an in-memory database gets in-memory checkpoints."""
    database = make_url(database_url).database or ""
    if database in ("", ":memory:"):
        return ":memory:"
    path = Path(database)
    return str(path.with_name(f"{path.stem}.checkpoints{path.suffix or '.db'}"))


def describe_checkpoint_location(database_url: str) -> str:
    """Where the checkpoints of `database_url` live, in words (for --help and logs)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return f"the PostgreSQL database itself ({url.render_as_string(hide_password=True)})"
    return sqlite_checkpoint_path(database_url)


def _connect(path: str, timeout: float = SQLITE_BUSY_TIMEOUT_SECONDS) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False, timeout=timeout)
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL: a commit survives a crash of this process (what a restart needs) without an fsync per turn.
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class LoopSqliteSaver(SqliteSaver):
    """LangGraph's SqliteSaver with the async API: reads inline on a second connection; writes inline on a
    third that never waits for the write lock, or, when the lock is taken, in a thread on this one."""

    def __init__(self, writer: sqlite3.Connection, reader: sqlite3.Connection | None,
                 quick_writer: sqlite3.Connection | None) -> None:
        super().__init__(writer)
        self.setup()
        # In-memory databases cannot be shared between connections: read and write through the writer then
        # (no other process can hold its lock).
        self._reader = SqliteSaver(reader) if reader is not None else self
        self._reader.is_setup = True
        self._quick = SqliteSaver(quick_writer) if quick_writer is not None else self
        self._quick.is_setup = True

    @classmethod
    @contextmanager
    def open(cls, path: str) -> Iterator[LoopSqliteSaver]:
        with closing(_connect(path)) as writer:
            if path == ":memory:":
                yield cls(writer, None, None)
                return
            with closing(_connect(path)) as reader, closing(_connect(path, timeout=0)) as quick_writer:
                yield cls(writer, reader, quick_writer)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self._reader.get_tuple(config)

    async def alist(self, config: RunnableConfig | None, *, filter: dict[str, Any] | None = None,
                    before: RunnableConfig | None = None, limit: int | None = None) -> AsyncIterator[CheckpointTuple]:
        found = await asyncio.to_thread(lambda: list(self.list(config, filter=filter, before=before, limit=limit)))
        for item in found:
            yield item

    async def aput(self, config: RunnableConfig, checkpoint: Checkpoint, metadata: CheckpointMetadata,
                   new_versions: ChannelVersions) -> RunnableConfig:
        try:
            return self._quick.put(config, checkpoint, metadata, new_versions)
        except sqlite3.OperationalError as exc:
            if not is_sqlite_busy(exc):
                raise
        return await asyncio.to_thread(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(self, config: RunnableConfig, writes: Sequence[tuple[str, Any]], task_id: str,
                          task_path: str = "") -> None:
        try:
            self._quick.put_writes(config, writes, task_id, task_path)
            return
        except sqlite3.OperationalError as exc:
            if not is_sqlite_busy(exc):
                raise
        await asyncio.to_thread(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        await asyncio.to_thread(self.delete_thread, thread_id)

    def prune_idle_threads(self, idle_for: timedelta, now: datetime | None = None) -> int:
        """Delete every thread whose newest checkpoint is older than `idle_for`; returns how many."""
        cutoff = _checkpoint_id_floor((now or datetime.now(UTC)) - idle_for)
        with self.cursor() as cur:
            cur.execute("SELECT thread_id FROM checkpoints GROUP BY thread_id HAVING max(checkpoint_id) < ?",
                        (cutoff,))
            idle = [row[0] for row in cur.fetchall()]
            for thread_id in idle:
                cur.execute("DELETE FROM checkpoints WHERE thread_id = ?", (thread_id,))
                cur.execute("DELETE FROM writes WHERE thread_id = ?", (thread_id,))
        return len(idle)


def _checkpoint_id_floor(when: datetime) -> str:
    """The smallest checkpoint id (a UUID v6, time-ordered and compared as text) LangGraph makes at `when`."""
    # UUID v6: 60-bit count of 100 ns since 1582-10-15, most significant bits first.
    ticks = int((when - datetime(1582, 10, 15, tzinfo=UTC)).total_seconds() * 10_000_000)
    high, mid, low = (ticks >> 28) & 0xFFFFFFFF, (ticks >> 12) & 0xFFFF, ticks & 0x0FFF
    return f"{high:08x}-{mid:04x}-6{low:03x}-0000-000000000000"


async def prune_idle_threads(saver: BaseCheckpointSaver[Any], idle_for: timedelta,
                             now: datetime | None = None) -> int:
    """Delete the checkpoints of sessions untouched for `idle_for` (SQLite or PostgreSQL saver); returns how many."""
    if isinstance(saver, LoopSqliteSaver):
        return await asyncio.to_thread(saver.prune_idle_threads, idle_for, now)
    if isinstance(saver, AsyncPostgresSaver):
        query = "SELECT thread_id FROM checkpoints GROUP BY thread_id HAVING max(checkpoint_id) < %s"
        cutoff = (_checkpoint_id_floor((now or datetime.now(UTC)) - idle_for),)
        if isinstance(saver.conn, AsyncConnectionPool):
            async with saver.conn.connection() as conn:
                rows = await (await conn.execute(query, cutoff)).fetchall()
        else:
            rows = await (await saver.conn.execute(query, cutoff)).fetchall()
        idle = [row["thread_id"] if isinstance(row, dict) else row[0] for row in rows]
        for thread_id in idle:
            await saver.adelete_thread(thread_id)
        return len(idle)
    return 0


async def setup_checkpointer(database_url: str) -> None:
    """Create the checkpointer's tables (once, before worker processes open it)."""
    async with open_checkpointer(database_url):
        pass


@asynccontextmanager
async def open_checkpointer(database_url: str) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        pool = AsyncConnectionPool(conninfo, min_size=1, max_size=POOL_SIZE, open=False,
                                   kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row})
        await pool.open(wait=True)
        try:
            saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
            await saver.setup()
            yield saver
        finally:
            await pool.close()
        return
    path = sqlite_checkpoint_path(database_url)
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    with LoopSqliteSaver.open(path) as lite:
        yield lite
