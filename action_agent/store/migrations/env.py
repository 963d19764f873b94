"""Alembic environment: migrations run programmatically (action_agent.store.migrate) on a given connection."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

from action_agent.store.models import Base

# LangGraph's checkpoint tables share a PostgreSQL database with the domain; LangGraph's own setup() creates
# and versions them, so autogenerate must neither drop nor recreate them.
CHECKPOINT_TABLES = {"checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"}


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (type_ == "table" and name in CHECKPOINT_TABLES)

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through action_agent.store.migrate(engine)")

context.configure(connection=connection, target_metadata=Base.metadata, include_object=include_object,
                  render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
with context.begin_transaction():
    context.run_migrations()
