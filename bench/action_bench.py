"""Action agent benchmark: Execute latency (p50/p99) and throughput over gRPC, on a seeded demo city.

    .venv/bin/python bench/action_bench.py [--requests 1000] [--concurrency 16] [--workers N]

Starts `python -m action_agent` (N worker processes, default the CPU count, as in production) on a fresh
SQLite database and calls it through the gateway's own client (its sessions spread over several connections,
and so over the workers), then measures a read action
(check_booking) and make_booking (Execute -> NEEDS_CONFIRMATION, then Confirm -> booked):
sequential calls for latency, concurrent sessions for throughput. Prints the figures, the server's CPU
time per action (the box may be shared: CPU time is the steadier figure) and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from luna.action.v1 import action_pb2 as pb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gateway.action_client import ActionClient
from gateway.settings import GatewaySettings
from tests.action_support import Conversation, agent_server, request_now, seed_database, stamp

VENUES = ("Olive Garden", "Sushi Zen", "Carrabba's Italian Grill", "The Blue Plate")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Bench:
    def __init__(self, client: ActionClient) -> None:
        self.client = client
        self.now = request_now()
        self.slots = itertools.count()
        self.users = itertools.count()

    def booking_entities(self) -> dict[str, Any]:
        # Spread bookings over venues, days and times so capacity never runs out.
        i = next(self.slots)
        venue = VENUES[i % len(VENUES)]
        day, slot = divmod(i // len(VENUES), 32)
        start = (self.now + timedelta(days=1 + day % 55)).replace(hour=12) + timedelta(minutes=15 * slot)
        return {"venue_name": venue, "party_size": 2, "date_time": start.isoformat()}

    async def check_booking(self, session: str) -> None:
        talk = Conversation(self.client.stub(session), session_id=session, now=self.now)
        reply = await self.client.execute(talk.request(pb.INTENT_CHECK_BOOKING))
        assert reply.status == pb.ACTION_STATUS_SUCCESS, reply

    async def make_booking(self, session: str) -> tuple[float, float]:
        # Booked by the demo user's friends, so the demo user's check_booking answer stays the same size.
        user = 2 + next(self.users) % 8
        session = f"{session}-u{user}"
        talk = Conversation(self.client.stub(session), session_id=session, user_id=user, now=self.now)
        started = time.perf_counter()
        prompt = await self.client.execute(talk.request(pb.INTENT_MAKE_BOOKING, **self.booking_entities()))
        asked = time.perf_counter()
        assert prompt.status == pb.ACTION_STATUS_NEEDS_CONFIRMATION, prompt
        done = await self.client.confirm(pb.ConfirmRequest(
            request_id=uuid.uuid4().hex, session_id=talk.session_id, user_id=user,
            confirmation_id=prompt.confirmation.confirmation_id, confirmed=True, now=stamp(self.now)))
        assert done.status == pb.ACTION_STATUS_SUCCESS, done
        return asked - started, time.perf_counter() - asked


async def sequential(n: int, call: Callable[[str], Awaitable[object]]) -> list[float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        await call(f"lat-{i % 50}-{uuid.uuid4().hex[:6]}" if i % 10 == 0 else f"lat-{i % 50}")
        samples.append(time.perf_counter() - started)
    return samples


async def concurrent(n: int, workers: int, call: Callable[[str], Awaitable[object]]) -> float:
    counter = itertools.count()

    async def worker(w: int) -> None:
        while next(counter) < n:
            await call(f"tp-{w}")

    started = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(workers)))
    return n / (time.perf_counter() - started)


def report(name: str, samples: list[float]) -> None:
    ms = [s * 1000 for s in samples]
    print(f"  {name:<34} p50 {percentile(ms, 50):6.2f} ms   p99 {percentile(ms, 99):6.2f} ms   "
          f"mean {statistics.fmean(ms):6.2f} ms   (n={len(ms)})")


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the server process and its worker processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    total = 0.0
    for p in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


async def run(address: str, n: int, sessions: int, server_pid: int, connections: int) -> None:
    client = ActionClient(address, timeout_seconds=10, connections=connections)
    try:
        bench = Bench(client)
        for i in range(50):  # warm up
            await bench.check_booking(f"warm-{i}")
        print("latency (sequential, one client):")
        report("check_booking Execute", await sequential(n, bench.check_booking))
        pairs = [await bench.make_booking(f"book-{i % 50}") for i in range(max(50, n // 4))]
        report("make_booking Execute (prompt)", [a for a, _ in pairs])
        report("make_booking Confirm (booked)", [b for _, b in pairs])
        report("make_booking prompt + confirm", [a + b for a, b in pairs])
        print(f"throughput ({sessions} concurrent sessions over {connections} connections):")
        cpu, client_cpu = server_cpu_seconds(server_pid), time.process_time()
        rate = await concurrent(n * 2, sessions, bench.check_booking)
        per_action = (server_cpu_seconds(server_pid) - cpu) / (n * 2) * 1000
        client_per_action = (time.process_time() - client_cpu) / (n * 2) * 1000
        print(f"  check_booking                      {rate:7.1f} actions/s   (server CPU {per_action:.2f} ms/action, "
              f"client {client_per_action:.2f})")
        cpu = server_cpu_seconds(server_pid)
        rate = await concurrent(n // 2, sessions, bench.make_booking)
        per_booking = (server_cpu_seconds(server_pid) - cpu) / (n // 2) * 1000
        print(f"  make_booking (prompt + confirm)    {rate:7.1f} bookings/s ({rate * 2:.1f} RPCs/s)   "
              f"(server CPU {per_booking:.2f} ms/booking)")
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="action agent worker processes (default: the CPU count)")
    parser.add_argument("--connections", type=int, default=GatewaySettings.model_fields["action_connections"].default,
                        help="client connections, as the gateway holds (default: the gateway's default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = seed_database(Path(tmp) / "luna.db")
        with agent_server(url, workers=args.workers) as server:
            print(f"action agent at {server.address} (pid {server.proc.pid}, {args.workers} worker(s)), SQLite, "
                  f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            asyncio.run(run(server.address, args.requests, args.concurrency, server.proc.pid, args.connections))
            print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
