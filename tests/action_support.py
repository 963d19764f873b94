"""Driving the real action agent over gRPC in tests and benchmarks: a seeded database, a server, requests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import grpc
from google.protobuf import timestamp_pb2
from luna.action.v1 import action_pb2 as pb
from luna.action.v1 import action_pb2_grpc
from sqlalchemy import func, select

from action_agent.store import make_engine
from action_agent.store.demo_city import seed
from action_agent.store.models import Booking, Invite
from tests.servers import ServerProcess, start_server

NY = ZoneInfo("America/New_York")
ZONE = "America/New_York"
DEMO_USER = 1


def request_now() -> datetime:
    """The requests' fixed "now": noon tomorrow in New York, relative to the (real-time) seed."""
    tomorrow = datetime.now(NY).date() + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, 12, 0, tzinfo=NY)


def stamp(value: datetime) -> timestamp_pb2.Timestamp:
    out = timestamp_pb2.Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def seed_database(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    try:
        seed(engine)
    finally:
        engine.dispose()
    return url


def count_rows(url: str, model: Any, **where: Any) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).select_from(model)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()


def bookings(url: str, **where: Any) -> int:
    return count_rows(url, Booking, **where)


def invites(url: str, **where: Any) -> int:
    return count_rows(url, Invite, **where)


@dataclass
class Conversation:
    """One voice session with the agent: Execute/Confirm with fresh request ids and the fixed now."""

    stub: action_pb2_grpc.ActionServiceStub
    session_id: str = field(default_factory=lambda: f"s-{uuid.uuid4().hex[:10]}")
    user_id: int = DEMO_USER
    now: datetime = field(default_factory=request_now)

    def request(self, intent: pb.Intent.ValueType, request_id: str | None = None, **entities: Any) -> pb.ActionRequest:
        return pb.ActionRequest(request_id=request_id or uuid.uuid4().hex, session_id=self.session_id,
                                user_id=self.user_id, intent=intent, entities=pb.Entities(**entities),
                                confidence=0.9, now=stamp(self.now), time_zone=ZONE)

    def say(self, intent: pb.Intent.ValueType, request_id: str | None = None, **entities: Any) -> pb.ActionResponse:
        return self.stub.Execute(self.request(intent, request_id, **entities), timeout=15)

    def confirm(self, response: pb.ActionResponse, yes: bool = True, request_id: str | None = None,
                now: datetime | None = None) -> pb.ActionResponse:
        return self.stub.Confirm(pb.ConfirmRequest(
            request_id=request_id or uuid.uuid4().hex, session_id=self.session_id, user_id=self.user_id,
            confirmation_id=response.confirmation.confirmation_id, confirmed=yes, now=stamp(now or self.now)),
            timeout=15)

    def at(self, hour: int, minute: int = 0, days: int = 0) -> str:
        """An ISO date-time on the requests' day (+days), as the gateway sends it."""
        return (self.now + timedelta(days=days)).replace(hour=hour, minute=minute).isoformat()


@contextmanager
def agent_server(url: str, workers: int = 1, env: dict[str, str] | None = None) -> Iterator[ServerProcess]:
    """The action agent on `url`: one process unless `workers` says more (they share the port)."""
    server = start_server("action_agent", ["--database-url", url, "--workers", str(workers)], env)
    try:
        yield server
    finally:
        server.kill()


@contextmanager
def action_stub(address: str) -> Iterator[action_pb2_grpc.ActionServiceStub]:
    with grpc.insecure_channel(address) as channel:
        yield action_pb2_grpc.ActionServiceStub(channel)
