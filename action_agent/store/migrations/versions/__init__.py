"""Alembic revisions of the Luna schema (applied by action_agent.store.migrate)."""
