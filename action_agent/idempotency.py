"""Exactly-once answers: the first response to each (user, request_id), stored durably in the domain database.

A retried Execute or Confirm finds its response here and is answered with it, so nothing runs twice.
The table (store.models.action_requests) comes from the Alembic migrations (revision 0002).
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError

from action_agent.store.engine import is_sqlite_busy, sqlite_no_wait
from action_agent.store.models import action_requests

# Retries come within seconds; a week is generous.
RETENTION = timedelta(days=7)
# Most answers recorded in one transaction.
MAX_BATCH = 64

__all__ = ["RETENTION", "ResponseLog", "action_requests"]

# Built once: a statement built per call costs more CPU (construction, cache key) than the SQLite read itself.
_RECORDED = select(action_requests.c.response).where(action_requests.c.user_id == bindparam("user_id"),
                                                     action_requests.c.request_id == bindparam("request_id"))
_INSERT_NEW = {"sqlite": sqlite.insert(action_requests).on_conflict_do_nothing(),
               "postgresql": postgresql.insert(action_requests).on_conflict_do_nothing()}


@dataclass
class _Pending:
    user_id: int
    request_id: str
    method: str
    response: bytes
    done: asyncio.Future[bytes] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class ResponseLog:
    """The recorded answers. Sync methods run SQL where they are called; `record` is for the event loop."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # SQLite reads in WAL mode never wait for a writer, and an indexed point read is cheaper than a
        # thread hop: such lookups run inline, and so do writes while the write lock is free (see
        # store.engine.sqlite_no_wait). PostgreSQL goes over the network: in a thread.
        self.inline_reads = engine.dialect.name == "sqlite"
        # One writer at a time from this process: on SQLite, colliding writers back off in sleeps of
        # milliseconds (the busy handler), which costs far more than waiting for a short insert here.
        self._write_lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None

    def get(self, user_id: int, request_id: str) -> bytes | None:
        with self._engine.connect() as conn:
            return _recorded(conn, user_id, request_id)

    async def lookup(self, user_id: int, request_id: str) -> bytes | None:
        if self.inline_reads:
            return self.get(user_id, request_id)
        return await asyncio.to_thread(self.get, user_id, request_id)

    def put(self, user_id: int, request_id: str, method: str, response: bytes) -> bytes:
        """Record the response; when the request id is already recorded, the recorded one wins and is returned."""
        return self.put_many([(user_id, request_id, method, response)])[0]

    def put_many(self, items: list[tuple[int, str, str, bytes]]) -> list[bytes]:
        """Record several responses in one transaction; each result is the response that stands for its id."""
        with self._write_lock, self._engine.begin() as conn:
            return _put(conn, items)

    def _put_now(self, item: tuple[int, str, str, bytes]) -> bytes | None:
        """Record on the calling thread without waiting for any lock; None when a lock is taken."""
        if not self._write_lock.acquire(blocking=False):
            return None
        try:
            # The commit, too, must not wait: the connection waits again only once the transaction is over.
            with self._engine.connect() as conn, sqlite_no_wait(conn.connection.driver_connection), conn.begin():
                return _put(conn, [item])[0]
        except OperationalError as exc:
            if is_sqlite_busy(exc):
                return None
            raise
        finally:
            self._write_lock.release()

    async def record(self, user_id: int, request_id: str, method: str, response: bytes) -> bytes:
        """Record durably; returns the response that stands for this request id. Inline when SQLite's write lock
        is free; otherwise in a thread, with group commit (answers finishing together share one transaction)."""
        if self.inline_reads and not self._queue:
            stored = self._put_now((user_id, request_id, method, response))
            if stored is not None:
                return stored
        item = _Pending(user_id, request_id, method, response)
        self._queue.append(item)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        return await item.done

    async def _flush(self) -> None:
        try:
            while self._queue:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
                try:
                    stored = await asyncio.to_thread(
                        self.put_many, [(p.user_id, p.request_id, p.method, p.response) for p in batch])
                except BaseException as exc:  # the callers see the database's failure
                    for p in batch:
                        if not p.done.done():
                            p.done.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for p, response in zip(batch, stored, strict=True):
                    if not p.done.done():
                        p.done.set_result(response)
        finally:
            self._flusher = None

    def prune(self, now: datetime | None = None) -> int:
        cutoff = (now or datetime.now(UTC)) - RETENTION
        with self._engine.begin() as conn:
            return conn.execute(delete(action_requests).where(action_requests.c.created_at < cutoff)).rowcount


def _put(conn: Connection, items: list[tuple[int, str, str, bytes]]) -> list[bytes]:
    now = datetime.now(UTC)
    out = []
    for user_id, request_id, method, response in items:
        values = {"user_id": user_id, "request_id": request_id, "method": method, "response": response,
                  "created_at": now}
        if _insert_new(conn, values):
            out.append(response)
        else:
            out.append(_recorded(conn, user_id, request_id) or response)
    return out


def _recorded(conn: Connection, user_id: int, request_id: str) -> bytes | None:
    row = conn.execute(_RECORDED, {"user_id": user_id, "request_id": request_id}).first()
    return None if row is None else bytes(row[0])


def _insert_new(conn: Connection, values: dict[str, object]) -> bool:
    """Insert unless the id is recorded already (then False), without aborting the transaction."""
    statement = _INSERT_NEW.get(conn.dialect.name)
    if statement is not None:
        return bool(conn.execute(statement, values).rowcount)
    try:
        with conn.begin_nested():
            conn.execute(insert(action_requests).values(**values))
        return True
    except IntegrityError:
        return False
