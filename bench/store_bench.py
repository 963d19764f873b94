"""Store benchmark: booking creations per second under contention, and availability-query latency.

    .venv/bin/python bench/store_bench.py [--bookings 400] [--threads 16] [--queries 1000]
        [--backends sqlite,postgresql]

Each backend gets a fresh database with the demo city (SQLite: a temporary file; PostgreSQL on
127.0.0.1:5432 when reachable: a temporary database, dropped afterwards). All booking threads book
the same venue, so every booking waits for the same lock: this is the worst case, not the average.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from action_agent.domain import Domain, FullyBooked
from action_agent.store import make_engine, session_factory
from action_agent.store.demo_city import seed
from action_agent.store.models import OpeningHours, Venue, VenueCuisine

NY = ZoneInfo("America/New_York")
PG_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def database(backend: str) -> Iterator[str | None]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    try:
        admin = psycopg.connect(PG_DSN, autocommit=True, connect_timeout=2)
    except psycopg.Error:
        yield None
        return
    name = f"luna_bench_{secrets.token_hex(4)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def add_open_venue(domain: Domain, capacity: int) -> int:
    with domain.sessions() as session:
        venue = Venue(name=f"Bench Hall {secrets.token_hex(3)}", price_level=2, rating=4.0, address="1 Bench St",
                      neighbourhood="Midtown", latitude=40.75, longitude=-73.98, phone="(212) 555-0100",
                      time_zone="America/New_York", capacity_per_slot=capacity, outdoor_seating=False,
                      kid_friendly=False, takes_reservations=True, vegetarian_options=False)
        venue.hours = [OpeningHours(weekday=d, open_minute=0, close_minute=1440) for d in range(7)]
        venue.cuisines = [VenueCuisine(cuisine="american", position=0)]
        session.add(venue)
        session.commit()
        return venue.id


def bench_bookings(domain: Domain, now: datetime, total: int, threads: int) -> tuple[float, int]:
    """Bookings/s with `threads` writers on one venue; every request fits, so each one commits a booking."""
    venue = add_open_venue(domain, capacity=total * 2)
    barrier = threading.Barrier(threads)
    start_day = now.astimezone(NY).date() + timedelta(days=1)

    def worker(index: int) -> int:
        barrier.wait()
        made = 0
        for i in range(index, total, threads):
            midnight = datetime(start_day.year, start_day.month, start_day.day, tzinfo=NY)
            at = midnight + timedelta(minutes=15 * (i % 88))  # every seating ends by 11:30 PM
            domain.bookings.create_booking(1 + i % 40, venue, at, 2)
            made += 1
        return made

    began = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        made = sum(pool.map(worker, range(threads)))
    return made / (time.perf_counter() - began), made


def bench_last_seats(domain: Domain, now: datetime, capacity: int, requests: int) -> int:
    venue = add_open_venue(domain, capacity=capacity)
    at = now + timedelta(days=2)
    barrier = threading.Barrier(requests)

    def attempt(i: int) -> bool:
        barrier.wait()
        try:
            domain.bookings.create_booking(1 + i % 40, venue, at, 1)
            return True
        except FullyBooked:
            return False

    with ThreadPoolExecutor(requests) as pool:
        return sum(pool.map(attempt, range(requests)))


def bench_availability(domain: Domain, now: datetime, queries: int) -> list[float]:
    rng = random.Random(7)
    venue_ids = [v.venue_id for v in domain.venues.all_venue_names()]
    latencies: list[float] = []
    for _ in range(queries):
        at = now + timedelta(days=rng.randint(0, 20), minutes=15 * rng.randint(0, 95))
        began = time.perf_counter()
        domain.availability.check_availability(rng.choice(venue_ids), at, rng.randint(1, 8))
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bookings", type=int, default=400)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    now = datetime.now(UTC)
    for backend in args.backends.split(","):
        with database(backend) as url:
            if url is None:
                print(f"{backend}: not reachable, skipped")
                continue
            engine = make_engine(url)
            seed(engine, now)
            domain = Domain(session_factory(engine))
            rate, made = bench_bookings(domain, now, args.bookings, args.threads)
            print(f"{backend}: {rate:.0f} bookings/s ({made} bookings, {args.threads} threads, one venue)")
            capacity, requests = 10, 50
            won = bench_last_seats(domain, now, capacity, requests)
            print(f"{backend}: last seats: {won} of {requests} concurrent requests succeeded (capacity {capacity})")
            latencies = bench_availability(domain, now, args.queries)
            print(f"{backend}: check_availability p50 {percentile(latencies, 50):.2f} ms, "
                  f"p99 {percentile(latencies, 99):.2f} ms ({args.queries} queries, one thread)")
            engine.dispose()


if __name__ == "__main__":
    main()
