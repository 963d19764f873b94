"""kill -9 of the action agent at the worst moments, then a restart on the same database and checkpointer:
the user's retried "yes" (same confirmation id, same request_id, as the gateway retries) completes exactly once.

The crash points are made deterministic by stalling the agent exactly where it should die:
  SQLite: the test holds the checkpoint file's write lock, so the graph blocks writing its state: during an
          Execute, and during a Confirm after the booking row is committed (the crash between the two writes).
  PostgreSQL: a trigger sleeps inside the booking INSERT (crash mid-write, the transaction never commits), or
          inside the INSERT of the recorded answer (crash after the booking and the graph state are written,
          before the answer is recorded: the retried "yes" must get the booking, not "nothing to confirm").
"""

from __future__ import annotations

import concurrent.futures
import os
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import psycopg
import pytest
from luna.action.v1 import action_pb2 as pb

from action_agent.graph.checkpoint import sqlite_checkpoint_path
from tests.action_support import Conversation, action_stub, agent_server
from tests.reliability_support import bookings_of, prepare_slot, seed_url
from tests.servers import ROOT, TEST_TOKEN_SECRET
from tests.store_support import database_url

S = pb.ActionStatus
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname={db}"


def wait_for(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def sqlite_write_lock(path: str) -> Iterator[None]:
    """Hold the write lock of a SQLite file (another process's writers block on it)."""
    conn = sqlite3.connect(path, timeout=5, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def call_in_background(pool: concurrent.futures.Executor, fn: Callable[[], object]) -> concurrent.futures.Future:
    return pool.submit(fn)


def expect_crash(future: concurrent.futures.Future) -> None:
    """The call in flight when the agent died fails with UNAVAILABLE (the client would retry it)."""
    with pytest.raises(grpc.RpcError) as err:
        future.result(timeout=20)
    assert err.value.code() == grpc.StatusCode.UNAVAILABLE


def test_sqlite_kill_during_execute_and_between_the_booking_and_the_graph_state(tmp_path):
    with database_url("sqlite", tmp_path) as url:
        seed_url(url)
        slot = prepare_slot(url, users=1, seats_left=50, name="Crashpoint Trattoria")
        user = slot.users[0]
        checkpoints = sqlite_checkpoint_path(url)
        pool = concurrent.futures.ThreadPoolExecutor(2)
        try:
            with agent_server(url) as first, action_stub(first.address) as stub:
                talk = Conversation(stub, user_id=user)
                ask = talk.request(pb.INTENT_MAKE_BOOKING, venue_name=slot.venue_name, party_size=3,
                                   date_time=slot.iso())
                assert talk.say(pb.INTENT_GREETING).status == S.ACTION_STATUS_SUCCESS  # warm, state exists
                with sqlite_write_lock(checkpoints):
                    pending = call_in_background(pool, lambda: stub.Execute(ask, timeout=30))
                    time.sleep(1.0)  # the Execute is now blocked writing the graph state
                    assert not pending.done()
                    first.kill()
                expect_crash(pending)
            assert bookings_of(url, user) == []  # an Execute of make_booking writes nothing

            with agent_server(url) as second, action_stub(second.address) as stub:
                talk.stub = stub
                prompt = stub.Execute(ask, timeout=15)  # the retried Execute runs afresh: nothing was recorded
                assert prompt.status == S.ACTION_STATUS_NEEDS_CONFIRMATION, prompt.speak_text
                yes_id = uuid.uuid4().hex
                with sqlite_write_lock(checkpoints):
                    answering = call_in_background(pool, lambda: talk.confirm(prompt, request_id=yes_id))
                    # The booking commits to the domain database; the graph then blocks writing its state.
                    wait_for(lambda: len(bookings_of(url, user)) == 1, 10, "the booking row")
                    time.sleep(0.2)
                    second.kill()
                expect_crash(answering)
            assert [(p, s) for _, p, s in bookings_of(url, user)] == [(3, "confirmed")]
            code = bookings_of(url, user)[0][0]

            with agent_server(url) as third, action_stub(third.address) as stub:
                talk.stub = stub
                done = talk.confirm(prompt, request_id=yes_id)  # the gateway's retry of the same "yes"
                assert done.status == S.ACTION_STATUS_SUCCESS, (done.error_code, done.speak_text)
                assert done.result["confirmation_code"] == code  # the booking made before the crash
                assert talk.confirm(prompt, request_id=yes_id) == done
                with pytest.raises(grpc.RpcError) as err:
                    talk.confirm(prompt)  # a second, different "yes" has nothing left to confirm
                assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert [(c, p, s) for c, p, s in bookings_of(url, user)] == [(code, 3, "confirmed")]
        finally:
            pool.shutdown(wait=False, cancel_futures=True)


def _db_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def stall_trigger(db: str, table: str, condition: str) -> None:
    with psycopg.connect(ADMIN.format(db=db), autocommit=True) as conn:
        conn.execute("CREATE OR REPLACE FUNCTION luna_test_stall() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN PERFORM pg_sleep(60); RETURN NEW; END $$")
        conn.execute(f"CREATE TRIGGER luna_test_stall BEFORE INSERT ON {table} FOR EACH ROW "
                     f"WHEN ({condition}) EXECUTE FUNCTION luna_test_stall()")


def stalled_backends(db: str) -> int:
    with psycopg.connect(ADMIN.format(db="postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event = 'PgSleep'",
                           (db,)).fetchone()
        return int(row[0]) if row else 0


def end_stall(db: str) -> None:
    """The database notices the dead client (as it would on its next write): end the sleeping backends, drop
    the trigger."""
    with psycopg.connect(ADMIN.format(db="postgres"), autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                     "WHERE datname = %s AND wait_event = 'PgSleep'", (db,))
    with psycopg.connect(ADMIN.format(db=db), autocommit=True) as conn:
        conn.execute("DROP TRIGGER IF EXISTS luna_test_stall ON bookings")
        conn.execute("DROP TRIGGER IF EXISTS luna_test_stall ON action_requests")


def _crash_during_confirm(url: str, table: str, condition: str) -> tuple[Conversation, pb.ActionResponse, str, int]:
    """Ask for a booking, then say yes while `table` stalls on insert; kill -9 the agent there."""
    seed_url(url)
    slot = prepare_slot(url, users=1, seats_left=50, name="Crashpoint Trattoria")
    user = slot.users[0]
    db = _db_name(url)
    pool = concurrent.futures.ThreadPoolExecutor(1)
    try:
        with agent_server(url) as first, action_stub(first.address) as stub:
            talk = Conversation(stub, user_id=user)
            prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name=slot.venue_name, party_size=7, date_time=slot.iso())
            assert prompt.status == S.ACTION_STATUS_NEEDS_CONFIRMATION, prompt.speak_text
            stall_trigger(db, table, condition)
            yes_id = uuid.uuid4().hex
            answering = call_in_background(pool, lambda: talk.confirm(prompt, request_id=yes_id))
            wait_for(lambda: stalled_backends(db) == 1, 15, f"the stalled insert into {table}")
            first.kill()
            expect_crash(answering)
        end_stall(db)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return talk, prompt, yes_id, user


@pytest.mark.postgres
def test_postgres_kill_during_the_booking_insert_then_the_retried_yes_books_once(tmp_path):
    with database_url("postgresql", tmp_path) as url:
        talk, prompt, yes_id, user = _crash_during_confirm(url, "bookings", "NEW.party_size = 7")
        assert bookings_of(url, user) == []  # the insert's transaction died with the agent
        with agent_server(url) as second, action_stub(second.address) as stub:
            talk.stub = stub
            done = talk.confirm(prompt, request_id=yes_id)
            assert done.status == S.ACTION_STATUS_SUCCESS, (done.error_code, done.speak_text)
            assert talk.confirm(prompt, request_id=yes_id) == done
        assert bookings_of(url, user) == [(done.result["confirmation_code"], 7, "confirmed")]


@pytest.mark.postgres
def test_postgres_kill_after_the_booking_before_the_answer_is_recorded(tmp_path):
    with database_url("postgresql", tmp_path) as url:
        talk, prompt, yes_id, user = _crash_during_confirm(url, "action_requests", "NEW.method = 'confirm'")
        made = bookings_of(url, user)
        assert [(p, s) for _, p, s in made] == [(7, "confirmed")]  # committed before the crash
        with agent_server(url) as second, action_stub(second.address) as stub:
            talk.stub = stub
            try:
                done = talk.confirm(prompt, request_id=yes_id)
            finally:
                assert bookings_of(url, user) == made  # never a second booking, whatever the answer
            assert done.status == S.ACTION_STATUS_SUCCESS, (done.error_code, done.speak_text)
            assert done.result["confirmation_code"] == made[0][0]


def test_checkpoint_file_is_beside_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'luna.db'}"
    assert Path(sqlite_checkpoint_path(url)) == tmp_path / "luna.checkpoints.db"


def test_agent_on_an_unreachable_database_exits_with_the_reason(tmp_path):
    """Pointed at a port where no PostgreSQL listens, the agent stops at once (no half-started server)."""
    env = {**os.environ, "LUNA_TOKEN_SECRET": TEST_TOKEN_SECRET, "LUNA_LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-m", "action_agent", "--port", "0", "--database-url",
                           "postgresql+psycopg://postgres@127.0.0.1:1/luna"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "SERVING" not in done.stdout
    assert "Connection refused" in done.stdout + done.stderr
