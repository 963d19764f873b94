"""python -m action_agent: serve luna.action.v1.ActionService and luna.backend.v1.LunaService."""

from __future__ import annotations

import argparse

from action_agent.server import run
from action_agent.settings import ActionAgentSettings
from luna_common.logs import configure_logging

DESCRIPTION = """\
Serve the Luna action agent over gRPC: luna.action.v1.ActionService (internal,
called by the voice gateway) and luna.backend.v1.LunaService (the domain read
API for the app), with grpc.health.v1 and server reflection.

Environment:
  LUNA_TOKEN_SECRET         HMAC secret for session tokens (required)
  DATABASE_URL              SQLAlchemy URL (default sqlite:///var/luna.db;
                            postgresql+psycopg://... for PostgreSQL)
  LUNA_ACTION_HOST/PORT     bind address (default 127.0.0.1:50052)
  LUNA_ACTION_WORKERS       server processes sharing the port (default: the
                            CPUs available, container quota included; 1 serves
                            from this process alone)
  LUNA_SESSION_RETENTION_HOURS  conversation state of sessions idle this long
                            is deleted at start-up and hourly (default 24)
  LUNA_DEV_LOGIN            1 to enable the demo-user sign-in RPCs
  LUNA_SHUTDOWN_GRACE_SECONDS  drain time after SIGTERM (default 10)
  LUNA_LOG_LEVEL            log level (default INFO)

Storage:
  The database is migrated to the current schema (Alembic) at start-up.
  Conversation state (LangGraph checkpoints: pending confirmations, what was
  said earlier) is stored next to a SQLite database, in a file named after it:
  sqlite:///var/luna.db -> var/luna.checkpoints.db. With PostgreSQL it is
  stored in the same PostgreSQL database (tables checkpoints, checkpoint_*).
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m action_agent", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--host", help="bind host (overrides LUNA_ACTION_HOST)")
    parser.add_argument("--port", type=int, help="bind port, 0 for any free port (overrides LUNA_ACTION_PORT)")
    parser.add_argument("--database-url", help="SQLAlchemy database URL (overrides DATABASE_URL)")
    parser.add_argument("--workers", type=int, help="server processes sharing the port (overrides LUNA_ACTION_WORKERS)")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in {"host": args.host, "port": args.port, "database_url": args.database_url,
                                   "workers": args.workers}.items() if v is not None}
    if overrides.get("workers", 1) < 1:
        parser.error("--workers must be at least 1")
    settings = ActionAgentSettings().model_copy(update=overrides)
    configure_logging("action_agent", settings.log_level)
    run(settings)


if __name__ == "__main__":
    main()
