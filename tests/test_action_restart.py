"""A pending confirmation survives a crash of the action agent (SQLite and PostgreSQL checkpointers),
and completes exactly once after the restart."""

from __future__ import annotations

import uuid
from pathlib import Path

import grpc
import psycopg
import pytest
from luna.action.v1 import action_pb2 as pb

from action_agent.store import make_engine
from action_agent.store.demo_city import seed
from tests.action_support import Conversation, action_stub, agent_server, bookings
from tests.store_support import database_url

S = pb.ActionStatus


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_restart_between_prompt_and_yes_books_once(backend, tmp_path):
    with database_url(backend, tmp_path) as url:
        engine = make_engine(url)
        seed(engine)
        engine.dispose()
        with agent_server(url) as first, action_stub(first.address) as stub:
            talk = Conversation(stub)
            ask = talk.request(pb.INTENT_MAKE_BOOKING, venue_name="Olive Garden", party_size=4,
                               date_time=talk.at(19))
            prompt = stub.Execute(ask, timeout=15)
            assert prompt.status == S.ACTION_STATUS_NEEDS_CONFIRMATION
            first.kill()  # a crash, not a graceful stop
        if backend == "sqlite":
            assert (Path(url.removeprefix("sqlite:///")).with_name("luna.checkpoints.db")).exists()
        before = bookings(url)
        with agent_server(url) as second, action_stub(second.address) as stub:
            talk.stub = stub
            assert stub.Execute(ask, timeout=15) == prompt  # the retried prompt is answered from the log
            yes_id = uuid.uuid4().hex
            done = talk.confirm(prompt, request_id=yes_id)
            assert done.status == S.ACTION_STATUS_SUCCESS, done.speak_text
            assert talk.confirm(prompt, request_id=yes_id) == done
            with pytest.raises(grpc.RpcError) as err:
                talk.confirm(prompt)
            assert err.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert bookings(url) == before + 1
        assert bookings(url, confirmation_code=done.result["confirmation_code"], party_size=4) == 1


@pytest.mark.postgres
def test_a_lost_database_is_unavailable_and_the_server_keeps_serving(tmp_path):
    with database_url("postgresql", tmp_path) as url:
        engine = make_engine(url)
        seed(engine)
        engine.dispose()
        with agent_server(url) as server, action_stub(server.address) as stub:
            talk = Conversation(stub)
            assert talk.say(pb.INTENT_CHECK_BOOKING).status == S.ACTION_STATUS_SUCCESS
            name = url.rsplit("/", 1)[1]
            with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            with pytest.raises(grpc.RpcError) as err:
                talk.say(pb.INTENT_CHECK_BOOKING)
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE and "database" in err.value.details()
            assert len(stub.ListTools(pb.ListToolsRequest(), timeout=5).tools) == 14
            assert server.proc.poll() is None
