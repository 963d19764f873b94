"""Faults seen from the client: the gateway killed mid-session, the database gone mid-conversation.

The client gets a clear error (a dead stream is UNAVAILABLE; a resume token of a dead gateway is NOT_FOUND with
"start a new session"), the user hears the spec §13.2 service-unavailable wording, and the database holds no
orphaned, duplicated or half-written booking.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path

import grpc
import psycopg
import pytest
from luna.action.v1 import action_pb2
from luna.backend.v1 import backend_pb2, backend_pb2_grpc
from luna.voice.v1 import voice_pb2

from gateway.client import open_stream
from gateway.turns import SERVICE_UNAVAILABLE
from tests.action_support import agent_server
from tests.gateway_support import WAITING, connect, final_transcript, gateway, is_error, is_state, text, token
from tests.reliability_support import bookings_of, prepare_slot, seed_url
from tests.store_support import database_url

ASSISTANT = final_transcript(voice_pb2.ROLE_ASSISTANT)
BOOKING = "book a table for two at Olive Garden tomorrow at 7 pm"
TEXT_GATEWAY = {"LUNA_SPEECH_ENGINE": "none"}


def kind(name: str):
    return lambda e: e.WhichOneof("event") == name


async def ask_to_book(stream) -> voice_pb2.ActionConfirmation:
    await stream.send(text(BOOKING))
    confirmation = (await stream.next(kind("action_confirmation"), within=20)).action_confirmation
    await stream.next(is_state(WAITING), within=10)
    return confirmation


async def end(stream) -> None:
    await stream.send(voice_pb2.ClientEvent(end_session=voice_pb2.EndSessionEvent()))
    await stream.next(kind("session_ended"), within=10)
    await stream.close()


def test_gateway_killed_mid_session_gives_clear_errors_and_no_orphaned_or_double_booking(tmp_path):
    async def before_the_yes(server, user: int) -> str:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stream, connected = await connect(channel, user, text_only=True)
            await ask_to_book(stream)
            server.kill()  # kill -9 with the prompt waiting for its answer
            with pytest.raises(EOFError):
                await stream.next(lambda e: False, within=10)
            assert stream.error is not None and stream.error.code() == grpc.StatusCode.UNAVAILABLE
            return connected.resume_token

    async def after_restart(server, user: int, resume_token: str) -> None:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stale = await open_stream(channel, voice_pb2.Start(session_token=token(user), resume_token=resume_token))
            with pytest.raises(EOFError):
                await stale.next(within=10)
            assert stale.error is not None and stale.error.code() == grpc.StatusCode.NOT_FOUND
            assert "start a new session" in stale.error.details()
            fresh, connected = await connect(channel, user, text_only=True)
            assert not connected.resumed
            await fresh.send(text("yes"))  # the old prompt died with the gateway: nothing to confirm
            result = (await fresh.next(kind("action_result"), within=20)).action_result
            assert result.status == action_pb2.ACTION_STATUS_FAILED
            assert result.error_code == "no_pending_confirmation"
            await fresh.next(ASSISTANT, within=10)
            # Ask again and answer, then the gateway dies right after the "yes" left the client.
            confirmation = await ask_to_book(fresh)
            await fresh.send(voice_pb2.ClientEvent(confirm=voice_pb2.ConfirmAction(
                confirmation_id=confirmation.confirmation_id, confirmed=True)))
            await fresh.next(is_state(voice_pb2.SESSION_STATE_EXECUTING), within=10)
            await asyncio.sleep(0.05)  # the Confirm is on its way to the agent (it takes longer than this to run)
            server.kill()  # kill -9 with the stream open and the "yes" being acted on
            with pytest.raises(EOFError):
                await fresh.next(lambda e: False, within=10)
            assert fresh.error is not None and fresh.error.code() == grpc.StatusCode.UNAVAILABLE

    with database_url("sqlite", tmp_path) as url:
        seed_url(url)
        user = prepare_slot(url, users=1, seats_left=50).users[0]
        with agent_server(url) as agent:
            with gateway(agent.address, **TEXT_GATEWAY) as first:
                resume_token = asyncio.run(before_the_yes(first, user))
            assert bookings_of(url, user) == []  # a prompt that was never answered books nothing
            with gateway(agent.address, **TEXT_GATEWAY) as second:
                asyncio.run(after_restart(second, user, resume_token))
            # The "yes" reached the agent before the gateway died: the action completes there, once.
            made: list[tuple[str, int, str]] = []
            for _ in range(100):
                made = bookings_of(url, user)
                if made:
                    break
                asyncio.run(asyncio.sleep(0.1))
            assert [(p, s) for _, p, s in made] == [(2, "confirmed")]
            # The user sees it in the app's booking list (LunaService on the agent).
            with grpc.insecure_channel(agent.address) as channel:
                listed = backend_pb2_grpc.LunaServiceStub(channel).ListMyBookings(
                    backend_pb2.ListMyBookingsRequest(), metadata=(("authorization", f"Bearer {token(user)}"),),
                    timeout=10)
            assert [b.confirmation_code for b in listed.bookings] == [made[0][0]]
            assert bookings_of(url, user) == made


async def _yes_during_outage(address: str, user: int, outage, recover) -> tuple[str, str]:
    """Book, cut the database, say yes (hear the §13.2 wording), restore it, say yes again."""
    async with grpc.aio.insecure_channel(address) as channel:
        stream, _ = await connect(channel, user, text_only=True)
        await ask_to_book(stream)
        outage()
        await stream.send(text("yes"))
        error = await stream.next(is_error("service_unavailable"), within=30)
        assert error.error.retryable
        heard = (await stream.next(ASSISTANT, within=10)).transcript.text
        await stream.next(is_state(WAITING), within=10)
        recover()
        await stream.send(text("yes"))
        answer = await stream.next(lambda e: e.WhichOneof("event") in ("action_result", "error"), within=30)
        await stream.next(ASSISTANT, within=10)
        await end(stream)
        if answer.WhichOneof("event") == "error":
            return heard, f"error:{answer.error.code}:{answer.error.message}"
        return heard, action_pb2.ActionStatus.Name(answer.action_result.status) + ":" + answer.action_result.action


@pytest.mark.postgres
def test_postgres_database_gone_mid_conversation(tmp_path):
    with database_url("postgresql", tmp_path) as url:
        seed_url(url)
        user = prepare_slot(url, users=1, seats_left=50).users[0]
        name = url.rsplit("/", 1)[1]
        admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"

        def outage() -> None:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
                conn.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_away"')

        def recover() -> None:
            assert bookings_of_renamed(f"{name}_away", user) == 0  # nothing was written during the outage
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'ALTER DATABASE "{name}_away" RENAME TO "{name}"')

        with agent_server(url) as agent, gateway(agent.address, **TEXT_GATEWAY) as gw:
            heard, result = asyncio.run(_yes_during_outage(gw.address, user, outage, recover))
            assert agent.proc.poll() is None and gw.proc.poll() is None
        assert heard == SERVICE_UNAVAILABLE
        assert result == "ACTION_STATUS_SUCCESS:make_booking", result  # the same "yes", once the database is back
        assert [(p, s) for _, p, s in bookings_of(url, user)] == [(2, "confirmed")]


def bookings_of_renamed(db: str, user: int) -> int:
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={db}", autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM bookings WHERE user_id = %s", (user,)).fetchone()
        count = int(row[0]) if row else 0
    return count


def test_sqlite_database_locked_mid_conversation(tmp_path):
    """Another process holds the SQLite write lock past the gateway's action timeout: the user hears the
    service-unavailable wording; once the lock is gone, the same "yes" books exactly once."""
    with database_url("sqlite", tmp_path) as url:
        seed_url(url)
        user = prepare_slot(url, users=1, seats_left=50).users[0]
        path = Path(url.removeprefix("sqlite:///"))
        holder: list[sqlite3.Connection] = []
        behind_the_back: list[tuple[str, int, str]] = []

        def outage() -> None:
            conn = sqlite3.connect(path, timeout=5, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            holder.append(conn)

        def recover() -> None:
            holder[0].execute("ROLLBACK")
            holder[0].close()
            time.sleep(1.5)  # let whatever the timed-out calls left running finish
            behind_the_back.extend(bookings_of(url, user))

        with agent_server(url) as agent, gateway(agent.address, LUNA_ACTION_TIMEOUT_SECONDS="2",
                                                 **TEXT_GATEWAY) as gw:
            heard, result = asyncio.run(_yes_during_outage(gw.address, user, outage, recover))
        assert heard == SERVICE_UNAVAILABLE
        made = bookings_of(url, user)
        assert [(p, s) for _, p, s in made] == [(2, "confirmed")]  # never two
        # Either nothing was written while the user heard the failure and the repeated "yes" books, or the
        # booking made meanwhile is what the repeated "yes" reports: never a booking the user was told failed.
        assert result == "ACTION_STATUS_SUCCESS:make_booking", (result, behind_the_back)
