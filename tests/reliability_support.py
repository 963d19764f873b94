"""Shared by the reliability tests (contention, faults, fuzz, security) and bench/load: prepared slots,
many users, process memory and CPU read from /proc."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from action_agent.domain import Domain
from action_agent.store import make_engine, session_factory
from action_agent.store.demo_city import seed
from action_agent.store.models import Booking, OpeningHours, User, Venue, VenueCuisine
from tests.action_support import NY, agent_server, request_now, seed_database
from tests.gateway_support import gateway
from tests.servers import ServerProcess

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass(frozen=True)
class Slot:
    """A venue of the test's own and a time at it, with `seats_left` seats still free."""

    venue_id: int
    venue_name: str
    start: datetime
    capacity: int
    users: tuple[int, ...]

    def iso(self) -> str:
        return self.start.isoformat()


def seed_url(url: str) -> None:
    engine = make_engine(url)
    try:
        seed(engine)
    finally:
        engine.dispose()


def prepare_slot(url: str, *, users: int, capacity: int = 50, seats_left: int = 10, hour: int = 19,
                 name: str | None = None) -> Slot:
    """Add a venue open 11:00-23:00 every day, `users` fresh users, and bookings that leave `seats_left` seats
    at `hour` o'clock on the requests' day (tests.action_support.request_now)."""
    engine = make_engine(url)
    try:
        sessions = session_factory(engine)
        venue_name = name or f"Contention Corner {secrets.token_hex(3).upper()}"
        now = datetime.now(UTC)
        with sessions() as session:
            venue = Venue(name=venue_name, price_level=2, rating=4.2, address="9 Test Row",
                          neighbourhood="Union Square", latitude=40.7359, longitude=-73.9911,
                          phone="(212) 555-0199", time_zone="America/New_York",
                          capacity_per_slot=capacity, outdoor_seating=False, kid_friendly=False,
                          takes_reservations=True, vegetarian_options=True)
            venue.hours = [OpeningHours(weekday=d, open_minute=11 * 60, close_minute=23 * 60) for d in range(7)]
            venue.cuisines = [VenueCuisine(cuisine="italian", position=0)]
            session.add(venue)
            people = [User(name=f"Load Tester{i} Person", home_latitude=40.73, home_longitude=-73.99,
                           home_neighbourhood="Union Square", time_zone="America/New_York", created_at=now)
                      for i in range(users)]
            session.add_all(people)
            session.commit()
            venue_id, user_ids = venue.id, tuple(p.id for p in people)
        start = request_now().replace(hour=hour, minute=0)
        domain = Domain(sessions)
        taken = capacity - seats_left
        while taken > 0:
            party = min(taken, 20)
            domain.bookings.create_booking(user_ids[0], venue_id, start, party)
            taken -= party
        return Slot(venue_id, venue_name, start, capacity, user_ids)
    finally:
        engine.dispose()


def booked_seats(url: str, venue_id: int, start: datetime) -> tuple[int, int]:
    """(confirmed bookings, seats) at the venue starting exactly at `start`."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            row = conn.execute(select(func.count(), func.coalesce(func.sum(Booking.party_size), 0)).where(
                Booking.venue_id == venue_id, Booking.start_at == start, Booking.status == "confirmed")).one()
            return int(row[0]), int(row[1])
    finally:
        engine.dispose()


def bookings_of(url: str, user_id: int) -> list[tuple[str, int, str]]:
    """(confirmation code, party size, status) of every booking of a user."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(Booking.confirmation_code, Booking.party_size, Booking.status)
                                .where(Booking.user_id == user_id).order_by(Booking.id)).all()
            return [(str(r[0]), int(r[1]), str(r[2])) for r in rows]
    finally:
        engine.dispose()


def tomorrow_local(hour: int, minute: int = 0) -> datetime:
    day = datetime.now(NY).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


# ---- process figures from /proc ----


def rss_kb(pid: int) -> int:
    """Resident set size of a process in KiB (VmRSS of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17 (1-based in proc(5)).
    utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def children(pid: int) -> list[int]:
    """Direct child processes (the gateway's recognition workers)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        path = task / "children"
        if path.exists():
            out.extend(int(p) for p in path.read_text().split())
    return out


def tree_rss_kb(pid: int) -> int:
    total = rss_kb(pid)
    for child in children(pid):
        with contextlib.suppress(FileNotFoundError, RuntimeError):
            total += rss_kb(child)
    return total


def tree_cpu_seconds(pid: int) -> float:
    total = cpu_seconds(pid)
    for child in children(pid):
        with contextlib.suppress(FileNotFoundError):
            total += cpu_seconds(child)
    return total


# ---- the stack the fuzz and security tests run against ----


@dataclass(frozen=True)
class Stack:
    url: str
    agent: ServerProcess
    gateway: ServerProcess


GATEWAY_MAX_MESSAGE = 65536


@contextmanager
def reliability_stack() -> Iterator[Stack]:
    """A seeded SQLite action agent and a text-and-VAD gateway (no speech engine) in front of it."""
    with tempfile.TemporaryDirectory(prefix="luna-reliability-") as tmp:
        url = seed_database(Path(tmp) / "luna.db")
        with agent_server(url) as agent, gateway(agent.address, LUNA_SPEECH_ENGINE="none",
                                                 LUNA_MAX_MESSAGE_BYTES=str(GATEWAY_MAX_MESSAGE)) as gw:
            yield Stack(url, agent, gw)
