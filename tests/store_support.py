"""Test databases for the Luna store: a SQLite file, or a fresh PostgreSQL database when one is reachable."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from action_agent.domain import Domain
from action_agent.store import make_engine, session_factory
from action_agent.store.demo_city import seed
from action_agent.store.models import Friendship, OpeningHours, User, Venue, VenueCuisine

NY = ZoneInfo("America/New_York")
# The tests' "now": a Wednesday afternoon, far from DST changes. Seed and domain share it.
NOW = datetime(2030, 1, 9, 15, 0, tzinfo=NY).astimezone(UTC)
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_available() -> bool:
    try:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@contextmanager
def database_url(backend: str, directory: Path) -> Iterator[str]:
    """A URL of an empty database for this test session; PostgreSQL ones are dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / 'luna.db'}"
        return
    if not postgres_available():
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"luna_test_{secrets.token_hex(6)}"
    with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class SeededStore:
    backend: str
    engine: Engine
    sessions: sessionmaker[Session]
    domain: Domain


@contextmanager
def seeded_store(backend: str, directory: Path, now: datetime = NOW) -> Iterator[SeededStore]:
    with database_url(backend, directory) as url:
        engine = make_engine(url)
        try:
            seed(engine, now)
            sessions = session_factory(engine)
            yield SeededStore(backend, engine, sessions, Domain(sessions, clock=lambda: now))
        finally:
            engine.dispose()


def local(days_from_now: int, hour: int, minute: int = 0) -> datetime:
    """An aware time `days_from_now` local days after NOW's date, at hour:minute New York time."""
    day = NOW.astimezone(NY).date() + timedelta(days=days_from_now)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NY)


def add_venue(sessions: sessionmaker[Session], hours: list[tuple[int, int, int]], capacity: int = 10,
              takes_reservations: bool = True, cuisine: str = "thai", name: str | None = None) -> int:
    """A venue of the test's own (so tests don't share capacity), with hours as (weekday, open, close) minutes."""
    with sessions() as session:
        venue = Venue(name=name or f"Test Venue {secrets.token_hex(4)}", price_level=2, rating=4.0,
                      address="1 Test St", neighbourhood="Union Square", latitude=40.7359, longitude=-73.9911,
                      phone="(212) 555-0000", time_zone="America/New_York", capacity_per_slot=capacity,
                      outdoor_seating=False, kid_friendly=False, takes_reservations=takes_reservations,
                      vegetarian_options=False)
        venue.hours = [OpeningHours(weekday=d, open_minute=o, close_minute=c) for d, o, c in hours]
        venue.cuisines = [VenueCuisine(cuisine=cuisine, position=0)]
        session.add(venue)
        session.commit()
        return venue.id


def add_user(sessions: sessionmaker[Session], name: str, friends: tuple[int, ...] = ()) -> int:
    with sessions() as session:
        user = User(name=name, home_latitude=40.73, home_longitude=-73.99, home_neighbourhood="Union Square",
                    time_zone="America/New_York", created_at=NOW)
        session.add(user)
        session.flush()
        for friend in friends:
            session.add_all([Friendship(user_id=user.id, friend_id=friend, since=NOW),
                             Friendship(user_id=friend, friend_id=user.id, since=NOW)])
        session.commit()
        return user.id


def daily(open_minute: int, close_minute: int) -> list[tuple[int, int, int]]:
    return [(d, open_minute, close_minute) for d in range(7)]
