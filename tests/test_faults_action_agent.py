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

import asyncio
import concurrent.futures
import os
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from luna.action.v1 import action_pb2 as pb
from sqlalchemy import Engine

from action_agent.agent import ActionAgent, NoPendingConfirmation, Turn
from action_agent.domain import Domain
from action_agent.graph.checkpoint import sqlite_checkpoint_path
from action_agent.store import make_engine, session_factory
from tests.action_support import ZONE, Conversation, action_stub, agent_server, request_now
from tests.reliability_support import Slot, bookings_of, prepare_slot, seed_url
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


# ---- a "yes" that outlives its caller's deadline, or whose run stops before it finishes ----


def test_a_yes_past_its_deadline_finishes_and_the_next_answer_is_told_the_booking(tmp_path):
    """The booking database's write lock is held past the caller's deadline: the caller gets DEADLINE_EXCEEDED,
    the "yes" is not cut short (its write cannot be), and the user's next answer to that confirmation, with a new
    request_id, by Confirm or by a spoken yes, gets the booking that was made, not FAILED_PRECONDITION."""
    with database_url("sqlite", tmp_path) as url:
        seed_url(url)
        slot = prepare_slot(url, users=1, seats_left=50)
        user = slot.users[0]
        path = url.removeprefix("sqlite:///")

        def booked(count: int) -> Callable[[], bool]:
            return lambda: len(bookings_of(url, user)) == count

        with agent_server(url) as server, action_stub(server.address) as stub:
            talk = Conversation(stub, user_id=user)
            for party, spoken in ((2, False), (3, True)):
                before = bookings_of(url, user)
                prompt = talk.say(pb.INTENT_MAKE_BOOKING, venue_name=slot.venue_name, party_size=party,
                                  date_time=slot.iso())
                assert prompt.status == S.ACTION_STATUS_NEEDS_CONFIRMATION, prompt.speak_text
                yes_id = uuid.uuid4().hex
                with sqlite_write_lock(path):
                    with pytest.raises(grpc.RpcError) as err:
                        if spoken:
                            stub.Execute(talk.request(pb.INTENT_CONFIRM, yes_id), timeout=1)
                        else:
                            talk.stub.Confirm(pb.ConfirmRequest(
                                request_id=yes_id, session_id=talk.session_id, user_id=user,
                                confirmation_id=prompt.confirmation.confirmation_id, confirmed=True,
                                now=talk.request(pb.INTENT_CONFIRM).now), timeout=1)
                    assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
                    time.sleep(0.5)
                    assert bookings_of(url, user) == before  # still waiting for the lock
                # The lock is gone: the timed-out yes goes on and books, once.
                wait_for(booked(len(before) + 1), 15, "the booking of the yes")
                code, size, status = bookings_of(url, user)[-1]
                assert (size, status) == (party, "confirmed")
                again = talk.say(pb.INTENT_CONFIRM) if spoken else talk.confirm(prompt)  # the user's next "yes"
                assert again.status == S.ACTION_STATUS_SUCCESS and again.action == "make_booking", again
                assert again.result["confirmation_code"] == code
                retried = (stub.Execute(talk.request(pb.INTENT_CONFIRM, yes_id), timeout=15) if spoken
                           else talk.confirm(prompt, request_id=yes_id))
                assert retried.status == S.ACTION_STATUS_SUCCESS and retried.result["confirmation_code"] == code
                assert bookings_of(url, user) == [*before, (code, party, "confirmed")]
            # A confirmation that was never asked is still unknown.
            with pytest.raises(grpc.RpcError) as err:
                stub.Confirm(pb.ConfirmRequest(request_id=uuid.uuid4().hex, session_id=talk.session_id,
                                               user_id=user, confirmation_id="never-asked", confirmed=True),
                             timeout=15)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def _in_process_agent(url: str) -> tuple[Domain, Engine]:
    engine = make_engine(url)
    return Domain(session_factory(engine)), engine


def _booking_turn(request_id: str, user: int, slot: Slot) -> Turn:
    return Turn(request_id=request_id, session_id="s-unfinished", user_id=user, intent="make_booking",
                entities={"venue_name": slot.venue_name, "party_size": 4, "date_time": slot.iso()},
                confidence=0.9, now=request_now(), time_zone=ZONE)


def test_a_yes_whose_run_failed_or_was_cancelled_midway_is_finished_by_the_next_answer(tmp_path):
    """The run that took the yes stops in EXECUTE (the database fails, or the run is cancelled while its write goes
    on in a thread): the confirmation is not lost; the retried yes and a new yes finish it, one booking."""
    with database_url("sqlite", tmp_path) as url:
        seed_url(url)
        slot = prepare_slot(url, users=1, seats_left=50)
        user = slot.users[0]
        domain, engine = _in_process_agent(url)
        now = request_now()

        async def scenario() -> None:
            async with ActionAgent.open(domain, url) as agent:
                real = domain.bookings.create_booking
                # 1. The write fails (the database is locked): the confirmation is consumed, the run unfinished.
                prompt = await agent.execute(_booking_turn("ask-1", user, slot))
                cid = (prompt.confirmation or {})["confirmation_id"]

                def locked(*args: Any, **kwargs: Any) -> Any:
                    raise sqlite3.OperationalError("database is locked")

                domain.bookings.create_booking = locked  # type: ignore[method-assign]
                with pytest.raises(sqlite3.OperationalError):
                    await agent.confirm(user, "s-unfinished", cid, True, now, "yes-1")
                domain.bookings.create_booking = real  # type: ignore[method-assign]
                retried = await agent.confirm(user, "s-unfinished", cid, True, now, "yes-1")
                assert (retried.status, retried.action) == ("success", "make_booking"), retried
                assert retried.answered == cid
                with pytest.raises(NoPendingConfirmation):  # heard: a confirmation is used once
                    await agent.confirm(user, "s-unfinished", cid, True, now, "yes-2")
                assert [p for _, p, _ in bookings_of(url, user)] == [4]

                # 2. The run is cancelled while the booking is being written in its thread.
                prompt = await agent.execute(_booking_turn("ask-2", user, slot))
                cid = (prompt.confirmation or {})["confirmation_id"]
                entered, release = threading.Event(), threading.Event()

                def slow(*args: Any, **kwargs: Any) -> Any:
                    entered.set()
                    release.wait(10)
                    return real(*args, **kwargs)

                domain.bookings.create_booking = slow  # type: ignore[method-assign]
                answering = asyncio.create_task(agent.confirm(user, "s-unfinished", cid, True, now, "yes-3"))
                assert await asyncio.to_thread(entered.wait, 10)
                answering.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await answering
                release.set()
                wait_for(lambda: len(bookings_of(url, user)) == 2, 10, "the booking of the cancelled run")
                domain.bookings.create_booking = real  # type: ignore[method-assign]
                code = bookings_of(url, user)[-1][0]
                again = await agent.execute(Turn(request_id="yes-4", session_id="s-unfinished", user_id=user,
                                                 intent="confirm", entities={}, confidence=0.9, now=now,
                                                 time_zone=ZONE))
                assert (again.status, again.action) == ("success", "make_booking"), again
                assert again.result["confirmation_code"] == code  # the booking the cancelled run made
                assert [p for _, p, _ in bookings_of(url, user)] == [4, 4]

        try:
            asyncio.run(scenario())
        finally:
            engine.dispose()
