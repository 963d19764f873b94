"""Action agent benchmark: Execute latency (p50/p99) and throughput over gRPC, on a seeded demo city.

    .venv/bin/python bench/action_bench.py [--requests 1000] [--concurrency 16]

Starts `python -m action_agent` on a fresh SQLite database, then measures a read action
(check_booking) and make_booking (Execute -> NEEDS_CONFIRMATION, then Confirm -> booked):
sequential calls for latency, concurrent sessions for throughput. Prints the figures.
"""

from __future__ import annotations

import argparse
import asyncio
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

import grpc
from luna.action.v1 import action_pb2 as pb
from luna.action.v1 import action_pb2_grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.action_support import Conversation, agent_server, request_now, seed_database, stamp

VENUES = ("Olive Garden", "Sushi Zen", "Carrabba's Italian Grill", "The Blue Plate")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


class Bench:
    def __init__(self, stub: action_pb2_grpc.ActionServiceStub) -> None:
        self.stub = stub
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
        talk = Conversation(self.stub, session_id=session, now=self.now)
        reply = await self.stub.Execute(talk.request(pb.INTENT_CHECK_BOOKING), timeout=10)
        assert reply.status == pb.ACTION_STATUS_SUCCESS, reply

    async def make_booking(self, session: str) -> tuple[float, float]:
        # Booked by the demo user's friends, so the demo user's check_booking answer stays the same size.
        user = 2 + next(self.users) % 8
        talk = Conversation(self.stub, session_id=f"{session}-u{user}", user_id=user, now=self.now)
        started = time.perf_counter()
        prompt = await self.stub.Execute(talk.request(pb.INTENT_MAKE_BOOKING, **self.booking_entities()),
                                         timeout=10)
        asked = time.perf_counter()
        assert prompt.status == pb.ACTION_STATUS_NEEDS_CONFIRMATION, prompt
        done = await self.stub.Confirm(pb.ConfirmRequest(
            request_id=uuid.uuid4().hex, session_id=talk.session_id, user_id=user,
            confirmation_id=prompt.confirmation.confirmation_id, confirmed=True, now=stamp(self.now)), timeout=10)
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


async def run(address: str, n: int, workers: int) -> None:
    async with grpc.aio.insecure_channel(address) as channel:
        bench = Bench(action_pb2_grpc.ActionServiceStub(channel))
        for i in range(50):  # warm up
            await bench.check_booking(f"warm-{i}")
        print("latency (sequential, one client):")
        report("check_booking Execute", await sequential(n, bench.check_booking))
        pairs = [await bench.make_booking(f"book-{i % 50}") for i in range(max(50, n // 4))]
        report("make_booking Execute (prompt)", [a for a, _ in pairs])
        report("make_booking Confirm (booked)", [b for _, b in pairs])
        report("make_booking prompt + confirm", [a + b for a, b in pairs])
        print(f"throughput ({workers} concurrent sessions):")
        print(f"  check_booking                      {await concurrent(n * 2, workers, bench.check_booking):7.1f} "
              f"actions/s")
        rate = await concurrent(n // 2, workers, bench.make_booking)
        print(f"  make_booking (prompt + confirm)    {rate:7.1f} bookings/s ({rate * 2:.1f} RPCs/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = seed_database(Path(tmp) / "luna.db")
        with agent_server(url) as server:
            print(f"action agent at {server.address} (pid {server.proc.pid}), SQLite, {os.cpu_count()} CPUs")
            asyncio.run(run(server.address, args.requests, args.concurrency))


if __name__ == "__main__":
    main()
