"""Alembic environment: migrations run programmatically (action_agent.store.migrate) on a given connection."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from action_agent.store.models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through action_agent.store.migrate(engine)")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
