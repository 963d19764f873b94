"""invites.response_key: the idempotency key of an invite's answer, so a retried answer is given once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 01:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.add_column(sa.Column("response_key", sa.String(length=128), nullable=True))
        batch.create_unique_constraint("uq_invites_to_response_key", ["to_user_id", "response_key"])


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch:
        batch.drop_constraint("uq_invites_to_response_key", type_="unique")
        batch.drop_column("response_key")
