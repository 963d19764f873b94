"""Alembic environment and revisions of the Luna schema."""
