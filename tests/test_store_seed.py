"""The store's schema (migrations match the models, engine settings) and the deterministic demo city."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, StatementError

from action_agent.domain.availability import SEATING
from action_agent.domain.hours import open_interval_containing
from action_agent.domain.recommendations import WALKING_DISTANCE_KM
from action_agent.domain.travel import distance_km
from action_agent.domain.venues import CANONICAL_CUISINES
from action_agent.store import make_engine, migrate
from action_agent.store.demo_city import DEMO_HOME, SeedError, build_city, seed
from action_agent.store.engine import alembic_config
from action_agent.store.models import Base, Booking, Invite, User, Venue, VenueCuisine
from tests.store_support import BACKENDS, NOW, database_url, local, seeded_store

DEMO = 1


@pytest.fixture(scope="module", params=BACKENDS)
def store(request, tmp_path_factory):
    with seeded_store(request.param, tmp_path_factory.mktemp(f"seed-{request.param}")) as s:
        yield s


def test_migrations_create_exactly_the_models_schema(store):
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    migrate(store.engine)  # idempotent


def test_migrations_downgrade_and_upgrade_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'round.db'}")
    migrate(engine)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    migrate(engine)
    assert {"users", "venues", "bookings", "invites"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_action_requests_table_comes_from_migrations(tmp_path):
    """Revision 0002 creates the idempotency table (nothing is created outside the migrations any more), and
    adopts the table a database already has from the days the agent created it itself."""
    config = alembic_config()
    fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    with fresh.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    assert "action_requests" not in inspect(fresh).get_table_names()
    migrate(fresh)
    assert "action_requests" in inspect(fresh).get_table_names()
    with fresh.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert "action_requests" not in inspect(fresh).get_table_names()
    fresh.dispose()

    old = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with old.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    legacy = MetaData()
    table = Table("action_requests", legacy, Column("user_id", BigInteger, primary_key=True),
                  Column("request_id", String(128), primary_key=True), Column("method", String(16), nullable=False),
                  Column("response", LargeBinary, nullable=False),
                  Column("created_at", DateTime(timezone=True), nullable=False))
    legacy.create_all(old)  # what the agent used to do at start-up
    with old.begin() as connection:
        connection.execute(table.insert().values(user_id=1, request_id="r", method="execute", response=b"x",
                                                 created_at=NOW))
    migrate(old)
    with old.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == "0003"
        assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 1
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    old.dispose()


def test_sqlite_engine_uses_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'sub' / 'pragmas.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000
    engine.dispose()


def test_foreign_keys_are_enforced(store):
    with store.sessions() as session:
        session.add(Booking(user_id=DEMO, venue_id=999_999, start_at=local(1, 19), party_size=2, status="confirmed",
                            confirmation_code="ZZZZZZ", created_at=NOW, updated_at=NOW))
        with pytest.raises(IntegrityError, match=r"(?i)foreign key"):
            session.commit()


def test_naive_datetimes_never_reach_the_database(store):
    with store.sessions() as session:
        session.add(Booking(user_id=DEMO, venue_id=1, start_at=local(1, 19).replace(tzinfo=None), party_size=2,
                            status="confirmed", confirmation_code="ZZZZZY", created_at=NOW, updated_at=NOW))
        with pytest.raises(StatementError, match="naive"):
            session.commit()


def test_the_city_is_deterministic():
    assert build_city(NOW).tables == build_city(NOW).tables
    later = build_city(NOW + timedelta(days=30))
    names = [v["name"] for v in build_city(NOW).rows(Venue)]
    assert [v["name"] for v in later.rows(Venue)] == names


def test_seeding_twice_gives_identical_databases(tmp_path):
    dumps = []
    for i in range(2):
        engine = make_engine(f"sqlite:///{tmp_path / f'{i}.db'}")
        seed(engine, NOW)
        with engine.connect() as connection:
            dumps.append({t.name: connection.execute(select(t).order_by(*t.primary_key.columns)).all()
                          for t in Base.metadata.sorted_tables})
        engine.dispose()
    assert dumps[0] == dumps[1]


def test_seed_if_empty_and_replace(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    assert seed(engine, NOW).seeded
    assert not seed(engine, NOW, if_empty=True).seeded
    with pytest.raises(SeedError, match="already has data"):
        seed(engine, NOW)
    report = seed(engine, NOW, replace=True)
    assert report.seeded and report.venues >= 150
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(Venue)).scalar() == report.venues
    engine.dispose()


def test_the_city_is_big_and_varied(store):
    with store.sessions() as session:
        assert session.scalar(select(func.count(Venue.id))) >= 150
        assert session.scalar(select(func.count(User.id))) >= 40
        cuisines = set(session.scalars(select(VenueCuisine.cuisine).distinct()))
        assert set(CANONICAL_CUISINES) <= cuisines and len(cuisines) >= 15
        assert cuisines <= set(CANONICAL_CUISINES)
        names = list(session.scalars(select(Venue.name)))
        assert len(names) == len(set(names))
        for venue in session.scalars(select(Venue)):
            assert 40.6 < venue.latitude < 40.85 and -74.05 < venue.longitude < -73.9, venue.name
            assert 1 <= venue.price_level <= 4 and 3.0 <= venue.rating <= 5.0
            assert venue.hours, venue.name
        statuses = set(session.scalars(select(Invite.status).distinct()))
        assert "pending" in statuses
        assert session.scalar(select(func.count(Booking.id)).where(Booking.start_at > NOW)) > 10
        assert session.scalar(select(func.count(Booking.id)).where(Booking.start_at < NOW)) > 10


def test_the_spec_examples_exist(store):
    venues = store.domain.venues
    by_name = {v.name: v for v in venues.all_venues()}
    assert "italian" in by_name["Olive Garden"].cuisines
    assert "american" in by_name["The Blue Plate"].cuisines
    carrabbas = by_name["Carrabba's Italian Grill"]
    assert "italian" in carrabbas.cuisines and {"Carrabba's", "carrabbas"} <= set(carrabbas.aliases)
    assert [v.name for v in by_name.values() if v.name == "Starbucks"] == ["Starbucks"]
    assert by_name["Starbucks"].cuisines[0] == "cafe"
    assert distance_km(*DEMO_HOME, by_name["Starbucks"].latitude, by_name["Starbucks"].longitude) < 0.5
    assert "Sushi Zen on 5th" in by_name["Sushi Zen"].aliases
    assert "sushi" in by_name["Sushi Zen Express"].cuisines
    walkable_sushi = [v for v in by_name.values() if "sushi" in v.cuisines
                      and distance_km(*DEMO_HOME, v.latitude, v.longitude) <= WALKING_DISTANCE_KM]
    assert walkable_sushi
    for name in ("Olive Garden", "The Blue Plate", "Carrabba's Italian Grill", "Starbucks", "Sushi Zen",
                 "Sushi Zen Express"):
        venue = by_name[name]
        assert venue.takes_reservations, name
        for day in range(7):  # open for a 7 PM dinner seating every day
            assert open_interval_containing(venue.hours, venue.time_zone, local(day, 19), SEATING), (name, day)


def test_the_demo_user_and_friends(store):
    social = store.domain.social
    assert social.get_user(DEMO).name == "Alex Rivera"
    friends = social.list_friends(DEMO)
    first_names = [f.first_name for f in friends]
    assert len(first_names) == len(set(first_names))
    assert {"Sarah", "John", "Priya", "Marcus", "Emma", "David"} <= set(first_names)
    assert {f.name for f in friends} >= {"Sarah Chen", "John Miller"}


def test_the_demo_history(store):
    last_week = store.domain.bookings.past_bookings(DEMO, NOW - timedelta(days=8))
    carrabbas = [b for b in last_week if b.venue_name == "Carrabba's Italian Grill"]
    assert carrabbas and NOW - timedelta(days=8) < carrabbas[0].start < NOW - timedelta(days=6)
    received, _sent = store.domain.social.list_invites(DEMO)
    assert any(i.from_user.name == "John Miller" and i.status == "pending" and i.at > NOW for i in received)
    assert store.domain.bookings.list_bookings(DEMO), "the demo user has upcoming bookings"


@pytest.mark.postgres
def test_postgres_sequences_continue_after_the_seed(tmp_path):
    with database_url("postgresql", tmp_path) as url:
        engine = make_engine(url)
        seed(engine, NOW)
        with engine.begin() as connection:
            new_id = connection.execute(text(
                "INSERT INTO users (name, home_latitude, home_longitude, home_neighbourhood, time_zone, created_at)"
                " VALUES ('New Person', 40.7, -73.9, '', 'UTC', now()) RETURNING id")).scalar()
            assert new_id == connection.execute(select(func.max(User.id))).scalar()
        engine.dispose()


def test_luna_seed_command(tmp_path, capsys):
    from luna_cli.main import main

    url = f"sqlite:///{tmp_path / 'var' / 'luna.db'}"
    assert main(["seed", "--database-url", url, "--now", "2030-01-09T15:00:00-05:00"]) == 0
    assert "demo user 1 is Alex Rivera" in capsys.readouterr().out
    assert main(["seed", "--database-url", url, "--if-empty"]) == 0
    assert "left as it is" in capsys.readouterr().out
    assert main(["seed", "--database-url", url]) == 1
    assert "--if-empty" in capsys.readouterr().err
    assert main(["seed", "--database-url", url, "--now", "2030-01-09T15:00:00"]) == 2
