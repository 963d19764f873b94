"""The gateway's action client holds several connections to the action agent and keeps each session on one.

The agent's worker processes share its port and the kernel gives each connection to one of them, so the
connections (not the calls) are what spreads the load: with one, a single worker would serve everything."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from luna.action.v1 import action_pb2 as pb

from gateway.action_client import ActionClient
from tests.action_support import Conversation, agent_server, seed_database

ESTABLISHED = "01"


def _workers(pid: int) -> list[int]:
    children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    # multiprocessing's resource tracker is a child too; the workers are the spawned ones.
    return [p for p in children if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def _established(port: int, side: str) -> dict[str, int]:
    """Established IPv4/IPv6 TCP connections whose local (side="local") or remote port is `port`: inode -> 1."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            address = local if side == "local" else remote
            if state == ESTABLISHED and int(address.rsplit(":", 1)[1], 16) == port:
                found[inode] = 1
    return found


async def test_a_session_keeps_its_connection_and_sessions_spread() -> None:
    client = ActionClient("127.0.0.1:1", timeout_seconds=1, connections=4)
    try:
        assert all(client.stub(f"s-{i}") is client.stub(f"s-{i}") for i in range(20))
        assert len({id(client.stub(f"s-{i}")) for i in range(20)}) >= 3
    finally:
        await client.close()


def test_the_client_holds_its_own_connections_each_served_by_a_worker(tmp_path: Path) -> None:
    url = seed_database(tmp_path / "luna.db")
    with agent_server(url, workers=2) as server:
        port = int(server.address.rsplit(":", 1)[1])

        async def talk() -> tuple[set[str], dict[int, set[str]]]:
            client = ActionClient(server.address, timeout_seconds=15, connections=6)
            try:
                async def session(i: int) -> None:
                    talk = Conversation(client.stub(f"spread-{i}"), session_id=f"spread-{i}")
                    reply = await client.execute(talk.request(pb.INTENT_CHECK_BOOKING))
                    assert reply.status == pb.ACTION_STATUS_SUCCESS
                await asyncio.gather(*(session(i) for i in range(60)))
                ours = _socket_inodes(os.getpid()) & set(_established(port, "remote"))
                served = {pid: _socket_inodes(pid) & set(_established(port, "local"))
                          for pid in _workers(server.proc.pid)}
                return ours, served
            finally:
                await client.close()

        ours, served = asyncio.run(talk())
    assert len(ours) == 6  # six connections of its own, not one shared
    assert len(served) == 2
    assert sum(len(inodes) for inodes in served.values()) == 6  # each accepted by one worker or the other
