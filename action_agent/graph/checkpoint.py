"""The graph's checkpointer: where a session's state (and a pending confirmation) lives between turns.

SQLite (a file next to the SQLite database) by default, PostgreSQL (the same database) when
DATABASE_URL is PostgreSQL. Either way a pending confirmation survives a restart of the agent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

POOL_SIZE = 10


def sqlite_checkpoint_path(database_url: str) -> str:
    """var/luna.db -> var/luna.checkpoints.db; an in-memory database gets in-memory checkpoints."""
    database = make_url(database_url).database or ""
    if database in ("", ":memory:"):
        return ":memory:"
    path = Path(database)
    return str(path.with_name(f"{path.stem}.checkpoints{path.suffix or '.db'}"))


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
    async with AsyncSqliteSaver.from_conn_string(path) as lite:
        await lite.setup()  # also switches the file to WAL
        # WAL + NORMAL: a commit survives a crash of this process (what a restart needs) without an fsync per turn.
        await lite.conn.execute("PRAGMA synchronous=NORMAL")
        yield lite
