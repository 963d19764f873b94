"""luna seed: create the database schema and load the deterministic demo city."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime

from action_agent.settings import ActionAgentSettings
from action_agent.store import make_engine
from action_agent.store.demo_city import DEMO_USER_ID, DEMO_USER_NAME, SeedError, seed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL or sqlite:///var/luna.db)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--if-empty", action="store_true", help="do nothing when the database already has data")
    mode.add_argument("--replace", action="store_true", help="delete all existing data first")
    parser.add_argument("--now", type=datetime.fromisoformat,
                        help="pretend it is this time (ISO 8601 with offset); default: now")


def run(args: argparse.Namespace) -> int:
    url = args.database_url or ActionAgentSettings().database_url
    if args.now is not None and args.now.tzinfo is None:
        print("luna seed: --now needs a time zone offset, e.g. 2026-11-24T19:00:00-05:00", file=sys.stderr)
        return 2
    engine = make_engine(url)
    try:
        report = seed(engine, args.now, if_empty=args.if_empty, replace=args.replace)
    except SeedError as exc:
        print(f"luna seed: {exc}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if report.seeded:
        print(f"seeded {engine.url.render_as_string(hide_password=True)}: {report.venues} venues, {report.users} users,"
              f" {report.bookings} bookings, {report.invites} invites; demo user {DEMO_USER_ID} is {DEMO_USER_NAME}")
    else:
        print(f"{engine.url.render_as_string(hide_password=True)} already has data; left as it is")
    return 0
