"""Exactly-once answers: the first response to each (user, request_id), stored durably in the domain database.

A retried Execute or Confirm finds its response here and is answered with it, so nothing runs twice.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

# Retries come within seconds; a week is generous.
RETENTION = timedelta(days=7)

metadata = MetaData()
action_requests = Table(
    "action_requests",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("request_id", String(128), primary_key=True),
    Column("method", String(16), nullable=False),
    Column("response", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class ResponseLog:
    """Sync (SQLAlchemy); call from async code with asyncio.to_thread."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # One writer at a time from this process: on SQLite, colliding writers back off in sleeps of
        # milliseconds (the busy handler), which costs far more than waiting for a short insert here.
        self._write_lock = threading.Lock()
        metadata.create_all(engine)

    def get(self, user_id: int, request_id: str) -> bytes | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(action_requests.c.response).where(
                action_requests.c.user_id == user_id, action_requests.c.request_id == request_id)).first()
        return None if row is None else bytes(row[0])

    def put(self, user_id: int, request_id: str, method: str, response: bytes) -> bytes:
        """Record the response; when the request id is already recorded, the recorded one wins and is returned."""
        try:
            with self._write_lock, self._engine.begin() as conn:
                conn.execute(insert(action_requests).values(user_id=user_id, request_id=request_id, method=method,
                                                            response=response, created_at=datetime.now(UTC)))
            return response
        except IntegrityError:
            first = self.get(user_id, request_id)
            return response if first is None else first

    def prune(self, now: datetime | None = None) -> int:
        cutoff = (now or datetime.now(UTC)) - RETENTION
        with self._engine.begin() as conn:
            return conn.execute(delete(action_requests).where(action_requests.c.created_at < cutoff)).rowcount
