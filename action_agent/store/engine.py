"""Opening the Luna database: engine factory (SQLite or PostgreSQL), sessions and migrations."""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

if TYPE_CHECKING:
    from action_agent.settings import ActionAgentSettings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Execution option asking for a write transaction that takes SQLite's write lock up front (BEGIN IMMEDIATE),
# so read-check-write sequences (capacity checks) cannot interleave.
WRITE_LOCK_OPTION = "luna_write_lock"
MIGRATION_LOCK_KEY = 0x4C554E41  # "LUNA"
_SQLITE_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()


def make_engine(database_url: str, *, echo: bool = False) -> Engine:
    """An engine for `database_url`: sqlite:///path (WAL, foreign keys, busy timeout) or postgresql+psycopg://."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() != "sqlite":
        return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               pool_size=10, max_overflow=20)
    else:  # one in-memory database, shared by every thread through one connection
        engine = create_engine(url, echo=echo, poolclass=StaticPool,
                               connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
    _configure_sqlite(engine)
    _SQLITE_WRITER_LOCKS[engine] = threading.RLock()
    return engine


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide where transactions begin (see on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_LOCK_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite_busy(exc: BaseException) -> bool:
    """SQLite's "database is locked": another connection holds the write lock (raw or SQLAlchemy-wrapped)."""
    orig = getattr(exc, "orig", exc)
    return isinstance(orig, sqlite3.OperationalError) and orig.sqlite_errorcode in (sqlite3.SQLITE_BUSY,
                                                                                   sqlite3.SQLITE_LOCKED)


@contextmanager
def sqlite_no_wait(dbapi_connection: Any) -> Iterator[None]:
    """Statements on this connection fail at once with "database is locked" instead of waiting for the lock.

    A short SQLite write (tens of microseconds, no fsync in WAL mode with synchronous=NORMAL) costs far less
    on the event loop than a hand-off to a worker thread (a thread wake-up and a loop wake-up, ~1 ms of CPU
    on a busy box); but a wait for another process's lock must never block the loop. So such writes are tried
    inline without waiting and handed to a thread only when the lock is taken."""
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        yield
    finally:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for the domain services; objects stay readable after commit (the services copy them to views)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction holds the database's write lock from its first statement (SQLite:
    BEGIN IMMEDIATE). On PostgreSQL callers additionally lock the rows they check (SELECT ... FOR UPDATE).
    Commit inside; leaving without a commit rolls back."""
    bind = sessions.kw.get("bind")
    # SQLite writers of this process queue on a lock instead of in SQLite's busy handler, which polls with
    # growing sleeps and so collapses throughput under contention. Other processes still meet BEGIN IMMEDIATE.
    in_process = _SQLITE_WRITER_LOCKS.get(bind) if isinstance(bind, Engine) else None
    with in_process or nullcontext(), sessions() as session:
        session.connection(execution_options={WRITE_LOCK_OPTION: True})
        yield session


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    config = alembic_config()
    # Several processes may start on a fresh database at once: serialize them (SQLite: write lock up front;
    # PostgreSQL: a transaction-scoped advisory lock) so only the first one creates the schema.
    with engine.connect().execution_options(**{WRITE_LOCK_OPTION: True}) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


@dataclass(frozen=True)
class Store:
    engine: Engine
    sessions: sessionmaker[Session]

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(settings: ActionAgentSettings, migrate_schema: bool = True) -> Store:
    """Open the database named by settings.database_url and (unless told not to: a worker process whose
    parent did it) migrate it to the current schema."""
    engine = make_engine(settings.database_url)
    if migrate_schema:
        migrate(engine)
    return Store(engine, session_factory(engine))
