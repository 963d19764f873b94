"""Driving the real voice gateway in tests: servers (with a seeded action agent), tokens, Converse streams."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
from luna.voice.v1 import voice_pb2, voice_pb2_grpc

from gateway.client import ConverseStream, Received, kind_is, open_stream
from luna_common.tokens import issue_token
from tests.action_support import ZONE, agent_server, seed_database
from tests.servers import TEST_TOKEN_SECRET, ServerProcess, start_server

WAITING = voice_pb2.SESSION_STATE_WAITING
SPEAKING = voice_pb2.SESSION_STATE_SPEAKING
PROCESSING = voice_pb2.SESSION_STATE_PROCESSING


@contextmanager
def seeded_agent() -> Iterator[ServerProcess]:
    with tempfile.TemporaryDirectory(prefix="luna-gw-test-") as tmp:
        url = seed_database(Path(tmp) / "luna.db")
        with agent_server(url) as server:
            yield server


@contextmanager
def gateway(action_address: str, **env: str) -> Iterator[ServerProcess]:
    server = start_server("gateway", ["--action-agent", action_address], env=env)
    try:
        yield server
    finally:
        server.kill()


def token(user: int) -> str:
    return issue_token(user, TEST_TOKEN_SECRET)


def bearer(user: int) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token(user)}"),)


async def connect(channel: grpc.aio.Channel, user: int, **start: Any) -> tuple[ConverseStream, voice_pb2.Connected]:
    stream = await open_stream(channel, voice_pb2.Start(session_token=token(user), time_zone=ZONE, **start))
    connected = await stream.next(kind_is("connected"), within=15)
    return stream, connected.connected


def stub(channel: grpc.aio.Channel) -> voice_pb2_grpc.VoiceGatewayStub:
    return voice_pb2_grpc.VoiceGatewayStub(channel)


def text(content: str) -> voice_pb2.ClientEvent:
    return voice_pb2.ClientEvent(text_input=voice_pb2.TextInput(text=content))


def is_state(state: int):
    return lambda e: e.WhichOneof("event") == "status" and e.status.state == state


def is_error(code: str):
    return lambda e: e.WhichOneof("event") == "error" and e.error.code == code


def final_transcript(role: int):
    return lambda e: (e.WhichOneof("event") == "transcript" and e.transcript.role == role
                      and e.transcript.is_final)


def events_of(history: list[Received], kind: str) -> list[Received]:
    return [r for r in history if r.kind == kind]
