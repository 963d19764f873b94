"""action_requests: the action service's recorded first answer per (user, request_id).

Before this revision the action agent created the table itself at start-up (create_all); databases
from then already have it with the same columns, so it is only created when missing.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 01:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("action_requests"):
        return
    op.create_table(
        "action_requests",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("response", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "request_id", name=op.f("pk_action_requests")),
    )


def downgrade() -> None:
    op.drop_table("action_requests")
